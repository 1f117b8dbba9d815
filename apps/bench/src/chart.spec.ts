import { chartSpec, renderSvg } from './chart';
import type { IdleResult, Result } from './types';

const latency = (p50: number) => ({ count: 10, p50, p95: p50 * 2, p99: p50 * 3, max: p50 * 4 });

const results: Result[] = [
  { scenario: 'closed loop', side: 'bare relay', rate: 11000, latency: latency(3), notes: [] },
  { scenario: 'closed loop', side: 'Bowl', rate: 812, latency: latency(250), notes: [] },
  { scenario: 'backlog replay', side: 'bare relay', skipped: 'no storage', rate: NaN, notes: [] },
  { scenario: 'backlog replay', side: 'Bowl', rate: 9000, latency: latency(20), notes: [] },
];
const idle: IdleResult[] = [
  { side: 'bare relay', sockets: 3000, kibPerSocket: 12.7, connectPerSecond: 400 },
  { side: 'Bowl', sockets: 3000, kibPerSocket: 121.04, connectPerSecond: 80 },
];

describe('chart', () => {
  it('puts every measured figure in the spec, and nothing for a skipped side', () => {
    const spec = chartSpec(results, idle, 'test run') as unknown as {
      vconcat: { data: { values: object[] } }[];
    };
    const [rates, latencies, memory] = spec.vconcat.map((view) => view.data.values);
    expect(rates).toEqual([
      { scenario: 'closed loop', side: 'bare relay', rate: 11000 },
      { scenario: 'closed loop', side: 'Bowl', rate: 812 },
      { scenario: 'backlog replay', side: 'Bowl', rate: 9000 },
    ]);
    expect(latencies).toHaveLength(9);
    expect(latencies[0]).toEqual({
      scenario: 'closed loop',
      side: 'bare relay',
      percentile: 'p50',
      ms: 3,
    });
    expect(memory).toEqual([
      { side: 'bare relay', kib: 12.7 },
      { side: 'Bowl', kib: 121 },
    ]);
  });

  it('renders an SVG with the scenarios and sides in it', async () => {
    const svg = await renderSvg(chartSpec(results, idle, 'test run'));
    expect(svg.startsWith('<svg')).toBe(true);
    for (const text of ['closed loop', 'backlog replay', 'bare relay', 'Bowl', 'test run']) {
      expect(svg).toContain(text);
    }
  });
});
