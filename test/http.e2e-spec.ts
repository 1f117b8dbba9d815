import { io, Socket } from 'socket.io-client';
import { chatMessage, makeContacts } from './support/chat';
import { connect, emitAck, registerUser } from './support/clients';
import { createTestDatabase, TestDatabase } from './support/database';
import { startTestApp, testConfig, TestApp } from './support/test-app';

/** Opens a socket as a browser page at `origin` would; resolves with "connected" or the error. */
function connectFrom(url: string, token: string, origin?: string): Promise<string> {
  const socket: Socket = io(url, {
    auth: { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
    extraHeaders: origin ? { origin } : {},
  });
  return new Promise((resolve) => {
    socket.once('connect', () => {
      socket.close();
      resolve('connected');
    });
    socket.once('connect_error', (err) => {
      socket.close();
      resolve(err.message);
    });
  });
}

async function post(url: string, body: string, contentType: string) {
  const res = await fetch(`${url}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('HTTP hardening and sizes (real PostgreSQL, real sockets)', () => {
  let db: TestDatabase;
  let app: TestApp;
  let open: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(testConfig(db.url));
    open = await startTestApp(testConfig(db.url, { CORS_ORIGINS: 'https://chat.example' }));
  });
  afterAll(async () => {
    await app?.close();
    await open?.close();
    await db?.drop();
  });

  it('sends helmet’s headers and no X-Powered-By', async () => {
    const res = await fetch(`${app.url}/health/live`);
    expect(res.headers.get('x-powered-by')).toBeNull();
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
  });

  it('takes JSON only (415), at most 64 KiB (413), well formed (400)', async () => {
    const login = JSON.stringify({ email: 'a@example.com', password: 'whatever password' });
    expect(await post(app.url, login, 'text/plain')).toEqual({
      status: 415,
      body: {
        statusCode: 415,
        message: 'request body must be application/json',
        code: 'unsupported_media_type',
      },
    });
    expect(
      (await post(app.url, 'email=a%40example.com', 'application/x-www-form-urlencoded')).status,
    ).toBe(415);
    const huge = JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(100_000) });
    expect(await post(app.url, huge, 'application/json')).toEqual({
      status: 413,
      body: {
        statusCode: 413,
        message: 'request body must be at most 65536 bytes',
        code: 'payload_too_large',
      },
    });
    expect(await post(app.url, '{"email":', 'application/json; charset=utf-8')).toEqual({
      status: 400,
      body: { statusCode: 400, message: 'request body must be valid JSON', code: 'validation' },
    });
  });

  it('allows no other browser origin by default, on HTTP and sockets', async () => {
    const preflight = await fetch(`${app.url}/auth/login`, {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const user = await registerUser(app.url, { sharedKeys: true });
    expect(await connectFrom(app.url, user.token, 'https://evil.example')).not.toBe('connected');
    expect(await connectFrom(app.url, user.token, app.url)).toBe('connected'); // same origin
    expect(await connectFrom(app.url, user.token)).toBe('connected'); // not a browser
  });

  it('allows the origins of CORS_ORIGINS, and only those', async () => {
    const preflight = (origin: string) =>
      fetch(`${open.url}/auth/login`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST' },
      });
    expect(
      (await preflight('https://chat.example')).headers.get('access-control-allow-origin'),
    ).toBe('https://chat.example');
    expect(
      (await preflight('https://evil.example')).headers.get('access-control-allow-origin'),
    ).toBeNull();
    const user = await registerUser(open.url, { sharedKeys: true });
    expect(await connectFrom(open.url, user.token, 'https://chat.example')).toBe('connected');
    expect(await connectFrom(open.url, user.token, 'https://evil.example')).not.toBe('connected');
  });

  it('answers a message over MAX_MESSAGE_BYTES with ERROR; a frame over 1 MiB closes only its connection', async () => {
    const alice = await registerUser(app.url, { sharedKeys: true });
    const bob = await registerUser(app.url, { sharedKeys: true });
    const aliceSocket = await connect(app.url, alice.token);
    const bobSocket = await connect(app.url, bob.token);
    await makeContacts(aliceSocket, bobSocket, alice.email, bob.email);

    const big = await emitAck(
      aliceSocket,
      'contactChatMessage',
      chatMessage(bob.email, 'x'.repeat(200_000)),
    );
    expect(big).toMatchObject({ status: 'ERROR', error: expect.stringContaining('65536') });
    expect(aliceSocket.connected).toBe(true);

    const closed = new Promise<string>((resolve) => aliceSocket.once('disconnect', resolve));
    aliceSocket.emit('contactChatMessage', chatMessage(bob.email, 'x'.repeat(2 * 1024 * 1024)));
    expect(await closed).toBe('transport close');
    expect(bobSocket.connected).toBe(true);
    expect(
      await emitAck(bobSocket, 'contactChatMessage', chatMessage(alice.email, 'still here')),
    ).toMatchObject({
      status: 'OK',
    });
    bobSocket.close();
  });
});
