import { FULL, parseSettings, QUICK, UsageError } from './options';

describe('parseSettings', () => {
  it('defaults to the issue’s load, and --quick to a smaller one', () => {
    expect(parseSettings([], {})).toEqual({
      ...FULL,
      chartPath: expect.stringMatching(/bench\.svg$/),
    });
    expect(parseSettings(['--quick'], {})).toMatchObject({ ...QUICK, quick: true });
  });

  it('takes sizes and the chart path from flags, the chart also from BENCH_CHART', () => {
    expect(
      parseSettings(['--quick', '--users', '10', '--rate', '200', '--seconds', '1.5'], {
        BENCH_CHART: 'out/b.svg',
      }),
    ).toMatchObject({ quick: true, users: 10, rate: 200, measureS: 1.5, chartPath: 'out/b.svg' });
    expect(parseSettings(['--chart', 'docs/img/bench.svg'], {})).toMatchObject({
      chartPath: 'docs/img/bench.svg',
    });
    expect(parseSettings(['--help'], {})).toBe('help');
  });

  it('refuses bad values with a message naming the flag', () => {
    expect(() => parseSettings(['--users', '7'], {})).toThrow(
      new UsageError('--users must be even: users come in pairs (got 7)'),
    );
    expect(() => parseSettings(['--window', '0'], {})).toThrow(
      '--window must be a number from 1 to 1000 (got "0")',
    );
    expect(() => parseSettings(['--backlog', '2.5'], {})).toThrow(
      '--backlog must be a whole number (got "2.5")',
    );
    expect(() => parseSettings(['--frobnicate'], {})).toThrow(/Unknown option '--frobnicate'/);
  });
});
