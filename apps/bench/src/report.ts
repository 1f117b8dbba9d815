import type { GatewayProcess } from './gateway';
import type { Row } from './types';
import { formatMs, formatRate, Summary } from './stats';

const COLUMNS: [title: string, width: number][] = [
  ['scenario', 26],
  ['n', 6],
  ['send→ok ms p50/p95/p99', 24],
  ['send→recv ms p50/p95/p99', 26],
  ['rate', 14],
  ['CPU % gw | db | bench | all', 30],
  ['gateway RSS MiB', 0],
];

function line(cells: string[]): string {
  return cells
    .map((cell, i) => (i === 1 ? cell.padStart(COLUMNS[i][1]) : cell.padEnd(COLUMNS[i][1])))
    .join('  ')
    .trimEnd();
}

const percentiles = (s?: Summary): string =>
  s && s.count ? `${formatMs(s.p50)} / ${formatMs(s.p95)} / ${formatMs(s.p99)}` : '-';

const mib = (value?: number): string => (value === undefined ? '?' : value.toFixed(0));
const pct = (value?: number): string => (value === undefined ? '-' : value.toFixed(0));

export function printHeader(): void {
  console.log(line(COLUMNS.map(([title]) => title)));
}

export function printRow(row: Row): void {
  const { usage } = row;
  const rss = usage.rss.length
    ? usage.rss.map((r) => `${mib(r.before)}→${mib(r.after)}`).join(', ')
    : '-';
  const gatewayCpu = usage.gatewayCpu.length ? usage.gatewayCpu.map(pct).join(', ') : '-';
  console.log(
    line([
      row.scenario,
      String(row.count),
      percentiles(row.sendToOk),
      percentiles(row.sendToReceipt),
      `${formatRate(row.rate)} ${row.rateUnit}`,
      [
        gatewayCpu,
        pct(usage.databaseCpu),
        pct(usage.benchCpu),
        `${pct(usage.machineCpu)}/${usage.cores * 100}`,
      ].join(' | '),
      rss,
    ]),
  );
  for (const note of row.notes) console.log(`    · ${note}`);
  for (const warning of row.warnings) console.log(`    ! ${warning}`);
  for (const problem of row.problems) console.log(`    ✗ ${problem}`);
}

/** The warnings and errors the gateways logged (LOG_LEVEL=warn), the last few of each. */
export function printGatewayLogs(gateways: readonly GatewayProcess[]): void {
  for (const gateway of gateways) {
    const logged = gateway.problems();
    if (!logged.length) continue;
    console.log(
      `bench: gateway ${gateway.name} logged ${logged.length} warning(s)/error(s), last:`,
    );
    for (const entry of logged.slice(-3)) {
      const lines = entry.split('\n').slice(0, 8);
      console.log(lines.map((l) => `    ${l}`).join('\n'));
    }
  }
}

const p50 = (row: Row, which: 'sendToOk' | 'sendToReceipt') =>
  `${formatMs(row[which]?.p50 ?? NaN)} ms`;

/** One line per scenario, each against the echo baseline of the same run. */
export function printSummary(rows: {
  echo1: Row;
  echoN: Row;
  single: Row;
  fleet: Row;
  group: Row;
  backlog: Row;
}): void {
  const { echo1, echoN, single, fleet, group, backlog } = rows;
  const baseline = `baseline echo ${p50(echo1, 'sendToOk')}; ${echoN.scenario.replace('baseline ', '')} ${p50(echoN, 'sendToOk')}`;
  const oneToOne = (label: string, row: Row) =>
    `bench: ${label} p50 send→ok ${p50(row, 'sendToOk')}, send→recv ${p50(row, 'sendToReceipt')}, ` +
    `${formatRate(row.rate)} msg/s (${baseline})`;
  console.log(oneToOne('1:1 single', single));
  console.log(oneToOne('1:1 fleet ', fleet));
  console.log(
    `bench: ${group.scenario}: p50 send→ok ${p50(group, 'sendToOk')}, ` +
      `send→member ${p50(group, 'sendToReceipt')}, ${formatRate(group.rate)} deliveries/s`,
  );
  console.log(
    `bench: ${backlog.scenario}: ${formatRate(backlog.rate)} msg/s ` +
      `(stored one at a time: p50 send→ok ${p50(backlog, 'sendToOk')})`,
  );
}
