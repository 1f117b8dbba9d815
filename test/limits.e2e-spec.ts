import { generateKeyPairSync } from 'node:crypto';
import { Socket } from 'socket.io-client';
import { chatMessage, makeContacts } from './support/chat';
import {
  Ack,
  connect,
  emitAck,
  postJson,
  registerUser,
  TestUser,
  uniqueEmail,
} from './support/clients';
import { createTestDatabase, TestDatabase, testRedisPrefix } from './support/database';
import { Fleet, startFleet } from './support/fleet';
import { startTestApp, testConfig, TestApp } from './support/test-app';

const RATE_LIMITED = {
  status: 'ERROR',
  error: 'rate limited',
  code: 'rate_limited',
  retryAfterMs: expect.any(Number),
};

const statuses = (acks: Ack[]) => acks.map((ack) => ack.error ?? ack.status);

const PUBLIC_KEY = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .publicKey.export({ format: 'der', type: 'spki' })
  .toString('base64');

/** POST /auth/register of a new account, from `forwardedFor` when given. Its status. */
async function register(
  url: string,
  forwardedFor?: string,
): Promise<Awaited<ReturnType<typeof postJson>>> {
  return postJson(
    url,
    '/auth/register',
    {
      name: 'Someone',
      email: uniqueEmail('reg'),
      password: 'long enough password',
      publicKey: PUBLIC_KEY,
    },
    forwardedFor ? { 'x-forwarded-for': forwardedFor } : {},
  );
}

/** A Bowl in this process on the shared Redis (or, with `redis: false`, limits in memory). */
async function appWith(
  db: TestDatabase,
  env: Record<string, string>,
  redis = true,
): Promise<TestApp> {
  const shared: Record<string, string> = redis
    ? { REDIS_URL: process.env.BOWL_TEST_REDIS_URL!, REDIS_KEY_PREFIX: testRedisPrefix() }
    : {};
  return startTestApp(testConfig(db.url, { ...shared, ...env }));
}

async function registerPair(url: string): Promise<[TestUser, TestUser, Socket, Socket]> {
  const alice = await registerUser(url, { sharedKeys: true });
  const bob = await registerUser(url, { sharedKeys: true });
  const [aliceSocket, bobSocket] = await Promise.all([
    connect(url, alice.token),
    connect(url, bob.token),
  ]);
  return [alice, bob, aliceSocket, bobSocket];
}

