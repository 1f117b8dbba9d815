import { generateKeyPairSync } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { createTestDatabase, TestDatabase } from './support/database';
import { connect, connectError, postJson, registerUser, uniqueEmail } from './support/clients';
import { startTestApp, TEST_JWT_SECRET, testConfig, TestApp } from './support/test-app';

const sign = (claims: object, secret: string) => new JwtService({ secret }).sign(claims);

function spki(type: 'rsa' | 'ec', bits = 2048): string {
  const { publicKey } =
    type === 'rsa'
      ? generateKeyPairSync('rsa', { modulusLength: bits })
      : generateKeyPairSync('ec', { namedCurve: 'P-256' });
  return publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
}

describe('accounts and socket authentication (real PostgreSQL, real sockets)', () => {
  let db: TestDatabase;
  let app: TestApp;

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startTestApp(testConfig(db.url));
  });
  afterAll(async () => {
    await app?.close();
    await db?.drop();
  });

  it('register → login → connect with the token', async () => {
    const email = uniqueEmail('Alice');
    const res = await postJson(app.url, '/auth/register', {
      name: '  Alice  ',
      email: `  ${email.toUpperCase()} `,
      password: 'long enough password',
      publicKey: spki('rsa'),
    });
    expect(res.status).toBe(201);
    expect(res.body.user).toEqual({ name: 'Alice', email: email.toLowerCase() });
    expect(typeof res.body.accessToken).toBe('string');

    const login = await postJson(app.url, '/auth/login', {
      email: email.toLowerCase(),
      password: 'long enough password',
    });
    expect(login.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from((login.body.accessToken as string).split('.')[1], 'base64url').toString(),
    );
    expect(claims.email).toBe(email.toLowerCase());
    expect(claims.exp - claims.iat).toBe(3600); // JWT_TTL default 1h

    const socket = await connect(app.url, login.body.accessToken as string);
    expect(socket.connected).toBe(true);
    socket.close();
  });

  it('refuses a duplicate email with 409, whatever its case and spacing', async () => {
    const user = await registerUser(app.url);
    const res = await postJson(app.url, '/auth/register', {
      name: 'Copy',
      email: ` ${user.email.toUpperCase()}`,
      password: 'another password',
      publicKey: user.publicKey,
    });
    expect(res.status).toBe(409);
    expect(res.body.message).toBe('email is already registered');
  });

  it.each([
    ['not base64 at all', '%%%not-base64%%%', /publicKey must be base64/],
    [
      'base64 but not a key',
      Buffer.from('hello world, not DER').toString('base64'),
      /DER SubjectPublicKeyInfo/,
    ],
    ['an EC key', spki('ec'), /must be an RSA key, got ec/],
    ['a 1024-bit RSA key', spki('rsa', 1024), /at least 2048 bits, got 1024/],
  ])('refuses %s as publicKey with 400 saying why', async (_label, publicKey, message) => {
    const res = await postJson(app.url, '/auth/register', {
      name: 'Bob',
      email: uniqueEmail(),
      password: 'long enough password',
      publicKey,
    });
    expect(res.status).toBe(400);
    expect(res.body.message).toMatch(message);
  });

  it.each([
    ['a short password', { password: 'short' }, /password must be 10 to 1024 characters/],
    ['an empty name', { name: '   ' }, /name must be 1 to 64 characters/],
    ['a 65-character name', { name: 'x'.repeat(65) }, /name must be 1 to 64 characters/],
    ['a bad email', { email: 'not-an-email' }, /email must be a valid email address/],
    ['an unknown field', { admin: true }, /property admin should not exist/],
  ])('refuses %s with 400 and a readable message', async (_label, patch, message) => {
    const res = await postJson(app.url, '/auth/register', {
      name: 'Carol',
      email: uniqueEmail(),
      password: 'long enough password',
      publicKey: spki('rsa'),
      ...patch,
    });
    expect(res.status).toBe(400);
    expect(typeof res.body.message).toBe('string');
    expect(res.body.message).toMatch(message);
  });

  it('answers 401 with the same message for a wrong password and an unknown email', async () => {
    const user = await registerUser(app.url);
    const wrong = await postJson(app.url, '/auth/login', {
      email: user.email,
      password: 'wrong password!',
    });
    const unknown = await postJson(app.url, '/auth/login', {
      email: uniqueEmail(),
      password: user.password,
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.message).toBe('wrong email or password');
    expect(unknown.body.message).toBe(wrong.body.message);
  });

  describe('socket handshake', () => {
    it('refuses a missing token', async () => {
      expect(await connectError(app.url, undefined)).toBe('unauthorized');
    });

    it('refuses a garbage token', async () => {
      expect(await connectError(app.url, 'not.a.jwt')).toBe('unauthorized');
    });

    it('refuses a token signed with another secret', async () => {
      const user = await registerUser(app.url);
      const claims = JSON.parse(Buffer.from(user.token.split('.')[1], 'base64url').toString());
      const forged = sign(
        { sub: claims.sub, email: claims.email },
        'some-other-secret-of-enough-length!!',
      );
      expect(await connectError(app.url, forged)).toBe('unauthorized');
    });

    it('refuses an expired token', async () => {
      const user = await registerUser(app.url);
      const claims = JSON.parse(Buffer.from(user.token.split('.')[1], 'base64url').toString());
      const past = Math.floor(Date.now() / 1000) - 60;
      const expired = sign(
        { sub: claims.sub, email: claims.email, iat: past - 3600, exp: past },
        TEST_JWT_SECRET,
      );
      expect(await connectError(app.url, expired)).toBe('unauthorized');
    });

    it('refuses an unsigned token (alg none)', async () => {
      const user = await registerUser(app.url);
      const [, payload] = user.token.split('.');
      const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
      expect(await connectError(app.url, `${header}.${payload}.`)).toBe('unauthorized');
    });

    it('refuses a token for a user who no longer exists', async () => {
      const token = sign(
        { sub: '00000000-0000-4000-8000-000000000000', email: 'ghost@example.com' },
        TEST_JWT_SECRET,
      );
      expect(await connectError(app.url, token)).toBe('unauthorized');
    });
  });

  it('stores a salted, memory-hard hash, never the password', async () => {
    const a = await registerUser(app.url);
    const { Client } = await import('pg');
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query('SELECT password_hash FROM users WHERE email = $1', [
      a.email,
    ]);
    await client.end();
    expect(rows[0].password_hash).toMatch(/^scrypt\$32768\$8\$3\$[\w-]{22}\$[\w-]{43}$/);
    expect(rows[0].password_hash).not.toContain(a.password);
  });
});
