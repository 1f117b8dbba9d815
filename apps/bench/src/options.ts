import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

/** Everything a run is told: sizes, durations and where the chart goes. */
export interface Settings {
  quick: boolean;
  /** Closed and open loop: users, in pairs of contacts, one of each pair on each instance. */
  users: number;
  /** Closed loop: sends per user in flight (sent and not yet both OK'd and received). */
  window: number;
  /** Length of each ciphertext. */
  messageBytes: number;
  /** Warm-up (not measured) and measured time of the closed loop, the open loop and the group. */
  warmupS: number;
  measureS: number;
  /** Open loop: messages per second over all users. */
  rate: number;
  /** Group fan-out: members, each sending with this many sends in flight. */
  groupSize: number;
  groupWindow: number;
  /** Backlog replay: messages queued for the offline user. */
  backlog: number;
  /** Idle sockets on one instance, after a few warm-up ones. */
  idleSockets: number;
  /** Longest wait for a send's ack, and for the last deliveries once sending stopped. */
  sendTimeoutMs: number;
  settleLimitMs: number;
  /** The SVG chart; the raw figures go beside it as .json. */
  chartPath: string;
  /** The whole run stops (and cleans up) after this. */
  timeLimitS: number;
}

export const FULL: Omit<Settings, 'chartPath'> = {
  quick: false,
  users: 200,
  window: 10,
  messageBytes: 300,
  warmupS: 2,
  measureS: 10,
  rate: 1000,
  groupSize: 20,
  groupWindow: 1,
  backlog: 2000,
  idleSockets: 3000,
  sendTimeoutMs: 30_000,
  settleLimitMs: 30_000,
  timeLimitS: 600,
};

/** Same scenarios, smaller and shorter: well under a minute, for CI. */
export const QUICK: Omit<Settings, 'chartPath'> = {
  ...FULL,
  quick: true,
  users: 40,
  warmupS: 0.5,
  measureS: 1.5,
  rate: 500,
  groupSize: 10,
  backlog: 300,
  idleSockets: 200,
  settleLimitMs: 15_000,
  timeLimitS: 120,
};

const DEFAULT_CHART = join(tmpdir(), 'bowl-bench', 'bench.svg');

export const USAGE = `usage: npm run bench -- [options]
  --quick              smaller and shorter (CI): ${QUICK.users} users, ${QUICK.measureS} s per phase
  --users N            closed/open loop users, an even number [${FULL.users}]
  --window W           closed loop sends in flight per user [${FULL.window}]
  --bytes B            ciphertext length [${FULL.messageBytes}]
  --seconds S          measured seconds of each loop [${FULL.measureS}]
  --warmup S           unmeasured seconds before each [${FULL.warmupS}]
  --rate R             open loop messages per second [${FULL.rate}]
  --group-size N       group fan-out members [${FULL.groupSize}]
  --group-window W     group sends in flight per member [${FULL.groupWindow}]
  --backlog N          messages queued for the offline user [${FULL.backlog}]
  --idle-sockets N     idle sockets on one instance [${FULL.idleSockets}]
  --chart PATH         SVG chart (figures beside it as .json) [$BENCH_CHART or ${DEFAULT_CHART}]
  --time-limit S       stop and clean up after S seconds [${FULL.timeLimitS}, quick ${QUICK.timeLimitS}]
environment: DATABASE_URL, REDIS_URL (local servers; defaults 127.0.0.1),
  BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" for the gateways),
  BENCH_GATEWAY_MAIN (another gateway build, e.g. an older one for a before/after),
  BENCH_GATEWAY_ENV (more settings for Bowl's gateways, e.g. "NOTICE_ROUTING=broadcast")`;

export class UsageError extends Error {}

function number(
  raw: string | undefined,
  flag: string,
  fallback: number,
  min: number,
  max: number,
  integer = true,
): number {
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(value) || value < min || value > max) {
    throw new UsageError(`--${flag} must be a number from ${min} to ${max} (got "${raw}")`);
  }
  if (integer && !Number.isInteger(value)) {
    throw new UsageError(`--${flag} must be a whole number (got "${raw}")`);
  }
  return value;
}

/** Settings from the command line (and BENCH_CHART); throws UsageError for a bad one. */
export function parseSettings(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Settings | 'help' {
  const { values: v } = parseArgs({
    args,
    strict: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      quick: { type: 'boolean' },
      users: { type: 'string' },
      window: { type: 'string' },
      bytes: { type: 'string' },
      seconds: { type: 'string' },
      warmup: { type: 'string' },
      rate: { type: 'string' },
      'group-size': { type: 'string' },
      'group-window': { type: 'string' },
      backlog: { type: 'string' },
      'idle-sockets': { type: 'string' },
      chart: { type: 'string' },
      'time-limit': { type: 'string' },
    },
  });
  if (v.help) return 'help';
  const base = v.quick ? QUICK : FULL;
  const users = number(v.users, 'users', base.users, 2, 10_000);
  if (users % 2) throw new UsageError(`--users must be even: users come in pairs (got ${users})`);
  return {
    ...base,
    users,
    window: number(v.window, 'window', base.window, 1, 1000),
    messageBytes: number(v.bytes, 'bytes', base.messageBytes, 16, 64 * 1024),
    measureS: number(v.seconds, 'seconds', base.measureS, 0.5, 3600, false),
    warmupS: number(v.warmup, 'warmup', base.warmupS, 0, 600, false),
    rate: number(v.rate, 'rate', base.rate, 1, 1_000_000),
    groupSize: number(v['group-size'], 'group-size', base.groupSize, 2, 1000),
    groupWindow: number(v['group-window'], 'group-window', base.groupWindow, 1, 1000),
    backlog: number(v.backlog, 'backlog', base.backlog, 1, 1_000_000),
    idleSockets: number(v['idle-sockets'], 'idle-sockets', base.idleSockets, 10, 15_000),
    chartPath: v.chart || env.BENCH_CHART || DEFAULT_CHART,
    timeLimitS: number(v['time-limit'], 'time-limit', base.timeLimitS, 10, 86_400),
  };
}
