import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { connectRecording, RecordingSocket, startFleet } from './support/fleet';
import { emitAck, postJson, registerUser, TestUser } from './support/clients';
import { makeContacts } from './support/chat';
import { newGroupKey, rsaEncrypt, wrapGroupKey, aesEncrypt } from './support/crypto';
import { TestDatabase } from './support/database';
import { expectOk } from './support/expect';
import { GatewayProcess } from './support/gateway-process';

/**
 * The logs of a whole run at the most verbose level: one real gateway process plays a full
 * conversation and a few failures; then its entire stdout and stderr are read back.
 */
const METRICS_TOKEN = `metrics-${randomBytes(12).toString('hex')}`;
const NEW_PASSWORD = `new password ${randomBytes(6).toString('hex')}`;
const WRONG_PASSWORD = `wrong password ${randomBytes(6).toString('hex')}`;

interface Line {
  level: string;
  msg: string;
  context?: string;
  reqId?: string;
  socket?: string;
  event?: string;
  req?: { url: string };
}

const requestId = (what: string) => `test-${what}-${randomBytes(4).toString('hex')}`;

describe('JSON logs with correlation ids (LOG_LEVEL=verbose, a full conversation)', () => {
  let db: TestDatabase;
  let gateway: GatewayProcess;
  /** Everything a log must never hold, by what it is. */
  const secrets = new Map<string, string>();
  const keep = (what: string, value: string) => secrets.set(what, value);
  let lines: Line[] = [];
  let output = '';
  const ids = { login: requestId('login'), reuse: requestId('reuse'), password: requestId('pw') };
  let alice: TestUser, bob: TestUser, carol: TestUser;
  let a: RecordingSocket, b: RecordingSocket;
  /** Socket ids, read while connected (socket.io-client forgets them on disconnect). */
  const socketId = { a: '', b: '' };
  let generatedRequestId: string | null = null;
  let internalRef = '';

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    postJson(gateway.url, path, body, headers);

  beforeAll(async () => {
    const fleet = await startFleet(1, { LOG_LEVEL: 'verbose', METRICS_TOKEN });
    [gateway] = fleet.gateways;
    db = fleet.db;
    try {
      await playAndFail();
    } finally {
      a?.close();
      b?.close();
      await fleet.stop();
    }
    output = gateway.output();
    lines = output
      .split('\n')
      .filter((l) => l.trim() !== '')
      .flatMap((l) => {
        try {
          return [JSON.parse(l) as Line];
        } catch {
          return [];
        }
      });
  }, 60_000);

  async function playAndFail(): Promise<void> {
    [alice, bob, carol] = await Promise.all(
      ['Alice', 'Bob', 'Carol'].map((name) => registerUser(gateway.url, { name })),
    );
    for (const [who, u] of Object.entries({ alice, bob, carol })) {
      keep(`${who}'s password`, u.password);
      keep(`${who}'s public key`, u.publicKey);
      keep(`${who}'s access token (register)`, u.token);
      keep(`${who}'s refresh token (register)`, u.refreshToken);
    }
    keep('a wrong password', WRONG_PASSWORD);
    keep('the new password', NEW_PASSWORD);
    keep('the metrics token', METRICS_TOKEN);

    // Logins (one refused), a refresh, and the refreshed access token handed to a socket.
    expect(
      (await post('/auth/login', { email: alice.email, password: WRONG_PASSWORD })).status,
    ).toBe(401);
    const login = await post(
      '/auth/login',
      { email: alice.email, password: alice.password },
      { 'X-Request-Id': ids.login },
    );
    expect([login.status, login.headers.get('x-request-id')]).toEqual([200, ids.login]);
    keep("alice's access token (login)", login.body.accessToken as string);
    keep("alice's refresh token (login)", login.body.refreshToken as string);
    const refreshed = await post('/auth/refresh', { refreshToken: login.body.refreshToken });
    expect(refreshed.status).toBe(200);
    generatedRequestId = refreshed.headers.get('x-request-id');
    const implausible = await fetch(`${gateway.url}/health/live`, {
      headers: { 'X-Request-Id': 'not an id {"level":"fatal"}' },
    });
    expect(implausible.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    keep("alice's access token (refresh)", refreshed.body.accessToken as string);
    keep("alice's refresh token (refresh)", refreshed.body.refreshToken as string);

    a = await connectRecording(gateway.url, alice.token);
    b = await connectRecording(gateway.url, bob.token);
    socketId.a = a.socket.id!;
    socketId.b = b.socket.id!;
    expect(await emitAck(a.socket, 'renewToken', { token: refreshed.body.accessToken })).toEqual({
      status: 'OK',
      expiresIn: expect.any(Number),
    });

    // 1:1 and group messages, wrapped group keys.
    await makeContacts(a.socket, b.socket, alice.email, bob.email);
    const toBob = await rsaEncrypt(bob.publicKey, 'hello Bob');
    keep('a 1:1 ciphertext', toBob);
    expectOk(await emitAck(a.socket, 'contactChatMessage', chat({ to: bob.email }, toBob)));
    await b.waitFor('contactChatMessage', (m) => m.message === toBob);
    const groupKey = await newGroupKey();
    const wrappedForAlice = await wrapGroupKey(groupKey, alice.publicKey);
    const wrappedForBob = await wrapGroupKey(groupKey, bob.publicKey);
    keep("alice's wrapped group key", wrappedForAlice);
    keep("bob's wrapped group key", wrappedForBob);
    const created = await emitAck(a.socket, 'createGroup', {
      name: 'Logs',
      encryptedGroupKey: wrappedForAlice,
    });
    const groupId = created.groupId as string;
    expectOk(
      await emitAck(a.socket, 'sendGroupRequest', {
        groupId,
        encryptedGroupKey: wrappedForBob,
        email: bob.email,
      }),
    );
    expectOk(await emitAck(b.socket, 'acceptGroupRequest', { groupId }));
    const toGroup = await aesEncrypt(groupKey, 'hello group');
    keep('a group ciphertext', toGroup);
    expectOk(await emitAck(b.socket, 'groupChatMessage', chat({ groupId }, toGroup)));
    await a.waitFor('groupChatMessage', (m) => m.message === toGroup);

    // An internal error (the store's function is gone for a moment): ERROR with a ref.
    const lost = await rsaEncrypt(bob.publicKey, 'never stored');
    keep('the ciphertext of a failed send', lost);
    await sql(db, 'ALTER FUNCTION bowl_store_batch RENAME TO bowl_store_batch_away');
    const failed = await emitAck(a.socket, 'contactChatMessage', chat({ to: bob.email }, lost));
    await sql(db, 'ALTER FUNCTION bowl_store_batch_away RENAME TO bowl_store_batch');
    expect(failed).toEqual({
      status: 'ERROR',
      error: 'internal error',
      code: 'internal',
      ref: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    internalRef = failed.ref as string;

    // A stolen refresh token used again; the metrics scrape; a password change with a cookie.
    const carolRefresh = await post('/auth/refresh', { refreshToken: carol.refreshToken });
    keep("carol's access token (refresh)", carolRefresh.body.accessToken as string);
    keep("carol's refresh token (refresh)", carolRefresh.body.refreshToken as string);
    const reused = await post(
      '/auth/refresh',
      { refreshToken: carol.refreshToken },
      { 'X-Request-Id': ids.reuse },
    );
    expect(reused.status).toBe(401);
    const metrics = await fetch(`${gateway.url}/metrics`, {
      headers: { Authorization: `Bearer ${METRICS_TOKEN}` },
    });
    expect(metrics.status).toBe(200);
    const cookie = `bowl-gateway=${randomBytes(8).toString('hex')}`;
    keep('a cookie', cookie);
    const changed = await post(
      '/auth/password',
      { currentPassword: bob.password, newPassword: NEW_PASSWORD },
      { Authorization: `Bearer ${bob.token}`, Cookie: cookie, 'X-Request-Id': ids.password },
    );
    expect(changed.status).toBe(204);
    await b.waitFor('sessionEnded', (p) => p.reason === 'password changed');
  }

  it('writes every line as JSON, through the logger (startup and shutdown too)', () => {
    const notJson = output.split('\n').filter((l) => l.trim() !== '' && !isJson(l));
    expect(notJson).toEqual([]);
    expect(lines.length).toBeGreaterThan(20);
    const bowl = lines.filter((l) => l.context === 'Bowl').map((l) => l.msg);
    expect(bowl[0]).toMatch(/^Bowl is listening on http:\/\/localhost:\d+/);
    expect(bowl.slice(1)).toEqual([
      expect.stringMatching(/^SIGTERM: shutting down within 25000 ms/),
      expect.stringMatching(/^shut down in \d+ ms$/),
    ]);
    expect(lines.filter((l) => l.level === 'trace').length).toBeGreaterThan(0);
  });

  it('holds no password, token, public key, wrapped key, ciphertext or cookie', () => {
    expect(secrets.size).toBe(27);
    const leaked = [...secrets].filter(([, value]) => output.includes(value)).map(([w]) => w);
    expect(leaked).toEqual([]);
    // Nor a recognisable part of one: the signature of each JWT, a slice of each key.
    const parts = [...secrets.values()].map((v) => (v.split('.')[2] ?? v).slice(-24));
    expect(parts.filter((p) => output.includes(p))).toEqual([]);
  });

  it("tags every line a socket event causes with the socket's id and the event", () => {
    const eventLines = (socket: string) =>
      lines
        .filter((l) => l.socket === socket && l.event !== undefined)
        .map((l) => `${l.event} ${l.msg.replace(/ in [\d.]+ ms$/, '')}`);
    expect(eventLines(socketId.a)).toEqual([
      'renewToken renewToken: ok',
      'sendContactRequest sendContactRequest: ok',
      'contactChatMessage contactChatMessage: ok',
      'createGroup createGroup: ok',
      'sendGroupRequest sendGroupRequest: ok',
      expect.stringMatching(
        new RegExp(`^contactChatMessage internal error ref=${internalRef} in a handler: `),
      ),
      'contactChatMessage contactChatMessage: internal',
    ]);
    // Each line carries its own fields and the context's, nothing left over from another line.
    const traceKeys = new Set(
      lines.filter((l) => l.level === 'trace').map((l) => Object.keys(l).sort().join(' ')),
    );
    expect([...traceKeys]).toEqual(['context event hostname level msg pid socket time']);
    expect(eventLines(socketId.b)).toEqual([
      'acceptContactRequest acceptContactRequest: ok',
      'acceptGroupRequest acceptGroupRequest: ok',
      'groupChatMessage groupChatMessage: ok',
    ]);
    // The connection's own lines carry the socket id too.
    const connection = (socket: string) =>
      lines.filter((l) => l.socket === socket && l.event === undefined).map((l) => l.msg);
    expect(connection(socketId.a)).toEqual([
      `user ${userId(alice)} connected`,
      `user ${userId(alice)} disconnected`,
    ]);
    expect(connection(socketId.b)).toEqual([
      `user ${userId(bob)} connected`,
      `user ${userId(bob)} disconnected`,
    ]);
  });

  it("tags every line an HTTP request causes with its request id (the client's, or a new one)", () => {
    const of = (reqId: string) =>
      lines.filter((l) => l.reqId === reqId).map((l) => `${l.level} ${l.msg}`);
    expect(of(ids.login)).toEqual([
      expect.stringMatching(/^debug user [0-9a-f-]{36} logged in$/),
      'info request completed',
    ]);
    expect(of(ids.reuse)).toEqual([
      'warn a refresh token was presented again after its rotation: session ended',
      'info request completed',
    ]);
    expect(of(ids.password)).toEqual([
      expect.stringMatching(/^info user [0-9a-f-]{36} changed the password: every session ended$/),
      'info request completed',
    ]);
    expect(generatedRequestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(of(generatedRequestId!)).toEqual(['info request completed']);
    // Probes and scrapers are not logged request by request.
    const urls = lines.flatMap((l) => (l.req ? [l.req.url] : []));
    expect(urls.filter((url) => /^\/(health|metrics)/.test(url))).toEqual([]);
    expect(urls).toContain('/auth/login');
  });
});

/** The user id an access token names (its `sub`). */
function userId(user: TestUser): string {
  return (
    JSON.parse(Buffer.from(user.token.split('.')[1], 'base64url').toString()) as { sub: string }
  ).sub;
}

function chat(to: { to: string } | { groupId: string }, message: string) {
  return { date: '01/12/2026', time: '09:30', messageType: 'text', message, ...to };
}

function isJson(line: string): boolean {
  try {
    return typeof JSON.parse(line) === 'object';
  } catch {
    return false;
  }
}

async function sql(db: TestDatabase, statement: string): Promise<void> {
  const client = new Client({ connectionString: db.url });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
