import { formatMs, formatRatio, percentile, rate, summarize } from './stats';

describe('stats', () => {
  it('takes nearest-rank percentiles', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([50, 95, 99, 100].map((p) => percentile(sorted, p))).toEqual([50, 95, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });

  it('summarizes unsorted samples', () => {
    expect(summarize([5, 1, 4, 2, 3])).toEqual({ count: 5, p50: 3, p95: 5, p99: 5, max: 5 });
    expect(summarize([10, 2, 300])).toEqual({ count: 3, p50: 10, p95: 300, p99: 300, max: 300 });
  });

  it('computes rates and ratios, n/a when the ratio has no meaning', () => {
    expect(rate(500, 250)).toBe(2000);
    expect(rate(5, 0)).toBeNaN();
    expect(formatRatio(812, 11000)).toBe('0.07');
    expect(formatRatio(3500, 5)).toBe('700.00');
    expect(formatRatio(1, 0)).toBe('n/a');
    expect(formatRatio(NaN, 3)).toBe('n/a');
  });

  it('formats milliseconds with precision where it matters', () => {
    expect([1.234, 12.34, 1234.5, NaN].map(formatMs)).toEqual(['1.23', '12.3', '1235', '-']);
  });
});
