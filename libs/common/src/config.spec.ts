import { ConfigError, loadEnvironment } from './config';
import { parseRate } from './rate';

describe('loadEnvironment', () => {
  it('applies the documented defaults', () => {
    const env = loadEnvironment({});
    expect(env).toMatchObject({
      PORT: 3000,
      JWT_TTL: '1h',
      LOG_LEVEL: 'log',
      NODE_ENV: 'development',
      MAX_GROUP_MEMBERS: 256,
      MAX_GROUPS_PER_USER: 200,
      MAX_PENDING_CONTACT_REQUESTS: 100,
      MAX_PENDING_GROUP_INVITATIONS: 100,
      SHUTDOWN_GRACE_MS: 25_000,
      DRAIN_DELAY_MS: 0,
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('keeps the desktop compatibility mode off unless DESKTOP_COMPAT=true', () => {
    expect(loadEnvironment({})).toMatchObject({
      DESKTOP_COMPAT: false,
      DESKTOP_COMPAT_PREFIX: '/desktop',
      DESKTOP_COMPAT_TOKEN_TTL: '7d',
    });
    expect(loadEnvironment({ DESKTOP_COMPAT: 'false' }).DESKTOP_COMPAT).toBe(false);
    expect(
      loadEnvironment({ DESKTOP_COMPAT: 'true', DESKTOP_COMPAT_PREFIX: '/api.v1/x-token_9' }),
    ).toMatchObject({ DESKTOP_COMPAT: true, DESKTOP_COMPAT_PREFIX: '/api.v1/x-token_9' });
  });

  it('reads and converts what is given', () => {
    const env = loadEnvironment({
      PORT: '8080',
      DATABASE_URL: 'postgresql://u:p@db:5432/bowl',
      REDIS_URL: 'redis://cache:6379',
      JWT_TTL: '15m',
      LOG_LEVEL: 'debug',
      MAX_GROUP_MEMBERS: '12',
      SHUTDOWN_GRACE_MS: '30000',
      DRAIN_DELAY_MS: '2000',
    });
    expect(env).toMatchObject({
      MAX_GROUP_MEMBERS: 12,
      SHUTDOWN_GRACE_MS: 30_000,
      DRAIN_DELAY_MS: 2000,
      PORT: 8080,
      JWT_TTL: '15m',
      LOG_LEVEL: 'debug',
      REDIS_URL: 'redis://cache:6379',
    });
  });

  it.each([
    [{ PORT: '70000' }, /PORT/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must be a postgresql:\/\/ URL/],
    [{ JWT_SECRET: 'short' }, /JWT_SECRET must be at least 32 characters/],
    [{ JWT_TTL: 'soon' }, /JWT_TTL/],
    [{ LOG_LEVEL: 'loud' }, /LOG_LEVEL/],
    [{ MAX_GROUP_MEMBERS: '1' }, /MAX_GROUP_MEMBERS/],
    [{ MAX_GROUPS_PER_USER: 'many' }, /MAX_GROUPS_PER_USER/],
    [{ MAX_PENDING_CONTACT_REQUESTS: '0' }, /MAX_PENDING_CONTACT_REQUESTS/],
    [{ MAX_PENDING_GROUP_INVITATIONS: '2.5' }, /MAX_PENDING_GROUP_INVITATIONS/],
    [{ DESKTOP_COMPAT: 'yes' }, /DESKTOP_COMPAT must be true or false/],
    [{ DESKTOP_COMPAT_PREFIX: 'desktop' }, /DESKTOP_COMPAT_PREFIX must be a path like \/desktop/],
    [{ DESKTOP_COMPAT_PREFIX: '/desk top' }, /DESKTOP_COMPAT_PREFIX must be a path/],
    [{ DESKTOP_COMPAT_PREFIX: '/desktop/' }, /DESKTOP_COMPAT_PREFIX must be a path/],
    [{ DESKTOP_COMPAT_PREFIX: '/auth' }, /must not start with \/auth/],
    [{ DESKTOP_COMPAT_PREFIX: '/socket.io/x' }, /must not start with \/auth, \/health/],
    [{ DESKTOP_COMPAT_TOKEN_TTL: 'a week' }, /DESKTOP_COMPAT_TOKEN_TTL/],
    [{ RATE_LIMIT_DESKTOP_LOOKUPS_PER_IP: 'many' }, /RATE_LIMIT_DESKTOP_LOOKUPS_PER_IP/],
    [{ SHUTDOWN_GRACE_MS: '500' }, /SHUTDOWN_GRACE_MS must not be less than 1000/],
    [{ DRAIN_DELAY_MS: '-1' }, /DRAIN_DELAY_MS must not be less than 0/],
    [
      { SHUTDOWN_GRACE_MS: '5000', DRAIN_DELAY_MS: '5000' },
      /DRAIN_DELAY_MS must be shorter than SHUTDOWN_GRACE_MS/,
    ],
  ])('refuses %p', (env, message) => {
    expect(() => loadEnvironment(env)).toThrow(ConfigError);
    expect(() => loadEnvironment(env)).toThrow(message);
  });

  it('requires JWT_SECRET and DATABASE_URL in production, naming the first missing one', () => {
    expect(() => loadEnvironment({ NODE_ENV: 'production', JWT_SECRET: 'x'.repeat(32) })).toThrow(
      'DATABASE_URL is required when NODE_ENV=production',
    );
    expect(() =>
      loadEnvironment({ NODE_ENV: 'production', DATABASE_URL: 'postgres://h/db' }),
    ).toThrow('JWT_SECRET is required when NODE_ENV=production');
  });
});

describe('rate limit settings', () => {
  it('reads count/period, an optional burst, and off', () => {
    expect(parseRate('100/1h')).toEqual({ count: 100, periodMs: 3_600_000, burst: 100 });
    expect(parseRate('20/1s burst 200')).toEqual({ count: 20, periodMs: 1000, burst: 200 });
    expect(parseRate('off')).toBeNull();
    expect(parseRate('0/1s')).toBeUndefined();
    expect(parseRate('ten per second')).toBeUndefined();
  });

  it('has a well-formed default for every limit, and refuses a malformed one by name', () => {
    const env = loadEnvironment({});
    const limits = Object.entries(env).filter(([name]) => name.startsWith('RATE_LIMIT_'));
    expect(limits.length).toBe(11);
    for (const [, spec] of limits) expect(parseRate(spec as string)).toBeTruthy();
    expect(() => loadEnvironment({ RATE_LIMIT_MESSAGES: '20 a second' })).toThrow(
      'RATE_LIMIT_MESSAGES must look like 100/1h, 20/1s burst 200 or off',
    );
  });
});
