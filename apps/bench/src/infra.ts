import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { Client } from 'pg';
import { runMigrations } from '@app/database/migrate';

const CONNECT_TIMEOUT_MS = 5_000;

/** Only local servers: the bench creates and drops databases and deletes Redis keys. */
export function assertLocal(url: string, variable: string): void {
  const host = new URL(url).hostname;
  if (!['127.0.0.1', 'localhost', '[::1]'].includes(host)) {
    throw new Error(`${variable} must point at 127.0.0.1 for the bench (got ${host})`);
  }
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** A new connection to it (the caller ends it). */
  connect(): Promise<Client>;
  /** PostgreSQL server processes serving this database (the gateways' connections). */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
}

async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
  await client.connect();
  return client;
}

async function withClient<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = await connect(url);
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/** A fresh, migrated `bowl_bench_<random>` database next to the admin database. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `bowl_bench_${randomBytes(6).toString('hex')}`;
  try {
    await withClient(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  } catch (err) {
    throw new Error(
      `cannot create a database through DATABASE_URL (${redact(adminUrl)}): ${(err as Error).message}`,
    );
  }
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const database: BenchDatabase = {
    name,
    url: url.toString(),
    connect: () => connect(url.toString()),
    backendPids: () =>
      withClient(adminUrl, async (c) => {
        const { rows } = await c.query<{ pid: number }>(
          'SELECT pid FROM pg_stat_activity WHERE datname = $1',
          [name],
        );
        return rows.map((r) => r.pid);
      }),
    drop: () =>
      withClient(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
  try {
    await runMigrations(database.url);
  } catch (err) {
    await database.drop().catch(() => undefined);
    throw err;
  }
  return database;
}

function redact(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

/** A short-lived Redis connection that fails fast instead of retrying forever. */
function redisClient(url: string): Redis {
  const client = new Redis(url, {
    lazyConnect: true,
    connectTimeout: CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined); // surfaced by the command that fails
  return client;
}

export async function checkRedis(url: string): Promise<void> {
  const client = redisClient(url);
  try {
    await client.connect();
    await client.ping();
  } catch (err) {
    throw new Error(`Redis at ${redact(url)} does not answer: ${(err as Error).message}`);
  } finally {
    client.disconnect();
  }
}

/** The process id of the Redis server (its CPU is shown), if it tells. */
export async function redisPid(url: string): Promise<number | undefined> {
  const client = redisClient(url);
  try {
    await client.connect();
    const pid = Number(/^process_id:(\d+)/m.exec(await client.info('server'))?.[1]);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } finally {
    client.disconnect();
  }
}

export const benchRedisPrefix = (): string => `bowlbench:${randomBytes(4).toString('hex')}:`;

/** Deletes the keys the gateways left under `prefix` (presence, adapter state). */
export async function deleteRedisKeys(url: string, prefix: string): Promise<number> {
  const client = redisClient(url);
  let deleted = 0;
  try {
    await client.connect();
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) deleted += await client.unlink(...keys);
      cursor = next;
    } while (cursor !== '0');
    return deleted;
  } finally {
    client.disconnect();
  }
}

/**
 * Undo actions run last-in first-out, once, on success, error, Ctrl-C or the time limit alike.
 * Each gets a time limit so a stuck one cannot keep the bench from exiting.
 */
export class Cleanup {
  private readonly actions: { label: string; run: () => Promise<unknown> }[] = [];
  private running?: Promise<string[]>;

  add(label: string, run: () => Promise<unknown>): void {
    this.actions.push({ label, run });
  }

  /** Runs every action; resolves with the failures, as printable lines. */
  run(timeoutMs = 15_000): Promise<string[]> {
    this.running ??= (async () => {
      const failures: string[] = [];
      for (const action of this.actions.splice(0).reverse()) {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
        });
        try {
          await Promise.race([action.run(), timeout]);
        } catch (err) {
          failures.push(`${action.label}: ${(err as Error).message}`);
        } finally {
          clearTimeout(timer);
        }
      }
      return failures;
    })();
    return this.running;
  }
}
