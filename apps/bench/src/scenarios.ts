import { BenchSocket, ciphertext, closeAll, connectAll } from './client';
import { closedLoop, openLoop } from './load';
import { counterDelta, FanOutCounters, scrapeFanOut } from './metrics';
import type { BenchGroup, BenchUser } from './population';
import { startProbe, Usage } from './probe';
import { formatRate, now, rate, sleep, summarize } from './stats';
import { DeliveryTracker } from './tracker';
import type { Settings } from './options';
import type { Result, Side } from './types';

/** A tracker whose sends can be awaited until complete (OK'd and received, or failed). */
class CompletionTracker extends DeliveryTracker {
  private readonly waiting = new Map<number, () => void>();

  constructor() {
    super((id) => {
      this.waiting.get(id)?.();
      this.waiting.delete(id);
    });
  }

  /** Resolves when send `id` is complete, or after `timeoutMs` (then its loss is booked later). */
  complete(id: number, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        resolve();
      }, timeoutMs);
      this.waiting.set(id, () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}

/** Emits one send and books its ack; never throws. */
async function emit(
  socket: BenchSocket,
  frame: [string, object],
  tracker: DeliveryTracker,
  id: number,
  settings: Settings,
): Promise<void> {
  try {
    const ack = await socket.send(frame, settings.sendTimeoutMs);
    if (ack.status === 'OK') tracker.ok(id);
    else tracker.failed(id, ack.error ?? 'ERROR', true);
  } catch (err) {
    tracker.failed(id, (err as Error).message, false);
  }
}

/** The counters of each Bowl instance (none for the relay). */
const scrape = (side: Side): Promise<FanOutCounters[]> =>
  side.metrics ? Promise.all(side.servers.map((s) => scrapeFanOut(s.url))) : Promise.resolve([]);

/** Measures CPU, memory and counters from `from` to `to` (times of `now()`), beside the load. */
async function measureWindow(
  side: Side,
  from: number,
  to: number,
): Promise<{ usage: Usage; fanOut?: FanOutCounters[] }> {
  await sleep(from - now());
  const [probe, before] = await Promise.all([
    startProbe(side.servers, side.db, side.redisPid),
    scrape(side),
  ]);
  await sleep(to - now());
  const [usage, after] = await Promise.all([probe.stop(), scrape(side)]);
  return {
    usage,
    fanOut: side.metrics ? before.map((b, i) => counterDelta(b, after[i])) : undefined,
  };
}

/** Waits for the last answers and deliveries, then books the verdict. */
async function settle(tracker: DeliveryTracker, settings: Settings, notes: string[]) {
  if (!(await tracker.settle(settings.settleLimitMs))) {
    notes.push(`still missing acks or deliveries ${settings.settleLimitMs} ms after the last send`);
  }
  return tracker.verdict();
}

/** Pairs of contacts (0,1), (2,3)…: even users on instance 0, odd ones on instance 1. */
const partnerOf = (i: number) => i ^ 1;
const until = (end: number) => () => now() < end;

/** The measured phase, in `now()` times. */
interface Phase {
  start: number;
  from: number;
  to: number;
}

/** Emits a frame from user `i` for send `id` (its outcome goes to the tracker). */
type Emit = (i: number, frame: [string, object], id: number) => void;

/**
 * Connects `users` alternately to the instances, runs `drive` through the warm-up and the
 * measured phase while measuring the servers, then waits for the last acks and deliveries.
 */
async function underLoad(
  side: Side,
  settings: Settings,
  users: readonly BenchUser[],
  groups: readonly BenchGroup[],
  tracker: DeliveryTracker,
  drive: (emit: Emit, phase: Phase) => Promise<unknown>,
): Promise<Pick<Result, 'verdict' | 'usage' | 'fanOut' | 'notes'> & { phase: Phase }> {
  const sockets = await connectAll(
    users,
    (i) => side.servers[i % side.servers.length].url,
    side.protocol,
    groups,
    (i, id) => tracker.received(i, id),
  );
  try {
    const start = now();
    const from = start + settings.warmupS * 1000;
    const phase = { start, from, to: from + settings.measureS * 1000 };
    const measuring = measureWindow(side, from, phase.to);
    await drive((i, frame, id) => void emit(sockets[i], frame, tracker, id, settings), phase);
    const { usage, fanOut } = await measuring;
    const notes: string[] = [];
    const verdict = await settle(tracker, settings, notes);
    return { phase, verdict, usage, fanOut, notes };
  } finally {
    closeAll(sockets);
  }
}

/** Books and emits a message from user `i` to its contact; returns its id. */
function sendToPeer(
  side: Side,
  users: readonly BenchUser[],
  tracker: DeliveryTracker,
  settings: Settings,
  emit: Emit,
  i: number,
  measured: boolean,
  dueAt?: number,
): number {
  const peer = partnerOf(i);
  const id = tracker.begin(`${i}>${peer}`, [peer], measured, dueAt);
  const message = ciphertext(id, settings.messageBytes);
  emit(i, side.protocol.direct(users[peer], message, `m${id}`), id);
  return id;
}

/**
 * Closed loop: every user keeps `window` messages in flight to its contact on the other
 * instance; a slot frees when its message is both OK'd and received. Measured after a warm-up.
 */
