import { createTestDatabase, TestDatabase, testRedisPrefix } from './support/database';
import { startPrivateRedis } from './support/private-redis';
import { startTestApp, testConfig, TestApp } from './support/test-app';

interface HealthBody {
  details: Record<string, { status: 'up' | 'down' }>;
}

async function getJson(url: string) {
  const res = await fetch(url);
  return { status: res.status, body: (await res.json()) as HealthBody };
}

async function waitFor<T>(
  probe: () => Promise<T>,
  ok: (v: T) => boolean,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (ok(value) || Date.now() > deadline) return value;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('health endpoints', () => {
  it('live and ready answer 200; ready answers 503 once the database is gone', async () => {
    const db: TestDatabase = await createTestDatabase();
    const app: TestApp = await startTestApp(testConfig(db.url));
    try {
      expect((await getJson(`${app.url}/health/live`)).status).toBe(200);
      const ready = await getJson(`${app.url}/health/ready`);
      expect(ready.status).toBe(200);
      expect(ready.body.details).toEqual({ database: { status: 'up' } });

      await db.drop();
      const down = await getJson(`${app.url}/health/ready`);
      expect(down.status).toBe(503);
      // Which dependency is down, never its error text (host and user names).
      expect(down.body.details).toEqual({ database: { status: 'down' } });
      expect((await getJson(`${app.url}/health/live`)).status).toBe(200);
    } finally {
      await app.close();
      await db.drop();
    }
  });

  it('with REDIS_URL, ready reports Redis too: 503 while it is down, 200 once it is back', async () => {
    const redis = await startPrivateRedis();
    const db = await createTestDatabase();
    let app: TestApp | undefined;
    try {
      app = await startTestApp(
        testConfig(db.url, {
          REDIS_URL: redis.url,
          REDIS_KEY_PREFIX: testRedisPrefix(),
        }),
      );
      const url = `${app.url}/health/ready`;
      const up = await getJson(url);
      expect(up.status).toBe(200);
      expect(up.body.details.redis).toEqual({ status: 'up' });

      await redis.kill();
      const down = await waitFor(
        () => getJson(url),
        (r) => r.status === 503,
      );
      expect(down.status).toBe(503);
      expect(down.body.details).toEqual({ database: { status: 'up' }, redis: { status: 'down' } });

      await redis.start();
      const back = await waitFor(
        () => getJson(url),
        (r) => r.status === 200,
        15_000,
      );
      expect(back.status).toBe(200);
    } finally {
      await app?.close();
      await redis.kill();
      await db.drop();
    }
  });
});
