/**
 * Everything Bowl measures, in one table: name → kind, help text, labels. Libraries record through
 * the Metrics port; the gateway exports them for Prometheus at /metrics. Nothing here depends on a
 * metrics library.
 */
export const METRICS = {
  bowl_socket_events_total: {
    kind: 'counter',
    help: 'Socket events handled, by event and outcome ("ok" or the ERROR code)',
    labels: ['event', 'outcome'],
  },
  bowl_messages_stored_total: {
    kind: 'counter',
    help: 'Chat messages committed (each once, whatever its recipients)',
    labels: [],
  },
  bowl_message_store_seconds: {
    kind: 'histogram',
    help: 'From a send reaching this instance to the commit that holds it',
    labels: [],
  },
  bowl_store_batch_messages: {
    kind: 'histogram',
    help: 'Messages per group commit',
    labels: [],
  },
  bowl_notices_received_total: {
    kind: 'counter',
    help: 'Message notices this instance received from the fleet',
    labels: [],
  },
  bowl_notice_latency_seconds: {
    kind: 'histogram',
    help: 'From a message commit to its notice reaching the instance holding the recipient',
    labels: [],
  },
  bowl_messages_delivered_total: {
    kind: 'counter',
    help: 'Messages this instance delivered (each once per recipient, however many sockets)',
    labels: [],
  },
} as const;

type Table = typeof METRICS;
export type CounterName = {
  [K in keyof Table]: Table[K]['kind'] extends 'counter' ? K : never;
}[keyof Table];
export type HistogramName = {
  [K in keyof Table]: Table[K]['kind'] extends 'histogram' ? K : never;
}[keyof Table];
type LabelsOf<K extends keyof Table> = Table[K]['labels'] extends readonly []
  ? []
  : [labels: Record<Table[K]['labels'][number], string>];

export abstract class Metrics {
  abstract increment<K extends CounterName>(name: K, ...labels: LabelsOf<K>): void;
  abstract observe<K extends HistogramName>(name: K, value: number, ...labels: LabelsOf<K>): void;
}

/** Records nothing (service tests, tools). */
export class NoMetrics extends Metrics {
  increment(): void {}
  observe(): void {}
}
