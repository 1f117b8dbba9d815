import { connect, connectError, emitAck, postJson, registerUser } from './support/clients';
import { createTestDatabase, TestDatabase, testRedisPrefix } from './support/database';
import { connectRecording, Fleet, RecordingSocket, startFleet } from './support/fleet';
import { GatewayProcess, startGateway } from './support/gateway-process';
import { TEST_JWT_SECRET } from './support/test-app';

/** Resolves once the server has disconnected the socket (at once if it already has). */
async function disconnected(r: RecordingSocket): Promise<void> {
  if (r.socket.connected) await new Promise((resolve) => r.socket.once('disconnect', resolve));
  expect(r.socket.connected).toBe(false);
}

const INVALID_REFRESH = {
  statusCode: 401,
  message: 'invalid refresh token',
  code: 'invalid_refresh_token',
};

describe('refresh tokens, logout and password change (two gateway processes)', () => {
  let fleet: Fleet;
  let a: string;
  let b: string;

  beforeAll(async () => {
    fleet = await startFleet(2);
    [a, b] = fleet.gateways.map((g) => g.url);
  }, 60_000);
  afterAll(() => fleet?.stop());

  it('register and login hand out an access token, a refresh token and its lifetime', async () => {
    const user = await registerUser(a);
    const login = await postJson(b, '/auth/login', { email: user.email, password: user.password });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.stringMatching(/^[0-9a-f-]{36}\.[\w-]{43}$/),
      expiresIn: 3600,
    });
    expect(login.body.refreshToken).not.toBe(user.refreshToken);
  });

  it('rotates on refresh; reusing a rotated token ends the whole session and its sockets', async () => {
    const user = await registerUser(a);
    const socket = await connectRecording(b, user.token);

    const first = await postJson(a, '/auth/refresh', { refreshToken: user.refreshToken });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      accessToken: expect.any(String),
      refreshToken: expect.any(String),
      expiresIn: 3600,
    });
    (await connect(a, first.body.accessToken as string)).close();
    const second = await postJson(b, '/auth/refresh', { refreshToken: first.body.refreshToken });
    expect(second.status).toBe(200);

    // The first token again: someone kept a copy. The session ends for everyone holding it.
    const reuse = await postJson(a, '/auth/refresh', { refreshToken: user.refreshToken });
    expect({ status: reuse.status, body: reuse.body }).toEqual({
      status: 401,
      body: INVALID_REFRESH,
    });
    expect(await socket.waitFor('sessionEnded')).toEqual({ reason: 'logged out' });
    await disconnected(socket);
    const newest = await postJson(a, '/auth/refresh', { refreshToken: second.body.refreshToken });
    expect({ status: newest.status, body: newest.body }).toEqual({
      status: 401,
      body: INVALID_REFRESH,
    });
  });

  it.each([
    ['garbage', 'not-a-token'],
    ['an unknown session', '00000000-0000-4000-8000-000000000000.' + 'A'.repeat(43)],
  ])('answers 401 to %s', async (_label, refreshToken) => {
    const res = await postJson(a, '/auth/refresh', { refreshToken });
    expect({ status: res.status, body: res.body }).toEqual({ status: 401, body: INVALID_REFRESH });
  });

  it('logout revokes the refresh token (idempotent) and ends only that session’s sockets', async () => {
    const user = await registerUser(a);
    const other = await postJson(a, '/auth/login', { email: user.email, password: user.password });
    const thisDevice = await connectRecording(a, user.token);
    const otherDevice = await connectRecording(b, other.body.accessToken as string);

    for (let i = 0; i < 2; i++) {
      const out = await postJson(b, '/auth/logout', { refreshToken: user.refreshToken });
      expect({ status: out.status, body: out.body }).toEqual({ status: 204, body: {} });
    }
    expect(await thisDevice.waitFor('sessionEnded')).toEqual({ reason: 'logged out' });
    await disconnected(thisDevice);
    const refresh = await postJson(a, '/auth/refresh', { refreshToken: user.refreshToken });
    expect(refresh.status).toBe(401);

    expect(otherDevice.socket.connected).toBe(true);
    expect(otherDevice.all('sessionEnded')).toEqual([]);
    expect(
      (await postJson(a, '/auth/refresh', { refreshToken: other.body.refreshToken })).status,
    ).toBe(200);
    otherDevice.close();
  });

  it('password change: needs the current password; ends every session on every instance', async () => {
    const user = await registerUser(a);
    const other = await postJson(b, '/auth/login', { email: user.email, password: user.password });
    const onA = await connectRecording(a, user.token);
    const onB = await connectRecording(b, other.body.accessToken as string);
    const bearer = { authorization: `Bearer ${user.token}` };
    const change = (body: object, headers: Record<string, string> = bearer) =>
      postJson(a, '/auth/password', body, headers);

    const wrong = await change({
      currentPassword: 'not my password',
      newPassword: 'brand new secret',
    });
    expect({ status: wrong.status, body: wrong.body }).toEqual({
      status: 403,
      body: {
        statusCode: 403,
        message: 'current password is wrong',
        code: 'wrong_current_password',
      },
    });
    const anonymous = await change(
      { currentPassword: user.password, newPassword: 'brand new secret' },
      {},
    );
    expect(anonymous.status).toBe(401);
    const short = await change({ currentPassword: user.password, newPassword: 'short' });
    expect([short.status, short.body.message]).toEqual([
      400,
      'newPassword must be 10 to 1024 characters',
    ]);
    expect(onA.all('sessionEnded')).toEqual([]);

    const done = await change({ currentPassword: user.password, newPassword: 'brand new secret' });
    expect(done.status).toBe(204);
    for (const socket of [onA, onB]) {
      expect(await socket.waitFor('sessionEnded')).toEqual({ reason: 'password changed' });
      await disconnected(socket);
    }
    expect(await connectError(b, user.token)).toBe('unauthorized');
    expect(await connectError(a, other.body.accessToken as string)).toBe('unauthorized');
    for (const refreshToken of [user.refreshToken, other.body.refreshToken]) {
      expect((await postJson(b, '/auth/refresh', { refreshToken })).status).toBe(401);
    }
    const old = await postJson(b, '/auth/login', { email: user.email, password: user.password });
    expect(old.status).toBe(401);
    const fresh = await postJson(b, '/auth/login', {
      email: user.email,
      password: 'brand new secret',
    });
    expect(fresh.status).toBe(200);
    (await connect(a, fresh.body.accessToken as string)).close(); // issued after: accepted
  });
});

