import {
  accessTokenIssuedAt,
  issuedBeforePasswordChange,
  newRefreshToken,
  parseRefreshToken,
  sameHash,
} from './tokens';

describe('refresh tokens', () => {
  it('carry their session and 256 random bits; only a hash of the secret is kept', () => {
    const { token, sessionId, secretHash } = newRefreshToken();
    expect(token).toMatch(/^[0-9a-f-]{36}\.[\w-]{43}$/);
    expect(token.startsWith(`${sessionId}.`)).toBe(true);
    expect(secretHash).toHaveLength(32);
    expect(token).not.toContain(Buffer.from(secretHash).toString('base64url'));
    const parsed = parseRefreshToken(token)!;
    expect(parsed.sessionId).toBe(sessionId);
    expect(sameHash(parsed.secretHash, secretHash)).toBe(true);
  });

  it('rotate within a session: same session id, new secret', () => {
    const first = newRefreshToken();
    const next = newRefreshToken(first.sessionId);
    expect(next.sessionId).toBe(first.sessionId);
    expect(sameHash(next.secretHash, first.secretHash)).toBe(false);
  });

  it.each(['', 'garbage', `${'0'.repeat(36)}.x`, `${newRefreshToken().token}=`])(
    'refuses the malformed %p',
    (token) => expect(parseRefreshToken(token)).toBeNull(),
  );
});

describe('access tokens and password changes', () => {
  const changedAt = new Date(1_000_500); // 1000.5 s

  it('refuses tokens issued before the change, including earlier in the same second', () => {
    expect(issuedBeforePasswordChange(999, changedAt)).toBe(true);
    expect(issuedBeforePasswordChange(1000, changedAt)).toBe(true);
    expect(issuedBeforePasswordChange(1001, changedAt)).toBe(false);
    expect(issuedBeforePasswordChange(1, null)).toBe(false);
  });

  it('dates a token issued just after the change so that it is accepted', () => {
    const iat = accessTokenIssuedAt(1_000_900, changedAt);
    expect(iat).toBe(1001);
    expect(issuedBeforePasswordChange(iat, changedAt)).toBe(false);
    expect(accessTokenIssuedAt(5_000_000, changedAt)).toBe(5000);
    expect(accessTokenIssuedAt(5_000_999, null)).toBe(5000);
  });
});
