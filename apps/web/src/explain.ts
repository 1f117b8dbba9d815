/** What the web client tells people about refusals and ended sessions. */

/** `12 s` up to two minutes, then `3 min`, then `2 h`: rounded up, never `0`. */
export function waitText(ms: number): string {
  const seconds = Math.max(1, Math.ceil(ms / 1000));
  if (seconds < 120) return `${seconds} s`;
  const minutes = Math.ceil(seconds / 60);
  return minutes < 120 ? `${minutes} min` : `${Math.ceil(minutes / 60)} h`;
}

/**
 * A refusal, for people: the server's text (the SDK's typed errors carry it as `message`), and
 * when the server asked to wait (rate limits, over a socket or HTTP) for how long.
 */
export function explainError(err: unknown): string {
  const { message, retryAfterMs } = (err ?? {}) as { message?: unknown; retryAfterMs?: unknown };
  const text = typeof message === 'string' && message ? message : 'something went wrong';
  return typeof retryAfterMs === 'number'
    ? `${text}: try again in ${waitText(retryAfterMs)}`
    : text;
}

/** Why the login screen is back, from the reason the session ended with. */
export function explainSessionEnd(reason: string): string {
  switch (reason) {
    case 'logged out':
      return 'You were logged out. Log in again.';
    case 'password changed':
      return 'Your password was changed. Log in with the new one.';
    case 'token expired':
    case 'refresh token refused':
    case 'unauthorized':
      return 'Your session expired. Log in again.';
    default:
      return `Signed out: ${reason}. Log in again.`;
  }
}