export async function closedLoopScenario(
  side: Side,
  users: BenchUser[],
  settings: Settings,
): Promise<Result> {
  const tracker = new CompletionTracker();
  const { phase, ...run } = await underLoad(side, settings, users, [], tracker, (emit, phase) =>
    closedLoop(users.length, settings.window, until(phase.to), async (i) => {
      const measured = now() >= phase.from;
      const id = sendToPeer(side, users, tracker, settings, emit, i, measured);
      await tracker.complete(id, settings.sendTimeoutMs);
    }),
  );
  return {
    scenario: 'closed loop',
    side: side.name,
    rate: rate(tracker.deliveredBetween(phase.from, phase.to), phase.to - phase.from),
    latency: summarize(tracker.latencies()),
    ...run,
  };
}

/**
 * Open loop: messages start at a fixed rate over all users (each to its contact on the other
 * instance) whatever the server does; latency counts from when each was due.
 */
export async function openLoopScenario(
  side: Side,
  users: BenchUser[],
  settings: Settings,
): Promise<Result> {
  const tracker = new DeliveryTracker();
  const { phase, ...run } = await underLoad(side, settings, users, [], tracker, (emit, phase) =>
    openLoop(settings.rate, phase.to - phase.start, (n, dueAt) => {
      sendToPeer(
        side,
        users,
        tracker,
        settings,
        emit,
        n % users.length,
        dueAt >= phase.from,
        dueAt,
      );
    }),
  );
  const delivered = tracker.measuredRate(phase.from);
  if (delivered < settings.rate * 0.95) {
    run.notes.push(
      `saturated: delivered ${formatRate(delivered)} of ${settings.rate} msg/s offered`,
    );
  }
  return {
    scenario: 'open loop',
    side: side.name,
    rate: delivered,
    latency: summarize(tracker.latencies()),
    ...run,
  };
}

/**
 * Group fan-out: one group, its members alternating between the instances, each member keeping
 * `groupWindow` messages in flight to the group; a slot frees once every other member has it.
 */
export async function groupScenario(
  side: Side,
  group: BenchGroup,
  settings: Settings,
): Promise<Result> {
  const { members } = group;
  const others = members.map((_, i) => members.map((_, j) => j).filter((j) => j !== i));
  const tracker = new CompletionTracker();
  const { phase, ...run } = await underLoad(
    side,
    settings,
    members,
    [group],
    tracker,
    (emit, phase) =>
      closedLoop(members.length, settings.groupWindow, until(phase.to), async (i) => {
        const id = tracker.begin(`group>${i}`, others[i], now() >= phase.from);
        const message = ciphertext(id, settings.messageBytes);
        emit(i, side.protocol.group(group, message, `g${id}`), id);
        await tracker.complete(id, settings.sendTimeoutMs);
      }),
  );
  const deliveries = rate(tracker.deliveredBetween(phase.from, phase.to), phase.to - phase.from);
  run.notes.push(
    `${formatRate(deliveries / (members.length - 1))} group messages/s, each to ${members.length - 1} members`,
  );
  return {
    scenario: 'group fan-out',
    side: side.name,
    rate: deliveries,
    latency: summarize(tracker.latencies()),
    ...run,
  };
}

/**
 * Backlog replay: `backlog` messages stored for an offline user (sender on instance 0, `window`
 * in flight), then the user connects to instance 1; timed until the whole queue has arrived.
 */
export async function backlogScenario(
  side: Side,
  [sender, reader]: [BenchUser, BenchUser],
  settings: Settings,
): Promise<Result> {
  const tracker = new DeliveryTracker();
  const [socket] = await connectAll([sender], () => side.servers[0].url, side.protocol);
  let readerSocket: BenchSocket | undefined;
  try {
    let queued = 0;
    const storeStart = now();
    await closedLoop(
      1,
      settings.window,
      () => queued < settings.backlog,
      async () => {
        queued++;
        const id = tracker.begin('backlog', [1], true);
        const frame = side.protocol.direct(reader, ciphertext(id, settings.messageBytes), `b${id}`);
        await emit(socket, frame, tracker, id, settings);
      },
    );
    const storeMs = now() - storeStart;

    const probe = await startProbe(side.servers, side.db, side.redisPid);
    const connectAt = now();
    readerSocket = await BenchSocket.connect(
      side.servers[side.servers.length - 1].url,
      side.protocol,
      side.protocol.auth(reader, []),
      (id) => tracker.received(1, id),
    );
    const notes: string[] = [];
    const verdict = await settle(tracker, settings, notes);
    const usage = await probe.stop();
    const replayMs = tracker.lastReceiptAt() - connectAt;
    notes.unshift(
      `stored ${verdict.ok} in ${storeMs.toFixed(0)} ms (${formatRate(rate(verdict.ok, storeMs))} msg/s, ${settings.window} in flight)`,
      `replay: connect → all ${replayMs.toFixed(0)} ms`,
    );
    return {
      scenario: 'backlog replay',
      side: side.name,
      rate: rate(verdict.delivered, replayMs),
      latency: summarize(tracker.latencies(connectAt)),
      verdict,
      usage,
      notes,
    };
  } finally {
    socket.close();
    readerSocket?.close();
  }
}
