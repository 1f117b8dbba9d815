import { ConfigError, loadEnvironment } from './config';

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
    });
    expect(env.DATABASE_URL).toBeUndefined();
  });

  it('reads and converts what is given', () => {
    const env = loadEnvironment({
      PORT: '8080',
      DATABASE_URL: 'postgresql://u:p@db:5432/bowl',
      REDIS_URL: 'redis://cache:6379',
      JWT_TTL: '15m',
      LOG_LEVEL: 'debug',
      MAX_GROUP_MEMBERS: '12',
    });
    expect(env).toMatchObject({
      MAX_GROUP_MEMBERS: 12,
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
