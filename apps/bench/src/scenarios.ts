import {
  BenchClient,
  ChatEvent,
  chatFields,
  ciphertext,
  closeAll,
  connectAll,
  tagOf,
} from './client';
import type { GatewayProcess } from './gateway';
import type { BenchDatabase } from './infra';
import { limitNote, pump } from './load';
import type { Population } from './population';
import { startProbe } from './probe';
import { now, rate, summarize } from './stats';
import { DeliveryTracker, Verdict } from './tracker';
import type { Row, Settings } from './types';

const QUEUE_DRAIN_LIMIT_MS = 5_000;

async function sendChat(
  client: BenchClient,
  tracker: DeliveryTracker,
  event: ChatEvent,
  target: { to: string } | { groupId: string },
  stream: string,
  seq: number,
  recipients: readonly number[],
): Promise<void> {
  const payload = { ...chatFields, ...target, message: ciphertext(tracker.tag(stream, seq)) };
  const tag = tracker.sending(stream, seq, recipients);
  try {
    const ack = await client.request(event, payload);
    if (ack.status === 'OK') tracker.ok(tag);
    else tracker.failed(tag, ack.error ?? 'ERROR', true);
  } catch (err) {
    tracker.failed(tag, (err as Error).message, false);
  }
}

/** Waits until the server has recorded every acknowledgement (its queues are empty again). */
async function queueDrained(db: BenchDatabase): Promise<string[]> {
  const deadline = now() + QUEUE_DRAIN_LIMIT_MS;
  let queued = await db.queuedDeliveries();
  while (queued > 0 && now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    queued = await db.queuedDeliveries();
  }
  return queued > 0
    ? [
        `${queued} delivered and acknowledged message(s) still queued after ${QUEUE_DRAIN_LIMIT_MS} ms`,
      ]
    : [];
}

/** A row's warnings and problems: the measured run's, the warm-up's, and anything left queued. */
async function findings(
  db: BenchDatabase,
  verdict: Verdict,
  warmup?: Verdict,
): Promise<{ warnings: string[]; problems: string[] }> {
  return {
    warnings: [...(warmup?.warnings ?? []).map((w) => `warm-up: ${w}`), ...verdict.warnings],
    problems: [
      ...(warmup?.problems ?? []).map((p) => `warm-up: ${p}`),
      ...verdict.problems,
      ...(await queueDrained(db)),
    ],
  };
}

/**
 * N pairs, each sender streaming M messages to its recipient. Senders connect to `senderUrl`,
 * recipients to `recipientUrl` (the other instance of a fleet, or the same single gateway).
 */
export async function oneToOne(
  scenario: string,
  population: Population,
  gateways: readonly GatewayProcess[],
  senderUrl: string,
  recipientUrl: string,
  db: BenchDatabase,
  settings: Settings,
): Promise<Row> {
  const { pairs } = population;
  let tracker = new DeliveryTracker(`${scenario}/warmup`, settings.window === 1);
  const recipients = await connectAll(
    pairs.map((p) => p.recipient),
    () => recipientUrl,
    (i) => (payload) => tracker.received(i, tagOf(payload.message)),
  );
  const senders = await connectAll(
    pairs.map((p) => p.sender),
    () => senderUrl,
  ).catch((err: Error) => {
    closeAll(recipients);
    throw err;
  });
  const phase = async (perStream: number) => {
    const started = await pump(
      pairs.length,
      perStream,
      settings.window,
      now() + settings.sendLimitMs,
      (s, seq) =>
        sendChat(
          senders[s],
          tracker,
          'contactChatMessage',
          { to: pairs[s].recipient.email },
          `p${s}`,
          seq,
          [s],
        ),
    );
    await tracker.settle(settings.settleLimitMs);
    return started;
  };
  try {
    await phase(settings.warmup);
    const warmup = tracker.verdict();
    tracker = new DeliveryTracker(scenario, settings.window === 1);
    const probe = await startProbe(gateways, db);
    const planned = pairs.length * settings.messages;
    const started = await phase(settings.messages);
    const usage = await probe.stop();
    const verdict = tracker.verdict();
    return {
      scenario,
      count: verdict.ok,
      sendToOk: summarize(tracker.sendToOk()),
      sendToReceipt: summarize(tracker.sendToReceipt()),
      rate: rate(verdict.delivered, tracker.lastReceiptAt - tracker.firstSendAt),
      rateUnit: 'msg/s',
      usage,
      notes: limitNote(started, planned, settings),
      ...(await findings(db, verdict, warmup)),
    };
  } finally {
    closeAll(senders);
    closeAll(recipients);
  }
}

