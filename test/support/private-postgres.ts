import { execFile } from 'node:child_process';
import { chown, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { runMigrations } from '../../libs/database/src/migrate';
import { freePort } from './gateway-process';

const run = promisify(execFile);

/** The machine's PostgreSQL binaries (Debian's postgresql-15); BOWL_TEST_PG_BIN overrides. */
const PG_BIN = process.env.BOWL_TEST_PG_BIN ?? '/usr/lib/postgresql/15/bin';

/**
 * A PostgreSQL server of the test's own (initdb into a temp folder, a free port, trust auth),
 * which the test may stop and start again; the shared one on 5432 is never touched. Runs as the
 * `postgres` OS user when the tests run as root (PostgreSQL refuses to run as root).
 */
export interface PrivatePostgres {
  /** A migrated database `bowl` on it. */
  url: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops it and deletes its folder. */
  remove(): Promise<void>;
}

export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'bowl-pg-'));
  const data = join(dir, 'data');
  const owner = process.getuid?.() === 0 ? await postgresUser() : undefined;
  if (owner) await chown(dir, owner.uid, owner.gid);
  const pgCtl = (...args: string[]) => run(join(PG_BIN, 'pg_ctl'), ['-D', data, ...args], owner);
  await run(
    join(PG_BIN, 'initdb'),
    ['-D', data, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8'],
    owner,
  );
  const server: PrivatePostgres = {
    url: `postgresql://postgres@127.0.0.1:${port}/bowl`,
    start: async () => {
      const options = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
      await pgCtl('-l', join(dir, 'log'), '-o', options, '-w', 'start');
    },
    stop: async () => {
      await pgCtl('-m', 'fast', '-w', 'stop');
    },
    remove: async () => {
      await server.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  await server.start();
  const admin = new Client({ connectionString: server.url.replace(/\/bowl$/, '/postgres') });
  await admin.connect();
  await admin.query('CREATE DATABASE bowl');
  await admin.end();
  await runMigrations(server.url);
  return server;
}

async function postgresUser(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string) => Number((await run('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}
