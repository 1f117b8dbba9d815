// `npm audit --omit=dev` as a check: exit 1 on a high or critical advisory, 0 on none, and 2 when
// npm's audit endpoint gave no report (behind some registry proxies it answers POST with 405), so
// that CI says it could not ask instead of counting a pass.
import { spawnSync } from 'node:child_process';

const run = spawnSync('npm', ['audit', '--omit=dev', '--json'], { encoding: 'utf8' });
let report;
try {
  report = JSON.parse(run.stdout);
} catch {
  report = undefined;
}
const counts = report?.metadata?.vulnerabilities;
if (!counts) {
  const why = report?.message || run.stderr?.trim().split('\n').pop() || `exit ${run.status}`;
  console.log(`npm audit: no report (${why}): not checked`);
  process.exit(2);
}
console.log(
  `npm audit --omit=dev: ${Object.entries(counts)
    .map(([severity, n]) => `${n} ${severity}`)
    .join(', ')}`,
);
const serious = Object.entries(report.vulnerabilities ?? {}).filter(([, v]) =>
  ['high', 'critical'].includes(v.severity),
);
for (const [name, v] of serious) console.log(`  ${v.severity}: ${name} ${v.range}`);
process.exit(serious.length > 0 ? 1 : 0);
