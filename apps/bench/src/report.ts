import type { FanOutCounters } from './metrics';
import type { Usage } from './probe';
import type { ServerProcess } from './server';
import { formatMs, formatRate, formatRatio } from './stats';
import type { IdleResult, Result } from './types';

const COLUMNS: [title: string, width: number][] = [
  ['side', 11],
  ['msg/s', 7],
  ['p50 ms', 7],
  ['p95 ms', 7],
  ['p99 ms', 7],
  ['errors', 6],
  ['lost', 5],
  ['server CPU %', 13],
  ['server RSS MiB', 15],
  ['db CPU %', 8],
  ['redis CPU %', 11],
  ['bench CPU %', 11],
  ['machine %', 0],
];

/** Text columns left-aligned, figures right-aligned, two spaces apart. */
function line(cells: string[]): string {
  return cells
    .map((cell, i) => {
      const width = COLUMNS[i][1];
      return i === 0 || i >= 7 ? cell.padEnd(width) : cell.padStart(width);
    })
    .join('  ')
    .trimEnd();
}

const pct = (value?: number): string =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(0);
const mib = (value?: number): string => (value === undefined ? '?' : value.toFixed(0));

export const tableHeader = (): string => `  ${line(COLUMNS.map(([title]) => title))}`;

/** CPU % of the machine not used by this side's servers, database sessions, Redis or the bench. */
export function cpuElsewhere(usage: Usage): number | undefined {
  if (usage.machineCpu === undefined) return undefined;
  const ours = [...usage.serverCpu, usage.databaseCpu, usage.redisCpu, usage.benchCpu];
  return Math.max(0, usage.machineCpu - ours.reduce<number>((sum, v) => sum + (v ?? 0), 0));
}

/** Above this, a row says the machine was shared with other work. */
const ELSEWHERE_NOTE_PCT = 25;

/** One side's row in a scenario's table, then its notes and problems. */
export function resultLines(result: Result): string[] {
  if (result.skipped) return [`  ${line([result.side, '-'])}  (${result.skipped})`];
  const { latency, verdict, usage } = result;
  const row = line([
    result.side,
    formatRate(result.rate),
    formatMs(latency?.p50 ?? NaN),
    formatMs(latency?.p95 ?? NaN),
    formatMs(latency?.p99 ?? NaN),
    String(verdict?.errors ?? '-'),
    String(verdict?.lost ?? '-'),
    usage ? usage.serverCpu.map(pct).join(' + ') : '-',
    usage ? usage.rss.map((r) => mib(r.after)).join(', ') : '-',
    pct(usage?.databaseCpu),
    pct(usage?.redisCpu),
    pct(usage?.benchCpu),
    usage ? `${pct(usage.machineCpu)}/${usage.cores * 100}` : '-',
  ]);
  const lines = [`  ${row}`];
  const elsewhere = usage && cpuElsewhere(usage);
  if (elsewhere !== undefined && elsewhere > ELSEWHERE_NOTE_PCT) {
    lines.push(`      · ${elsewhere.toFixed(0)}% CPU went to other processes: figures understated`);
  }
  if (verdict?.errors)
    lines.push(`      ! ${verdict.errors} send(s) failed, e.g. "${verdict.firstError}"`);
  for (const note of result.notes) lines.push(`      · ${note}`);
  if (result.fanOut) lines.push(`      · ${fanOutLine(result.fanOut)}`);
  for (const problem of verdict?.problems ?? []) lines.push(`      ✗ ${problem}`);
  return lines;
}

/** Per instance: notices it received ÷ messages it delivered, "n/a" without its counters. */
export function fanOutLine(perInstance: readonly FanOutCounters[]): string {
  const cells = perInstance.map(({ noticesReceived: notices, messagesDelivered: delivered }, i) => {
    const name = String.fromCharCode(97 + i);
    if (notices === undefined || delivered === undefined) return `${name} n/a`;
    return `${name} ${notices}/${delivered} = ${formatRatio(notices, delivered)}`;
  });
  return `notices received ÷ messages delivered, per instance: ${cells.join('; ')}`;
}

export function idleLines(results: readonly IdleResult[]): string[] {
  return [
    `  ${'side'.padEnd(11)}  ${'KiB/socket'.padStart(10)}  ${'RSS before → after MiB'.padEnd(22)}  connects/s`,
    ...results.map(
      (r) =>
        `  ${r.side.padEnd(11)}  ${(Number.isFinite(r.kibPerSocket) ? r.kibPerSocket.toFixed(1) : '-').padStart(10)}  ` +
        `${`${mib(r.rssBeforeMiB)} → ${mib(r.rssAfterMiB)}`.padEnd(22)}  ${formatRate(r.connectPerSecond)}`,
    ),
  ];
}

/** The three lines every run ends with (a figure that could not be measured is "n/a"). */
export function finalLines(figures: {
  bowlClosedRate: number;
  bareClosedRate: number;
  bowlOpenP99: number;
  bareOpenP99: number;
  bowlIdleKiB: number;
}): string[] {
  return [
    `throughput ratio: ${formatRatio(figures.bowlClosedRate, figures.bareClosedRate)}`,
    `p99 ratio: ${formatRatio(figures.bowlOpenP99, figures.bareOpenP99)}`,
    `idle socket KiB: ${Number.isFinite(figures.bowlIdleKiB) ? figures.bowlIdleKiB.toFixed(1) : 'n/a'}`,
  ];
}

/** The warnings and errors the servers logged, the last few of each. */
export function serverLogLines(servers: readonly ServerProcess[]): string[] {
  const lines: string[] = [];
  for (const server of servers) {
    const logged = server.problems();
    if (!logged.length) continue;
    lines.push(`bench: ${server.name} logged ${logged.length} warning(s)/error(s), last:`);
    for (const entry of logged.slice(-3)) {
      lines.push(
        ...entry
          .split('\n')
          .slice(0, 8)
          .map((l) => `    ${l}`),
      );
    }
  }
  return lines;
}
