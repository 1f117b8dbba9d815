/**
 * Bowl beside a bare socket.io relay: `npm run bench` (builds first), `npm run bench -- --quick`
 * for CI, `--help` for the options.
 *
 * Both sides run as two processes sharing Redis, on free ports of 127.0.0.1: the bare relay
 * (relay.ts: the same socket.io and @socket.io/redis-adapter, nothing else) and the built gateway
 * on a database of its own (`bowl_bench_<random>`, migrated). The same load generator (this one
 * process) drives both with the same load, one after the other, scenario by scenario:
 *   closed loop      N users in contact pairs across the instances, W in flight each
 *   open loop        a fixed rate over the same kind of users; warm-up excluded
 *   group fan-out    one group, members alternating between the instances
 *   backlog replay   messages queued for an offline user, then it connects (Bowl only)
 *   idle sockets     RSS per idle socket on one instance of each that saw no other load
 * Every OK'd message must reach each recipient exactly once and in its conversation's order:
 * otherwise the run fails (exit 1), whatever the figures. Everything it creates (database, Redis
 * keys, processes) is removed on success, error, Ctrl-C and at the time limit.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { bowlProtocol, relayProtocol } from './client';
import { chartSpec, writeChart } from './chart';
import { idleScenario, IDLE_WARMUP_SOCKETS } from './idle';
import {
  assertLocal,
  benchRedisPrefix,
  checkRedis,
  Cleanup,
  createBenchDatabase,
  deleteRedisKeys,
  redisPid,
} from './infra';
import { parseSettings, Settings, USAGE, UsageError } from './options';
import { BenchUser, populate } from './population';
import {
  fanOutLine,
  finalLines,
  idleLines,
  resultLines,
  serverLogLines,
  tableHeader,
} from './report';
import { backlogScenario, closedLoopScenario, groupScenario, openLoopScenario } from './scenarios';
import { GATEWAY_BENCH_ENV, GATEWAY_MAIN, INSPECT_ARGS, RELAY_MAIN, ServerProcess } from './server';
import type { IdleResult, Result, ScenarioName, Side, SideName } from './types';

const DEFAULT_DATABASE_URL = 'postgresql://postgres@127.0.0.1:5432/postgres';
const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

const packageVersion = (name: string): string =>
  (JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string })
    .version;
const versions = (): string =>
  ['socket.io', '@socket.io/redis-adapter', 'socket.io-client']
    .map((name) => `${name} ${packageVersion(name)}`)
    .join(', ');

const cleanup = new Cleanup();
const servers: ServerProcess[] = [];
let finishing = false;

const log = (message: string) => console.log(`bench: ${message}`);
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

async function startServer(
  name: string,
  script: string,
  env: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<ServerProcess> {
  if (script === GATEWAY_MAIN) {
    nodeArgs = [...nodeArgs, ...(process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/)];
  }
  const server = await ServerProcess.spawn(name, script, env, nodeArgs.filter(Boolean));
  servers.push(server);
  cleanup.add(`stop ${name}`, () => server.stop());
  await server.ready();
  return server;
}

function crashProblems(): string[] {
  return servers.filter((s) => s.crashed).map((s) => `${s.name} died during the run:\n${s.tail()}`);
}

function describeScenario(scenario: ScenarioName, settings: Settings): string {
  const load = `${settings.messageBytes}-byte messages, ${settings.warmupS} s warm-up + ${settings.measureS} s`;
  switch (scenario) {
    case 'closed loop':
      return `closed loop: ${settings.users} users (contact pairs across the instances), ${settings.window} in flight each, ${load}`;
    case 'open loop':
      return `open loop: ${settings.rate} msg/s over ${settings.users} users, ${load}`;
    case 'group fan-out':
      return `group fan-out: ${settings.groupSize} members on both instances, ${settings.groupWindow} in flight each, ${load}`;
    case 'backlog replay':
      return `backlog replay: ${settings.backlog} messages queued for an offline user, who then connects to the other instance`;
  }
}

const machine = (): string =>
  `${availableParallelism()} cores (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}`;

/** A database, a Redis prefix, the users, and the six servers: two fleets and two idle ones. */
async function setUp(settings: Settings) {
  const databaseUrl = process.env.DATABASE_URL || DEFAULT_DATABASE_URL;
  const redisUrl = process.env.REDIS_URL || DEFAULT_REDIS_URL;
  assertLocal(databaseUrl, 'DATABASE_URL');
  assertLocal(redisUrl, 'REDIS_URL');
  await checkRedis(redisUrl);

  const db = await createBenchDatabase(databaseUrl);
  cleanup.add(`drop database ${db.name}`, () => db.drop());
  const prefix = benchRedisPrefix();
  cleanup.add(`delete Redis keys ${prefix}*`, () => deleteRedisKeys(redisUrl, prefix));
  log(`database ${db.name}, Redis prefix ${prefix}${settings.quick ? ' (quick run)' : ''}`);

  const start = Date.now();
  const secret = randomBytes(32).toString('hex');
  const users = await populate(db, secret, {
    ...settings,
    idleSockets: settings.idleSockets + IDLE_WARMUP_SOCKETS,
  });
  // Each fleet has a key prefix of its own, so the idle instances hear none of the load; they
  // start now too, to wait idle rather than on the critical path.
  // start now too, to wait idle rather than on the critical path (with an inspector, to ask
  // for a garbage collection before each memory reading).
  const relay = (name: string, fleet: string, nodeArgs?: string[]) =>
    startServer(
      name,
      RELAY_MAIN,
      { REDIS_URL: redisUrl, REDIS_KEY_PREFIX: `${prefix}${fleet}:` },
      nodeArgs,
    );
  const bowl = (name: string, fleet: string, nodeArgs?: string[]) =>
    startServer(
      name,
      GATEWAY_MAIN,
      {
        ...GATEWAY_BENCH_ENV,
        DATABASE_URL: db.url,
        JWT_SECRET: secret,
        REDIS_URL: redisUrl,
        REDIS_KEY_PREFIX: `${prefix}${fleet}:`,
      },
      nodeArgs,
    );
  const [relayA, relayB, bowlA, bowlB, relayIdle, bowlIdle] = await Promise.all([
    relay('relay-a', 'relay'),
    relay('relay-b', 'relay'),
    bowl('bowl-a', 'bowl'),
    bowl('bowl-b', 'bowl'),
    relay('relay-idle', 'relay-idle', INSPECT_ARGS),
    bowl('bowl-idle', 'bowl-idle', INSPECT_ARGS),
  ]);
  log(`users written and 6 servers ready in ${seconds(Date.now() - start)}\n`);
  const redis = await redisPid(redisUrl);
  const sides: Side[] = [
    {
      name: 'bare relay',
      protocol: relayProtocol,
      servers: [relayA, relayB],
      redisPid: redis,
      metrics: false,
    },
    {
      name: 'Bowl',
      protocol: bowlProtocol,
      servers: [bowlA, bowlB],
      db,
      redisPid: redis,
      metrics: true,
    },
  ];
  return { users, sides, idleServers: { relay: relayIdle, bowl: bowlIdle } };
}

