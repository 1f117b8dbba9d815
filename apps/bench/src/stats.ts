/** Latency figures of one series of samples, in milliseconds. */
export interface Summary {
  count: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

/** Nearest-rank percentile of an ascending array (p in 0..100); NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

export function summarize(samples: readonly number[]): Summary {
  const sorted = Float64Array.from(samples).sort();
  const values = Array.from(sorted);
  return {
    count: values.length,
    p50: percentile(values, 50),
    p95: percentile(values, 95),
    p99: percentile(values, 99),
    max: values.length ? values[values.length - 1] : NaN,
  };
}

/** Events per second over `ms` milliseconds; NaN for an empty interval. */
export function rate(events: number, ms: number): number {
  return ms > 0 ? (events * 1000) / ms : NaN;
}

/** `numerator / denominator` with two decimals, or "n/a" when either is missing or zero. */
export function formatRatio(numerator: number, denominator: number): string {
  const ratio = numerator / denominator;
  return Number.isFinite(ratio) && denominator > 0 ? ratio.toFixed(2) : 'n/a';
}

export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 10) return ms.toFixed(2);
  if (ms < 100) return ms.toFixed(1);
  return ms.toFixed(0);
}

export function formatRate(perSecond: number): string {
  return Number.isFinite(perSecond) ? perSecond.toFixed(0) : '-';
}

/** Milliseconds on a monotonic clock. */
export const now = (): number => performance.now();

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));
