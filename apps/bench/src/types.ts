import type { Protocol } from './client';
import type { BenchDatabase } from './infra';
import type { FanOutCounters } from './metrics';
import type { Usage } from './probe';
import type { ServerProcess } from './server';
import type { Summary } from './stats';
import type { Verdict } from './tracker';

export type SideName = 'bare relay' | 'Bowl';

/** One side of the comparison: two instances sharing Redis, and how clients speak to them. */
export interface Side {
  name: SideName;
  protocol: Protocol;
  servers: ServerProcess[];
  /** Bowl's database (its CPU is shown); the relay has none. */
  db?: BenchDatabase;
  /** The Redis server's process (its CPU is shown), when it runs on this machine. */
  redisPid?: number;
  /** Whether the servers may expose fan-out counters on GET /metrics. */
  metrics: boolean;
}

export type ScenarioName = 'closed loop' | 'open loop' | 'group fan-out' | 'backlog replay';

/** One side's figures in one scenario. */
export interface Result {
  scenario: ScenarioName;
  side: SideName;
  /** Why this side has no figures here (the relay cannot queue for an offline user). */
  skipped?: string;
  /** Delivered messages per second (group: deliveries to members; backlog: during replay). */
  rate: number;
  /** Sender → recipient, per delivery (backlog: connect → receipt). */
  latency?: Summary;
  verdict?: Verdict;
  usage?: Usage;
  /** Per instance, what its counters grew by while measuring (Bowl). */
  fanOut?: FanOutCounters[];
  notes: string[];
}

/** RSS per idle socket on one instance. */
export interface IdleResult {
  side: SideName;
  sockets: number;
  rssBeforeMiB?: number;
  rssAfterMiB?: number;
  kibPerSocket: number;
  connectPerSecond: number;
}
