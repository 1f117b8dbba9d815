import type { Rate } from '@app/common';

/**
 * GCRA (generic cell rate algorithm), the token bucket kept as one number: the theoretical
 * arrival time (TAT) of the next request. A request of `cost` is allowed when
 * `max(tat, now) + cost·interval - burst·interval <= now`; allowing it moves the TAT by
 * `cost·interval`. A negative cost gives back what was taken (never below now).
 * The Lua script in redis-rate-store.ts is the same arithmetic, inside Redis.
 */
export interface Gcra {
  /** Milliseconds between two requests at the sustained rate. */
  intervalMs: number;
  /** How many requests may come at once. */
  burst: number;
}

export function gcraOf(rate: Rate): Gcra {
  return { intervalMs: rate.periodMs / rate.count, burst: rate.burst };
}

/** How long to wait (ms, rounded up) before `cost` more would be allowed; 0 if allowed now. */
export function gcraWait(tat: number | undefined, now: number, g: Gcra, cost: number): number {
  if (cost <= 0) return 0;
  const wait = Math.max(tat ?? now, now) + (cost - g.burst) * g.intervalMs - now;
  return wait > 0 ? Math.ceil(wait) : 0;
}

/** The TAT once `cost` has been taken (or given back, when negative). */
export function gcraAdvance(tat: number | undefined, now: number, g: Gcra, cost: number): number {
  return Math.max(Math.max(tat ?? now, now) + cost * g.intervalMs, now);
}
