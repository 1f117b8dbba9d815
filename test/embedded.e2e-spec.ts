import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, registerUser } from './support/clients';
import { GATEWAY_MAIN, startGateway } from './support/gateway-process';

describe('npm start: the embedded default', () => {
  let home: string;
  beforeAll(() => {
    home = mkdtempSync(join(tmpdir(), 'bowl-home-'));
  });
  afterAll(() => rmSync(home, { recursive: true, force: true }));

  it('boots with no DATABASE_URL, REDIS_URL or JWT_SECRET, serves register and sockets, stops cleanly', async () => {
    const gateway = await startGateway(
      { BOWL_HOME: home, LOG_LEVEL: 'log' },
      { readyTimeoutMs: 60_000 },
    );
    try {
      const ready = await fetch(`${gateway.url}/health/ready`);
      expect(ready.status).toBe(200);
      const user = await registerUser(gateway.url);
      const socket = await connect(gateway.url, user.token);
      expect(socket.connected).toBe(true);
      socket.close();

      expect(gateway.output()).toContain(
        `DATABASE_URL unset: embedded PostgreSQL in ${join(home, 'pg')}`,
      );
      expect(gateway.output()).toContain(
        'REDIS_URL and REDIS_CLUSTER_NODES unset: single instance',
      );
      expect(gateway.output()).toContain(`listening on http://localhost:${gateway.port}`);
      expect(readFileSync(join(home, 'jwt-secret'), 'utf8').trim().length).toBeGreaterThanOrEqual(
        48,
      );
    } finally {
      expect(await gateway.stop('SIGTERM')).toBe(0);
    }
    expect(existsSync(join(home, 'pg', 'postmaster.pid'))).toBe(false);

    // A second start keeps the data and the secret: the same account still logs in.
    const again = await startGateway({ BOWL_HOME: home }, { readyTimeoutMs: 60_000 });
    try {
      expect(again.output()).not.toContain('migration(s) applied, ');
      const res = await fetch(`${again.url}/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@example.com', password: 'whatever12' }),
      });
      expect(res.status).toBe(401);
    } finally {
      expect(await again.stop('SIGTERM')).toBe(0);
    }
  }, 120_000);

  it.each(['JWT_SECRET', 'DATABASE_URL'])(
    'refuses to start in production without %s, with one line naming it',
    (missing) => {
      const env: Record<string, string> = {
        PATH: process.env.PATH ?? '',
        NODE_ENV: 'production',
        DATABASE_URL: 'postgresql://postgres@127.0.0.1:5432/postgres',
        JWT_SECRET: 'x'.repeat(40),
      };
      delete env[missing];
      const run = spawnSync(process.execPath, [GATEWAY_MAIN], {
        env,
        encoding: 'utf8',
        timeout: 20_000,
      });
      expect(run.status).toBe(1);
      expect(refusal(run)).toBe(`bowl: ${missing} is required when NODE_ENV=production`);
    },
  );

  it('refuses an invalid setting with a line naming it', () => {
    const run = spawnSync(process.execPath, [GATEWAY_MAIN], {
      env: { PATH: process.env.PATH ?? '', PORT: 'eighty', JWT_TTL: 'forever' },
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(run.status).toBe(1);
    expect(refusal(run)).toMatch(/^bowl: invalid configuration: .*PORT.*JWT_TTL|JWT_TTL.*PORT/);
  });
});

/** The one line a refused start prints: a JSON log line at level error; its message. */
function refusal(run: { stdout: string; stderr: string }): string {
  const lines = run.stdout.trim().split('\n');
  expect([lines.length, run.stderr]).toEqual([1, '']);
  const line = JSON.parse(lines[0]) as { level: string; msg: string };
  expect(line.level).toBe('error');
  return line.msg;
}
