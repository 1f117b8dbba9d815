import { BENCH_METRICS_TOKEN } from './server';

/** Counters of a gateway's `GET /metrics` that show how targeted its fan-out is. */
const FAN_OUT_COUNTERS = {
  noticesReceived: 'bowl_notices_received_total',
  messagesDelivered: 'bowl_messages_delivered_total',
} as const;

export type FanOutCounters = Record<keyof typeof FAN_OUT_COUNTERS, number | undefined>;

/**
 * The value of counter `name` in a Prometheus text exposition, summed over its label sets;
 * undefined when the text has no sample of it.
 */
export function counterValue(exposition: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue; // a longer name that starts the same
    const afterLabels = rest[0] === '{' ? rest.slice(rest.indexOf('}') + 1) : rest;
    const value = Number(afterLabels.trim().split(/\s+/)[0]);
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** The fan-out counters of the gateway at `baseUrl`; each undefined when absent or unreachable. */
export async function scrapeFanOut(baseUrl: string): Promise<FanOutCounters> {
  let text = '';
  try {
    const res = await fetch(`${baseUrl}/metrics`, {
      headers: { authorization: `Bearer ${BENCH_METRICS_TOKEN}` },
      signal: AbortSignal.timeout(2_000),
    });
    if (res.ok) text = await res.text();
  } catch {
    // no metrics endpoint (yet): every counter is absent
  }
  return {
    noticesReceived: counterValue(text, FAN_OUT_COUNTERS.noticesReceived),
    messagesDelivered: counterValue(text, FAN_OUT_COUNTERS.messagesDelivered),
  };
}

/** What each counter grew by between two scrapes (undefined when absent from either). */
export function counterDelta(before: FanOutCounters, after: FanOutCounters): FanOutCounters {
  const delta = (a?: number, b?: number) =>
    a === undefined || b === undefined ? undefined : b - a;
  return {
    noticesReceived: delta(before.noticesReceived, after.noticesReceived),
    messagesDelivered: delta(before.messagesDelivered, after.messagesDelivered),
  };
}