describe('token expiry on sockets (JWT_TTL=2s)', () => {
  let db: TestDatabase;
  let gateway: GatewayProcess;

  beforeAll(async () => {
    db = await createTestDatabase();
    gateway = await startGateway({
      DATABASE_URL: db.url,
      REDIS_URL: process.env.BOWL_TEST_REDIS_URL!,
      REDIS_KEY_PREFIX: testRedisPrefix(),
      JWT_SECRET: TEST_JWT_SECRET,
      JWT_TTL: '2s',
    });
  });
  afterAll(async () => {
    await gateway?.stop();
    await db?.drop();
  });

  /** Fresh tokens (registering hashes a password, slow enough on a busy machine to eat 2 s). */
  async function refreshed(refreshToken: string) {
    const res = await postJson(gateway.url, '/auth/refresh', { refreshToken });
    return { token: res.body.accessToken as string, refreshToken: res.body.refreshToken as string };
  }

  it('tells a socket "token expired" when its token expires, then disconnects it', async () => {
    const user = await refreshed((await registerUser(gateway.url)).refreshToken);
    const socket = await connectRecording(gateway.url, user.token);
    expect(await socket.waitFor('sessionEnded', undefined, 5_000)).toEqual({
      reason: 'token expired',
    });
    await disconnected(socket);
  });

  it('renewToken moves the socket to a fresh token’s expiry; other tokens are refused', async () => {
    const [registered, stranger] = await Promise.all([
      registerUser(gateway.url),
      registerUser(gateway.url),
    ]);
    const user = await refreshed(registered.refreshToken);
    const socket = await connectRecording(gateway.url, user.token);
    const unauthorized = { status: 'ERROR', error: 'unauthorized', code: 'unauthorized' };
    const strangerToken = (await refreshed(stranger.refreshToken)).token;
    expect(await emitAck(socket.socket, 'renewToken', { token: strangerToken })).toEqual(
      unauthorized,
    );
    expect(await emitAck(socket.socket, 'renewToken', { token: 'not.a.jwt' })).toEqual(
      unauthorized,
    );
    expect(await emitAck(socket.socket, 'renewToken', {})).toMatchObject({
      status: 'ERROR',
      code: 'validation',
    });

    // Renewing every 0.7 s keeps it connected for three token lifetimes.
    let refreshToken = user.refreshToken;
    for (let round = 0; round < 9; round++) {
      const fresh = await refreshed(refreshToken);
      refreshToken = fresh.refreshToken;
      const ack = await emitAck(socket.socket, 'renewToken', { token: fresh.token });
      expect(ack).toEqual({ status: 'OK', expiresIn: expect.any(Number) });
      expect([1, 2]).toContain(ack.expiresIn);
      await new Promise((r) => setTimeout(r, 700));
    }
    expect(socket.all('sessionEnded')).toEqual([]);
    expect(socket.socket.connected).toBe(true);
    expect(await socket.waitFor('sessionEnded', undefined, 5_000)).toEqual({
      reason: 'token expired',
    });
    await disconnected(socket);
  }, 30_000);

  it('tells its sockets "server shutting down" when the instance stops', async () => {
    const user = await refreshed((await registerUser(gateway.url)).refreshToken);
    const socket = await connectRecording(gateway.url, user.token);
    await gateway.stop('SIGTERM');
    expect(socket.all('sessionEnded')).toEqual([{ reason: 'server shutting down' }]);
    await disconnected(socket);
  });
});