describe('rate limits on socket events (real Redis)', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await appWith(db, {
      RATE_LIMIT_MESSAGES: '1/1m burst 10',
      RATE_LIMIT_CONTACT_REQUESTS: '3/1h',
      RATE_LIMIT_SOCKET_EVENTS: '1/1m burst 40',
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('accepts a burst of messages up to the limit, refuses the rest, keeps the socket', async () => {
    const [alice, bob, aliceSocket, bobSocket] = await registerPair(app.url);
    await makeContacts(aliceSocket, bobSocket, alice.email, bob.email);
    const acks = await Promise.all(
      Array.from({ length: 15 }, (_, i) =>
        emitAck(aliceSocket, 'contactChatMessage', chatMessage(bob.email, `burst-${i}`)),
      ),
    );
    expect(statuses(acks).filter((s) => s === 'OK')).toHaveLength(10);
    const refused = acks.filter((ack) => ack.status === 'ERROR');
    expect(refused).toHaveLength(5);
    for (const ack of refused) {
      expect(ack).toEqual(RATE_LIMITED);
      expect(ack.retryAfterMs).toBeGreaterThan(0);
      expect(ack.retryAfterMs).toBeLessThanOrEqual(60_000 * 5);
    }
    expect(aliceSocket.connected).toBe(true);
    // Other events still go through: the limit is per kind of event.
    expect(await emitAck(aliceSocket, 'removeContact', { email: bob.email })).toEqual({
      status: 'OK',
    });
    aliceSocket.close();
    bobSocket.close();
  });

  it('limits contact requests per user per hour', async () => {
    const sender = await registerUser(app.url, { sharedKeys: true });
    const socket = await connect(app.url, sender.token);
    const targets = await Promise.all(
      Array.from({ length: 4 }, () => registerUser(app.url, { sharedKeys: true })),
    );
    const acks: Ack[] = [];
    for (const target of targets) {
      acks.push(await emitAck(socket, 'sendContactRequest', { email: target.email }));
    }
    expect(statuses(acks)).toEqual(['OK', 'OK', 'OK', 'rate limited']);
    expect(acks[3]).toEqual(RATE_LIMITED);
    expect(acks[3].retryAfterMs).toBeGreaterThan(15 * 60_000); // 3 per hour: 20 min apart
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('limits events of any kind per socket, on its own bucket', async () => {
    const user = await registerUser(app.url, { sharedKeys: true });
    const flooder = await connect(app.url, user.token);
    const calm = await connect(app.url, user.token);
    const acks: Ack[] = [];
    for (let i = 0; i < 45; i++) {
      acks.push(await emitAck(flooder, 'declineContactRequest', { email: uniqueEmail() }));
    }
    expect(statuses(acks.slice(0, 40)).every((s) => s !== 'rate limited')).toBe(true);
    expect(acks.slice(40)).toEqual(Array(5).fill(RATE_LIMITED));
    expect(flooder.connected).toBe(true);
    const other = await emitAck(calm, 'declineContactRequest', { email: uniqueEmail() });
    expect(other.error).not.toBe('rate limited');
    flooder.close();
    calm.close();
  });
});

describe('rate limits on HTTP and handshakes (real Redis)', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await appWith(db, {
      RATE_LIMIT_REGISTER_PER_IP: '3/1h',
      RATE_LIMIT_REGISTER_PER_ACCOUNT: '2/1h',
      RATE_LIMIT_LOGIN_FAILURES_PER_ACCOUNT: '3/1h',
      RATE_LIMIT_LOGIN_FAILURES_PER_IP: '12/1h',
      RATE_LIMIT_CONNECTIONS_PER_USER: '3/1h',
    });
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('answers 429 with Retry-After once registrations from one address are over the limit', async () => {
    const results: number[] = [];
    let last: Awaited<ReturnType<typeof postJson>> | undefined;
    for (let i = 0; i < 4; i++) {
      last = await register(app.url);
      results.push(last.status);
    }
    expect(results).toEqual([201, 201, 201, 429]);
    expect(last!.body).toEqual({
      statusCode: 429,
      message: 'rate limited',
      code: 'rate_limited',
      retryAfterMs: expect.any(Number),
    });
    const retryAfter = Number(last!.headers.get('retry-after'));
    expect(retryAfter).toBe(Math.ceil((last!.body.retryAfterMs as number) / 1000));
    expect(retryAfter).toBeGreaterThan(1000); // one every 20 minutes
  });

  it('slows down failed logins for known and unknown addresses alike, and counts no success', async () => {
    const known = await registerUserWithoutIpLimit();
    for (let i = 0; i < 4; i++) {
      const ok = await postJson(app.url, '/auth/login', {
        email: known.email,
        password: known.password,
      });
      expect(ok.status).toBe(200);
    }
    const attempts = async (email: string) => {
      const answers = [];
      for (let i = 0; i < 4; i++) {
        const res = await postJson(app.url, '/auth/login', { email, password: 'wrong password!' });
        answers.push([res.status, res.body.message]);
      }
      return answers;
    };
    const expected = [
      [401, 'wrong email or password'],
      [401, 'wrong email or password'],
      [401, 'wrong email or password'],
      [429, 'rate limited'],
    ];
    expect(await attempts(known.email)).toEqual(expected);
    expect(await attempts(uniqueEmail('nobody'))).toEqual(expected);
    // Even the right password waits now: a guesser cannot tell when it found it.
    const right = await postJson(app.url, '/auth/login', {
      email: known.email,
      password: known.password,
    });
    expect(right.status).toBe(429);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThan(0);
    // The address has 6 failures of its 12 now (refused attempts are not counted); 6 more on
    // fresh accounts, then it is slowed down too.
    const fromHere = [];
    for (let i = 0; i < 7; i++) {
      fromHere.push(
        (await postJson(app.url, '/auth/login', { email: uniqueEmail('x'), password: 'nope nope' }))
          .status,
      );
    }
    expect(fromHere).toEqual([401, 401, 401, 401, 401, 401, 429]);
  });

  it('refuses a user’s connections over the limit with connect_error "rate limited"', async () => {
    const user = await registerUserWithoutIpLimit();
    const sockets = [];
    for (let i = 0; i < 3; i++) sockets.push(await connect(app.url, user.token));
    const refused = await connect(app.url, user.token).catch(
      (err: Error & { data?: object }) => err,
    );
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toBe('rate limited');
    expect((refused as Error & { data?: object }).data).toEqual({
      code: 'rate_limited',
      retryAfterMs: expect.any(Number),
    });
    for (const socket of sockets) socket.close();
  });

  /** Registers on a second app without the per-address limit, sharing the database. */
  let helper: TestApp | undefined;
  async function registerUserWithoutIpLimit(): Promise<TestUser> {
    helper ??= await appWith(db, {});
    return registerUser(helper.url, { sharedKeys: true });
  }
  afterAll(() => helper?.close());
});

describe('per-address limits and TRUST_PROXY', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(() => db?.drop());

  async function registrations(app: TestApp, forwardedFor: string[]): Promise<number[]> {
    const results: number[] = [];
    for (const address of forwardedFor) results.push((await register(app.url, address)).status);
    return results;
  }

  it('ignores X-Forwarded-For unless TRUST_PROXY says a proxy puts it there', async () => {
    const direct = await appWith(db, { RATE_LIMIT_REGISTER_PER_IP: '1/1h' });
    expect(await registrations(direct, ['198.51.100.1', '198.51.100.2'])).toEqual([201, 429]);
    await direct.close();

    const proxied = await appWith(db, { RATE_LIMIT_REGISTER_PER_IP: '1/1h', TRUST_PROXY: '1' });
    expect(
      await registrations(proxied, ['198.51.100.1', '198.51.100.2', 'spoof, 198.51.100.1']),
    ).toEqual([201, 201, 429]);
    await proxied.close();
  });

  it('refuses connections from one address over the limit', async () => {
    const app = await appWith(db, { RATE_LIMIT_CONNECTIONS_PER_IP: '2/1h' });
    const user = await registerUser(app.url, { sharedKeys: true });
    const first = await connect(app.url, user.token);
    const second = await connect(app.url, user.token);
    await expect(connect(app.url, user.token)).rejects.toThrow('rate limited');
    first.close();
    second.close();
    await app.close();
  });

  it('keeps the limits in memory without REDIS_URL', async () => {
    const app = await appWith(db, { RATE_LIMIT_REGISTER_PER_IP: '1/1h' }, false);
    expect(await registrations(app, ['a', 'b'])).toEqual([201, 429]);
    await app.close();
  });
});

describe('limits are shared by the instances of a fleet', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet(2, { RATE_LIMIT_CONTACT_REQUESTS: '2/1h' });
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('counts a user’s contact requests on both instances against one limit', async () => {
    const [a, b] = fleet.gateways.map((g) => g.url);
    const sender = await registerUser(a, { sharedKeys: true });
    const targets = await Promise.all(
      Array.from({ length: 3 }, () => registerUser(a, { sharedKeys: true })),
    );
    const onA = await connect(a, sender.token);
    const onB = await connect(b, sender.token);
    const acks = [
      await emitAck(onA, 'sendContactRequest', { email: targets[0].email }),
      await emitAck(onB, 'sendContactRequest', { email: targets[1].email }),
      await emitAck(onA, 'sendContactRequest', { email: targets[2].email }),
    ];
    expect(statuses(acks)).toEqual(['OK', 'OK', 'rate limited']);
    onA.close();
    onB.close();
  });
});
