import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as vega from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';
import type { IdleResult, Result } from './types';

const SIDES = ['bare relay', 'Bowl'];
const COLORS = ['#9aa5b1', '#2f6fde'];
const PERCENTILES = ['p50', 'p95', 'p99'] as const;

const color = {
  field: 'side',
  type: 'nominal',
  title: null,
  scale: { domain: SIDES, range: COLORS },
  legend: { orient: 'top' },
} as const;

/**
 * A Vega-Lite spec of the figures: delivered msg/s per scenario, the latency percentiles of each
 * scenario (log scale), and RSS per idle socket, Bowl beside the relay everywhere.
 */
export function chartSpec(
  results: readonly Result[],
  idle: readonly IdleResult[],
  subtitle: string,
): TopLevelSpec {
  const measured = results.filter((r) => !r.skipped);
  const scenarios = [...new Set(measured.map((r) => r.scenario))];
  const rates = measured
    .filter((r) => Number.isFinite(r.rate))
    .map((r) => ({ scenario: r.scenario, side: r.side, rate: Math.round(r.rate) }));
  const latencies = measured.flatMap((r) =>
    PERCENTILES.flatMap((p) => {
      const ms = r.latency?.[p];
      return ms !== undefined && Number.isFinite(ms)
        ? [{ scenario: r.scenario, side: r.side, percentile: p, ms: Math.max(ms, 0.01) }]
        : [];
    }),
  );
  const memory = idle
    .filter((r) => Number.isFinite(r.kibPerSocket))
    .map((r) => ({ side: r.side, kib: Math.round(r.kibPerSocket * 10) / 10 }));
  const scenarioAxis = {
    field: 'scenario',
    type: 'nominal',
    sort: scenarios,
    title: null,
  } as const;
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Bowl beside a bare socket.io relay', subtitle },
    background: 'white',
    spacing: 28,
    vconcat: [
      {
        title: 'Delivered messages per second (group: deliveries to members)',
        data: { values: rates },
        width: 560,
        height: 200,
        encoding: {
          x: { ...scenarioAxis, axis: { labelAngle: 0 } },
          xOffset: { field: 'side', sort: SIDES },
          y: { field: 'rate', type: 'quantitative', title: 'msg/s' },
          color,
        },
        layer: [
          { mark: 'bar' },
          {
            mark: { type: 'text', dy: -6, fontSize: 10 },
            encoding: { text: { field: 'rate', type: 'quantitative', format: ',d' } },
          },
        ],
      },
      {
        title: 'Sender → recipient latency, ms (log scale; backlog: connect → receipt)',
        data: { values: latencies },
        facet: { column: { ...scenarioAxis, header: { labelOrient: 'bottom' } } },
        spec: {
          width: 120,
          height: 180,
          encoding: {
            x: {
              field: 'percentile',
              type: 'ordinal',
              sort: PERCENTILES,
              title: null,
              axis: { labelAngle: 0 },
            },
            y: {
              field: 'ms',
              type: 'quantitative',
              scale: { type: 'log' },
              axis: { tickCount: 5 },
              title: 'ms',
            },
            color,
          },
          layer: [
            { mark: { type: 'line', point: true } },
            {
              mark: { type: 'text', dy: -9, fontSize: 9 },
              encoding: { text: { field: 'ms', type: 'quantitative', format: '.3~r' } },
            },
          ],
        },
      },
      {
        title: 'RSS per idle authenticated socket, KiB (one instance)',
        data: { values: memory },
        width: 560,
        height: 60,
        encoding: {
          y: { field: 'side', type: 'nominal', sort: SIDES, title: null },
          x: { field: 'kib', type: 'quantitative', title: 'KiB' },
          color,
        },
        layer: [
          { mark: 'bar' },
          {
            mark: { type: 'text', align: 'left', dx: 4 },
            encoding: { text: { field: 'kib', type: 'quantitative' } },
          },
        ],
      },
    ],
  } as TopLevelSpec;
}

/** Renders a Vega-Lite spec to SVG in Node (no browser, no canvas). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Writes the chart to `svgPath` and the raw figures beside it (same name, .json). */
export async function writeChart(
  svgPath: string,
  spec: TopLevelSpec,
  figures: object,
): Promise<string> {
  const jsonPath = svgPath.replace(/\.svg$/i, '') + '.json';
  mkdirSync(dirname(svgPath), { recursive: true });
  writeFileSync(svgPath, await renderSvg(spec));
  writeFileSync(jsonPath, `${JSON.stringify(figures, null, 2)}\n`);
  return jsonPath;
}