/** Each scenario on each side in turn, printed as it comes. */
async function measureTraffic(
  settings: Settings,
  sides: Side[],
  users: Awaited<ReturnType<typeof populate>>,
): Promise<Result[]> {
  const results: Result[] = [];
  const scenario = async (name: ScenarioName, measure: (side: Side) => Promise<Result>) => {
    const start = Date.now();
    console.log(describeScenario(name, settings));
    console.log(tableHeader());
    for (const side of sides) {
      const result = await measure(side);
      results.push(result);
      for (const text of resultLines(result)) console.log(text);
    }
    console.log(`  (${seconds(Date.now() - start)})\n`);
  };
  await scenario('closed loop', (side) => closedLoopScenario(side, users.closed, settings));
  await scenario('open loop', (side) => openLoopScenario(side, users.open, settings));
  await scenario('group fan-out', (side) => groupScenario(side, users.group, settings));
  await scenario('backlog replay', async (side) =>
    side.db
      ? backlogScenario(side, users.backlog, settings)
      : {
          scenario: 'backlog replay',
          side: side.name,
          skipped: 'no storage: nothing to replay',
          rate: NaN,
          notes: [],
        },
  );
  return results;
}

/** RSS per idle socket on the instances that waited idle, one after the other. */
async function measureIdle(
  settings: Settings,
  servers: { relay: ServerProcess; bowl: ServerProcess },
  users: BenchUser[],
): Promise<IdleResult[]> {
  const start = Date.now();
  console.log(
    `idle sockets: ${settings.idleSockets} idle sockets (one per user, authenticated on Bowl) on one instance that saw no other load, after ${IDLE_WARMUP_SOCKETS} warm-up ones`,
  );
  const relay = await idleScenario('bare relay', relayProtocol, servers.relay, users);
  await servers.relay.stop();
  const bowl = await idleScenario('Bowl', bowlProtocol, servers.bowl, users);
  await servers.bowl.stop();
  for (const text of idleLines([relay, bowl])) console.log(text);
  console.log(`  (${seconds(Date.now() - start)})\n`);
  return [relay, bowl];
}