/** One group, its members spread over the gateways; members[0] sends K messages to all. */
export async function groupFanOut(
  population: Population,
  gateways: readonly GatewayProcess[],
  db: BenchDatabase,
  settings: Settings,
): Promise<Row> {
  const { id: groupId, members } = population.group;
  const others = members.map((_, i) => i).slice(1);
  const scenario = `group ${members.length} × ${settings.groupMessages}`;
  let tracker = new DeliveryTracker(`${scenario}/warmup`, settings.window === 1);
  const clients = await connectAll(
    members,
    (i) => gateways[i % gateways.length].url,
    (i) => (payload) => tracker.received(i, tagOf(payload.message)),
  );
  const phase = async (count: number) => {
    const started = await pump(1, count, settings.window, now() + settings.sendLimitMs, (_s, seq) =>
      sendChat(clients[0], tracker, 'groupChatMessage', { groupId }, 'g', seq, others),
    );
    await tracker.settle(settings.settleLimitMs);
    return started;
  };
  try {
    await phase(settings.warmup);
    const warmup = tracker.verdict();
    tracker = new DeliveryTracker(scenario, settings.window === 1);
    const probe = await startProbe(gateways, db);
    const started = await phase(settings.groupMessages);
    const usage = await probe.stop();
    const verdict = tracker.verdict();
    const allDeliveredMs = tracker.lastReceiptAt - tracker.firstSendAt;
    const fanOut = summarize(tracker.sendToLastReceipt());
    return {
      scenario,
      count: verdict.ok,
      sendToOk: summarize(tracker.sendToOk()),
      sendToReceipt: summarize(tracker.sendToReceipt()),
      rate: rate(verdict.delivered, allDeliveredMs),
      rateUnit: 'deliv/s',
      usage,
      notes: [
        `${verdict.delivered} deliveries, all received ${allDeliveredMs.toFixed(0)} ms after the first send`,
        `send → last member p50 ${fanOut.p50.toFixed(1)} ms, p95 ${fanOut.p95.toFixed(1)} ms`,
        ...limitNote(started, settings.groupMessages, settings),
      ],
      ...(await findings(db, verdict, warmup)),
    };
  } finally {
    closeAll(clients);
  }
}

/**
 * Q messages stored for an offline recipient (one at a time, so their order is known), then the
 * recipient connects to the other gateway and its whole queue is replayed.
 */
export async function backlogReplay(
  population: Population,
  gateways: readonly GatewayProcess[],
  db: BenchDatabase,
  settings: Settings,
): Promise<Row> {
  const { sender, recipient } = population.backlog;
  const scenario = `backlog replay ${settings.backlog}`;
  const tracker = new DeliveryTracker(scenario, true);
  const [client] = await connectAll([sender], () => gateways[0].url);
  let reader: BenchClient | undefined;
  try {
    const started = await pump(1, settings.backlog, 1, now() + settings.sendLimitMs, (_s, seq) =>
      sendChat(client, tracker, 'contactChatMessage', { to: recipient.email }, 'b', seq, [0]),
    );
    const stored = tracker.sendToOk();
    const storeMs = now() - tracker.firstSendAt;
    const probe = await startProbe(gateways, db);
    let firstAt: number | undefined;
    const connectAt = now();
    reader = await BenchClient.connect(gateways[gateways.length - 1].url, recipient, (payload) => {
      firstAt ??= now();
      tracker.received(0, tagOf(payload.message));
    });
    await tracker.settle(settings.settleLimitMs);
    const usage = await probe.stop();
    const verdict = tracker.verdict();
    const replayMs = tracker.lastReceiptAt - connectAt;
    return {
      scenario,
      count: verdict.ok,
      sendToOk: summarize(stored),
      rate: rate(verdict.delivered, replayMs),
      rateUnit: 'msg/s',
      usage,
      notes: [
        `stored ${stored.length} in ${storeMs.toFixed(0)} ms (${rate(stored.length, storeMs).toFixed(0)} msg/s)`,
        `replay: connect → first ${firstAt === undefined ? '-' : (firstAt - connectAt).toFixed(1)} ms, → all ${replayMs.toFixed(0)} ms`,
        ...limitNote(started, settings.backlog, settings),
      ],
      ...(await findings(db, verdict)),
    };
  } finally {
    client.close();
    reader?.close();
  }
}
