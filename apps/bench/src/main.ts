/**
 * Bowl load generator: `npm run bench` (needs the built gateway: `npm run build`).
 *
 * Creates a database of its own (`bowl_bench_<random>`, migrated) and a Redis key prefix of its
 * own, runs the built gateway as real processes on free ports of 127.0.0.1, measures, and removes
 * all of it again: on success, on error, on Ctrl-C and at the time limit.
 *
 * Scenarios, each one row of the table, compared within the same run:
 *   1. baseline: socket.io echo round trips to a bare server in this process (no Nest, no DB)
 *   2. 1:1 messages on a single gateway without Redis (in-memory adapter)
 *   3. the same across a fleet of 2 gateways sharing Redis (senders on one, recipients on the other)
 *   4. group fan-out: one group, members spread over the fleet
 *   5. offline backlog: messages stored for an offline recipient, then replayed on connect
 * Every acknowledged message must reach each recipient exactly once, in send order: otherwise
 * the bench says what went wrong and exits with 1.
 *
 * Environment [default]:
 *   DATABASE_URL          PostgreSQL, a user allowed to CREATE DATABASE
 *                         [postgresql://postgres@127.0.0.1:5432/postgres]
 *   REDIS_URL             [redis://127.0.0.1:6379]
 *   BENCH_PAIRS           1:1 sender/recipient pairs [20]
 *   BENCH_MESSAGES        messages each 1:1 sender sends [100]
 *   BENCH_WINDOW          sends in flight per sender; above 1, order is not checked [1]
 *   BENCH_GROUP_SIZE      members of the fan-out group, its sender included [20]
 *   BENCH_GROUP_MESSAGES  messages sent to the group [50]
 *   BENCH_BACKLOG         messages queued for the offline recipient [500]
 *   BENCH_WARMUP          unmeasured messages per stream before each 1:1 and group run [5]
 *   BENCH_TIME_LIMIT_S    the whole run stops (and cleans up) after this many seconds [180]
 *   BENCH_GATEWAY_NODE_ARGS  node options for the gateway processes, e.g. to profile them:
 *                         "--cpu-prof --cpu-prof-dir=/tmp/bowl-prof" [none]
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { GATEWAY_MAIN, GatewayMissingError, GatewayProcess } from './gateway';
import {
  assertLocal,
  benchRedisPrefix,
  checkRedis,
  Cleanup,
  createBenchDatabase,
  deleteRedisKeys,
} from './infra';
import { populate, populationSize } from './population';
import { printGatewayLogs, printHeader, printRow, printSummary } from './report';
import { echoBaseline } from './echo';
import { backlogReplay, groupFanOut, oneToOne } from './scenarios';
import type { Row, Settings } from './types';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

function intFromEnv(name: string, fallback: number, min: number, max: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max} (got "${raw}")`);
  }
  return value;
}

function readSettings(): Settings & { timeLimitS: number } {
  return {
    pairs: intFromEnv('BENCH_PAIRS', 20, 1, 500),
    messages: intFromEnv('BENCH_MESSAGES', 100, 1, 100_000),
    window: intFromEnv('BENCH_WINDOW', 1, 1, 100),
    groupSize: intFromEnv('BENCH_GROUP_SIZE', 20, 2, 500),
    groupMessages: intFromEnv('BENCH_GROUP_MESSAGES', 50, 1, 100_000),
    backlog: intFromEnv('BENCH_BACKLOG', 500, 1, 100_000),
    warmup: intFromEnv('BENCH_WARMUP', 5, 0, 1_000),
    timeLimitS: intFromEnv('BENCH_TIME_LIMIT_S', 180, 10, 3_600),
    sendLimitMs: 30_000,
    settleLimitMs: 15_000,
  };
}

const cleanup = new Cleanup();
const gateways: GatewayProcess[] = [];
let finishing = false;

const log = (message: string) => console.log(`bench: ${message}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function startGateway(name: string, env: Record<string, string>): Promise<GatewayProcess> {
  const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const gateway = await GatewayProcess.spawn(name, env, nodeArgs);
  gateways.push(gateway);
  cleanup.add(`stop gateway ${name}`, () => gateway.stop());
  await gateway.ready();
  return gateway;
}

function crashProblems(): string[] {
  return gateways
    .filter((g) => g.crashed)
    .map((g) => `gateway ${g.name} died during the run:\n${g.tail()}`);
}

async function run(settings: Settings): Promise<boolean> {
  const startedAt = Date.now();
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  assertLocal(databaseUrl, 'DATABASE_URL');
  assertLocal(redisUrl, 'REDIS_URL');
  if (!existsSync(GATEWAY_MAIN)) throw new GatewayMissingError();
  await checkRedis(redisUrl);

  const db = await createBenchDatabase(databaseUrl);
  cleanup.add(`drop database ${db.name}`, () => db.drop());
  const prefix = benchRedisPrefix();
  cleanup.add(`delete Redis keys ${prefix}*`, () => deleteRedisKeys(redisUrl, prefix));
  const env = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: db.url,
    JWT_SECRET: randomBytes(32).toString('hex'),
    REDIS_KEY_PREFIX: prefix,
    // Every bench client connects from 127.0.0.1, so the per-address limits are off; the per-user
    // and per-socket ones are too high to refuse anything, but their checks still run and count.
    RATE_LIMIT_REGISTER_PER_IP: 'off',
    RATE_LIMIT_CONNECTIONS_PER_IP: 'off',
    RATE_LIMIT_MESSAGES: '1000000/1s',
    RATE_LIMIT_SOCKET_EVENTS: '1000000/1s',
  };
  log(
    `${settings.pairs} pairs × ${settings.messages} messages (window ${settings.window}), ` +
      `group of ${settings.groupSize} × ${settings.groupMessages}, backlog ${settings.backlog}; ` +
      `database ${db.name}, Redis prefix ${prefix}`,
  );

  const rows: Row[] = [];
  const show = (row: Row) => {
    rows.push(row);
    printRow(row);
  };

  const [echo1, echoN] = await echoBaseline(settings);

  const single = await startGateway('single', env); // no REDIS_URL: in-memory adapter and bus
  const setupStart = Date.now();
  const population = await populate(single.url, db.name.slice(-6), settings);
  log(
    `${populationSize(settings)} users registered and related in ${seconds(Date.now() - setupStart)}\n`,
  );

  printHeader();
  show(echo1);
  show(echoN);
  const singleRow = await oneToOne(
    '1:1 single, no Redis',
    population,
    [single],
    single.url,
    single.url,
    db,
    settings,
  );
  show(singleRow);
  await single.stop();

  const fleet = await Promise.all(
    ['a', 'b'].map((name) => startGateway(`fleet-${name}`, { ...env, REDIS_URL: redisUrl })),
  );
  const fleetRow = await oneToOne(
    '1:1 fleet of 2, Redis',
    population,
    fleet,
    fleet[0].url,
    fleet[1].url,
    db,
    settings,
  );
  show(fleetRow);
  const groupRow = await groupFanOut(population, fleet, db, settings);
  show(groupRow);
  const backlogRow = await backlogReplay(population, fleet, db, settings);
  show(backlogRow);

  console.log();
  printGatewayLogs(gateways);
  printSummary({
    echo1,
    echoN,
    single: singleRow,
    fleet: fleetRow,
    group: groupRow,
    backlog: backlogRow,
  });

  const problems = [
    ...rows.flatMap((row) => row.problems.map((p) => `${row.scenario}: ${p}`)),
    ...crashProblems(),
  ];
  const warnings = rows.flatMap((row) => row.warnings.map((w) => `${row.scenario}: ${w}`));
  for (const warning of warnings) log(`warning: ${warning}`);
  const elapsed = seconds(Date.now() - startedAt);
  if (problems.length) {
    log(`FAILED after ${elapsed}: ${problems.length} problem(s)`);
    for (const problem of problems) console.log(`    ✗ ${problem}`);
    return false;
  }
  const order = settings.window === 1 ? 'in order' : 'in order for the backlog (window > 1)';
  log(`OK in ${elapsed}: every acknowledged message was received exactly once, ${order}`);
  return true;
}

async function finish(code: number): Promise<never> {
  finishing = true;
  const failures = await cleanup.run();
  for (const failure of failures) console.error(`bench: cleanup: ${failure}`);
  process.exit(failures.length && code === 0 ? 1 : code);
}

function abort(reason: string, code: number): void {
  if (finishing) return;
  console.error(`\nbench: ${reason}; cleaning up`);
  void finish(code);
}

function main(): void {
  let settings: Settings & { timeLimitS: number };
  try {
    settings = readSettings();
  } catch (err) {
    console.error(`bench: ${(err as Error).message}`);
    process.exit(1);
  }
  process.on('SIGINT', () => abort('interrupted', 130));
  process.on('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(
    () => abort(`time limit of ${settings.timeLimitS} s reached (BENCH_TIME_LIMIT_S)`, 1),
    settings.timeLimitS * 1000,
  );
  run(settings).then(
    (ok) => {
      clearTimeout(watchdog);
      void finish(ok ? 0 : 1);
    },
    (err: Error) => {
      if (finishing) return; // interrupted: the failure is a consequence
      console.error(`bench: ${err.message}`);
      for (const problem of crashProblems()) console.error(`bench: ${problem}`);
      void finish(1);
    },
  );
}

main();
