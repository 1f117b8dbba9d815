import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * A refresh token is `<session id>.<secret>`: the session (token family) it belongs to, and 256
 * random bits. Only the SHA-256 of the secret is stored.
 */
export interface RefreshTokenParts {
  sessionId: string;
  secretHash: TokenHash;
}

/** SHA-256, as stored in refresh_tokens.token_hash (bytea). */
export type TokenHash = Uint8Array<ArrayBuffer>;

const REFRESH_TOKEN =
  /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([\w-]{43})$/;

const sha256 = (text: string): TokenHash =>
  new Uint8Array(createHash('sha256').update(text).digest());

/** A fresh token for a session (a new one when `sessionId` is omitted), and what to store. */
export function newRefreshToken(sessionId: string = randomUUID()): RefreshTokenParts & {
  token: string;
} {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${sessionId}.${secret}`, sessionId, secretHash: sha256(secret) };
}

/** The parts of a well-formed refresh token, or null. */
export function parseRefreshToken(token: string): RefreshTokenParts | null {
  const match = REFRESH_TOKEN.exec(token);
  return match ? { sessionId: match[1], secretHash: sha256(match[2]) } : null;
}

export function sameHash(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The `iat` (seconds) of an access token issued at `nowMs`. A token whose `iat` is before the
 * last password change is refused; since `iat` has whole seconds, a token issued in the same
 * second as the change, but after it, is dated the next second so that it is not refused.
 */
export function accessTokenIssuedAt(nowMs: number, passwordChangedAt: Date | null): number {
  const now = Math.floor(nowMs / 1000);
  return passwordChangedAt ? Math.max(now, Math.ceil(passwordChangedAt.getTime() / 1000)) : now;
}

/** Whether a token with this `iat` was issued before the password changed. */
export function issuedBeforePasswordChange(iat: number, passwordChangedAt: Date | null): boolean {
  return passwordChangedAt !== null && iat * 1000 < passwordChangedAt.getTime();
}