/** Writes the chart and the figures; prints the verdict, then the three closing lines. */
async function conclude(
  settings: Settings,
  results: Result[],
  idle: IdleResult[],
  startedAt: number,
): Promise<boolean> {
  for (const text of serverLogLines(servers)) console.log(text);
  const figure = (scenario: ScenarioName, side: SideName) =>
    results.find((r) => r.scenario === scenario && r.side === side);
  const closing = finalLines({
    bowlClosedRate: figure('closed loop', 'Bowl')?.rate ?? NaN,
    bareClosedRate: figure('closed loop', 'bare relay')?.rate ?? NaN,
    bowlOpenP99: figure('open loop', 'Bowl')?.latency?.p99 ?? NaN,
    bareOpenP99: figure('open loop', 'bare relay')?.latency?.p99 ?? NaN,
    bowlIdleKiB: idle.find((r) => r.side === 'Bowl')?.kibPerSocket ?? NaN,
  });
  const date = new Date().toISOString();
  const subtitle = `${settings.quick ? 'quick run, ' : ''}${settings.users} users, ${settings.messageBytes}-byte messages; ${machine()}; ${date.slice(0, 10)}`;
  const jsonPath = await writeChart(settings.chartPath, chartSpec(results, idle, subtitle), {
    date,
    machine: machine(),
    versions: versions(),
    settings,
    results,
    idle,
    closing,
  });
  log(`chart ${settings.chartPath}, figures ${jsonPath}`);
  for (const r of results) if (r.fanOut) log(`${r.side} ${r.scenario}: ${fanOutLine(r.fanOut)}`);

  const problems = [
    ...results.flatMap((r) =>
      (r.verdict?.problems ?? []).map((p) => `${r.scenario}, ${r.side}: ${p}`),
    ),
    ...crashProblems(),
  ];
  const elapsed = seconds(Date.now() - startedAt);
  if (problems.length) {
    log(`FAILED after ${elapsed}: ${problems.length} problem(s)`);
    for (const problem of problems) console.log(`    ✗ ${problem}`);
  } else {
    log(`OK in ${elapsed}: every OK'd message reached each recipient once, in conversation order`);
  }
  for (const text of closing) console.log(text);
  return problems.length === 0;
}

async function run(settings: Settings): Promise<boolean> {
  const startedAt = Date.now();
  log(`${machine()}; ${versions()}`);
  const { users, sides, idleServers } = await setUp(settings);
  const results = await measureTraffic(settings, sides, users);
  await Promise.all(sides.flatMap((side) => side.servers.map((s) => s.stop())));
  const idle = await measureIdle(settings, idleServers, users.idle);
  return conclude(settings, results, idle, startedAt);
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
  let settings: Settings | 'help';
  try {
    settings = parseSettings(process.argv.slice(2));
  } catch (err) {
    const usage =
      err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    console.error(`bench: ${(err as Error).message}${usage ? `\n${USAGE}` : ''}`);
    process.exit(2);
  }
  if (settings === 'help') {
    console.log(USAGE);
    process.exit(0);
  }
  const { timeLimitS } = settings;
  process.on('SIGINT', () => abort('interrupted', 130));
  process.on('SIGTERM', () => abort('terminated', 143));
  const watchdog = setTimeout(
    () => abort(`time limit of ${timeLimitS} s reached (--time-limit)`, 1),
    timeLimitS * 1000,
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
