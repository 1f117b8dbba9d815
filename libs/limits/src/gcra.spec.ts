import { gcraAdvance, gcraOf, gcraWait } from './gcra';

describe('GCRA', () => {
  const perSecond = gcraOf({ count: 10, periodMs: 1000, burst: 3 }); // 100 ms apart, 3 at once

  /** Takes one at each instant, returning the wait of each (0 = allowed). */
  function run(times: number[]): number[] {
    let tat: number | undefined;
    return times.map((now) => {
      const wait = gcraWait(tat, now, perSecond, 1);
      if (wait === 0) tat = gcraAdvance(tat, now, perSecond, 1);
      return wait;
    });
  }

  it('allows a burst, then one per interval, and says how long to wait', () => {
    expect(run([0, 0, 0, 0])).toEqual([0, 0, 0, 100]);
    expect(run([0, 0, 0, 50, 100, 150, 200])).toEqual([0, 0, 0, 50, 0, 50, 0]);
  });

  it('refills the whole burst after burst × interval of quiet', () => {
    expect(run([0, 0, 0, 300, 300, 300, 300])).toEqual([0, 0, 0, 0, 0, 0, 100]);
  });

  it('never lets a quiet spell bank more than the burst', () => {
    expect(run([0, 10_000, 10_000, 10_000, 10_000])).toEqual([0, 0, 0, 0, 100]);
  });

  it('gives back what a negative cost returns, never below now', () => {
    let tat = gcraAdvance(undefined, 0, perSecond, 3);
    expect(gcraWait(tat, 0, perSecond, 1)).toBe(100);
    tat = gcraAdvance(tat, 0, perSecond, -1);
    expect(gcraWait(tat, 0, perSecond, 1)).toBe(0);
    expect(gcraAdvance(tat, 0, perSecond, -10)).toBe(0);
  });

  it('handles rates whose interval is not a whole number of ms', () => {
    const sevenPerSecond = gcraOf({ count: 7, periodMs: 1000, burst: 1 });
    let tat = gcraAdvance(undefined, 0, sevenPerSecond, 1);
    expect(gcraWait(tat, 0, sevenPerSecond, 1)).toBe(143); // 142.857… rounded up
    tat = gcraAdvance(tat, 143, sevenPerSecond, 1);
    expect(gcraWait(tat, 285, sevenPerSecond, 1)).toBe(1);
    expect(gcraWait(tat, 286, sevenPerSecond, 1)).toBe(0);
  });
});
