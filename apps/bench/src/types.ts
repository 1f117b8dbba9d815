import type { Usage } from './probe';
import type { Summary } from './stats';

export interface Settings {
  pairs: number;
  messages: number;
  /** Sends in flight per sender; 1 keeps each stream ordered, so order is checked too. */
  window: number;
  groupSize: number;
  groupMessages: number;
  backlog: number;
  /** Messages per stream sent before measuring (cold code paths, connection pools). */
  warmup: number;
  /** Longest a send phase may run before it stops starting new sends. */
  sendLimitMs: number;
  /** Longest to wait for the last deliveries once sending is over. */
  settleLimitMs: number;
}

/** One line of the results table. */
export interface Row {
  scenario: string;
  /** Messages (or echo round trips) measured. */
  count: number;
  sendToOk?: Summary;
  sendToReceipt?: Summary;
  rate: number;
  rateUnit: string;
  usage: Usage;
  notes: string[];
  /** Shown, but the run still passes. */
  warnings: string[];
  /** Correctness failures: the run fails. */
  problems: string[];
}
