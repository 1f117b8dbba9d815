/**
 * A rate limit as written in the environment: `<count>/<period>` (e.g. `100/1h`: 100 at once,
 * then one more every 36 s), optionally `<count>/<period> burst <n>` (a sustained rate of
 * count per period, with up to n at once), or `off`.
 */
export interface Rate {
  /** Sustained: `count` per `periodMs`. */
  count: number;
  periodMs: number;
  /** How many may come at once. */
  burst: number;
}

const RATE = /^(\d+)\/(\d+)(ms|s|m|h|d)(?:\s+burst\s+(\d+))?$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** The rate a setting describes, null for `off`, or undefined when it is not well formed. */
export function parseRate(spec: string): Rate | null | undefined {
  if (spec.trim() === 'off') return null;
  const match = RATE.exec(spec.trim());
  if (!match) return undefined;
  const count = Number(match[1]);
  const periodMs = Number(match[2]) * UNIT_MS[match[3] as keyof typeof UNIT_MS];
  const burst = match[4] === undefined ? count : Number(match[4]);
  if (count < 1 || periodMs < 1 || burst < 1) return undefined;
  return { count, periodMs, burst };
}

const DURATION = /^(\d+)(ms|s|m|h|d)?$/;

/** Milliseconds of a duration setting: `3600` (seconds), `500ms`, `15m`, `1h`, `30d`. */
export function durationMs(spec: string): number {
  const match = DURATION.exec(spec.trim());
  if (!match) throw new Error(`not a duration: ${spec}`);
  return Number(match[1]) * UNIT_MS[(match[2] ?? 's') as keyof typeof UNIT_MS];
}
