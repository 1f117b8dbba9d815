import { Logger } from '@nestjs/common';
import type { QueueRead } from '../messages.repository';
import type { QueuedDelivery } from '../wire';
import { PumpContext, UserPump } from './user-pump';

const USER = 'user-1';

const delivery = (seq: number): QueuedDelivery => ({
  seq,
  event: 'contactChatMessage',
  sentAt: seq,
  json: `{"id":"message-${seq}"}`,
});
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Lets every pending promise continuation run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

/** A read the test answers by hand, so it can act while the read is in flight. */
interface PendingRead {
  afterSeq: number;
  limit: number;
  resolve(read: Partial<QueueRead>): void;
  reject(err: Error): void;
}

/**
 * The context a pump runs in, recording what it does. Reads are answered from `queue` (seqs)
 * after max(afterSeq, ackedSeq), unless `manual` is set.
 */
class FakeContext implements PumpContext {
  window = 1000;
  queue: number[] = [];
  ackedSeq = 0;
  dropped_ = 0;
  manual = false;
  readonly reads: PendingRead[] = [];
  readonly written: { socket: string; seq: number; ack: () => void }[] = [];
  readonly acknowledgedSeqs: number[] = [];
  readonly told: { sockets: string[]; count: number }[] = [];
  deliveredCount = 0;

  read(userId: string, afterSeq: number, limit: number): Promise<QueueRead> {
    expect(userId).toBe(USER);
    return new Promise((resolve, reject) => {
      const pending: PendingRead = {
        afterSeq,
        limit,
        resolve: (read) =>
          resolve({ ackedSeq: this.ackedSeq, dropped: 0, deliveries: [], ...read }),
        reject,
      };
      this.reads.push(pending);
      if (this.manual) return;
      const from = Math.max(afterSeq, this.ackedSeq);
      pending.resolve({
        dropped: this.dropped_,
        deliveries: this.queue
          .filter((s) => s > from)
          .slice(0, limit)
          .map(delivery),
      });
    });
  }

  write(socket: object, d: QueuedDelivery, onAck: () => void): void {
    this.written.push({ socket: (socket as { name: string }).name, seq: d.seq, ack: onAck });
  }

  acknowledged(userId: string, seq: number): void {
    expect(userId).toBe(USER);
    this.acknowledgedSeqs.push(seq);
  }

  dropped(sockets: Iterable<object>, userId: string, count: number): void {
    this.told.push({ sockets: [...sockets].map((s) => (s as { name: string }).name), count });
  }

  delivered(): void {
    this.deliveredCount++;
  }

  /** Seqs written to `socket`, in order. */
  to(socket: string): number[] {
    return this.written.filter((w) => w.socket === socket).map((w) => w.seq);
  }

  ack(socket: string, seq: number): void {
    this.written.find((w) => w.socket === socket && w.seq === seq)!.ack();
  }
}

const socket = (name: string) => ({ name });

describe('UserPump', () => {
  let ctx: FakeContext;
  let warn: jest.SpyInstance;

  beforeEach(() => {
    ctx = new FakeContext();
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });
  afterEach(() => warn.mockRestore());

  /** A pump with socket "a" that has delivered the queue 1..n and is idle. */
  async function pumpAt(n: number) {
    ctx.queue = range(1, n);
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    await pump.drain();
    expect(ctx.to('a')).toEqual(range(1, n));
    return pump;
  }

  it('delivers what was queued while away, in seq order, reading after the stored cursor', async () => {
    ctx.queue = range(1, 5);
    ctx.ackedSeq = 2;
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    await pump.drain();
    expect(ctx.reads.map((r) => r.afterSeq)).toEqual([0]);
    expect(ctx.to('a')).toEqual([3, 4, 5]);
    expect(ctx.deliveredCount).toBe(3);
  });

  it('starts after the stored cursor when the queue is empty, so the next notice goes straight out', async () => {
    ctx.ackedSeq = 7;
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    await pump.drain();
    pump.notify(delivery(8));
    expect(ctx.to('a')).toEqual([8]);
    expect(ctx.reads).toHaveLength(1);
  });

  it('sends a live notice with the next seq directly, without reading the queue', async () => {
    const pump = await pumpAt(3);
    pump.notify(delivery(4));
    expect(ctx.to('a')).toEqual([1, 2, 3, 4]);
    expect(ctx.reads).toHaveLength(1);
  });

  it('reads the queue when a notice leaves a gap, and delivers the missing ones first', async () => {
    const pump = await pumpAt(2);
    ctx.queue = range(1, 5);
    pump.notify(delivery(5));
    await settle();
    expect(ctx.to('a')).toEqual([1, 2, 3, 4, 5]);
    expect(ctx.reads.map((r) => r.afterSeq)).toEqual([0, 2]);
  });

  it('ignores notices at or below the last delivered seq', async () => {
    const pump = await pumpAt(3);
    pump.notify(delivery(2));
    pump.notify(delivery(3));
    await settle();
    expect(ctx.to('a')).toEqual([1, 2, 3]);
    expect(ctx.reads).toHaveLength(1);
  });

  it('loses and duplicates nothing when notices arrive during a read, and keeps the order', async () => {
    ctx.manual = true;
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    void pump.drain();
    pump.notify(delivery(3)); // mid-read: only makes the pump read again
    ctx.reads[0].resolve({ deliveries: [1, 2].map(delivery) });
    await settle();
    expect(ctx.to('a')).toEqual([1, 2]);
    ctx.reads[1].resolve({ deliveries: [3, 4].map(delivery) });
    await settle();
    expect(ctx.to('a')).toEqual([1, 2, 3, 4]);
    pump.notify(delivery(4));
    pump.notify(delivery(5));
    expect(ctx.to('a')).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads in batches of 200 until the queue is exhausted', async () => {
    await pumpAt(450);
    expect(ctx.reads.map((r) => [r.afterSeq, r.limit])).toEqual([
      [0, 200],
      [200, 200],
      [400, 200],
    ]);
  });

  it('delivers nothing after close(), neither live nor read', async () => {
    ctx.manual = true;
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    void pump.drain();
    pump.close();
    ctx.reads[0].resolve({ deliveries: [1, 2].map(delivery) });
    await settle();
    pump.notify(delivery(3));
    expect(ctx.written).toEqual([]);
  });

  it('survives a failed read without throwing, and reads again on the next notice', async () => {
    ctx.manual = true;
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    const first = pump.drain();
    ctx.reads[0].reject(new Error('connection reset'));
    await expect(first).resolves.toBeUndefined();
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('connection reset'));
    pump.notify(delivery(2));
    ctx.reads[1].resolve({ deliveries: [1, 2].map(delivery) });
    await settle();
    expect(ctx.to('a')).toEqual([1, 2]);
  });

  it('advances the cursor over the acknowledged prefix only, whatever order acks come in', async () => {
    await pumpAt(4);
    ctx.ack('a', 2);
    expect(ctx.acknowledgedSeqs).toEqual([]); // 1 is still out
    ctx.ack('a', 1);
    expect(ctx.acknowledgedSeqs).toEqual([2]);
    ctx.ack('a', 1); // again: nothing new
    ctx.ack('a', 4);
    ctx.ack('a', 3);
    expect(ctx.acknowledgedSeqs).toEqual([2, 4]);
  });

  it('jumps over seqs that were never sent (purged holes) when acknowledging', async () => {
    ctx.queue = [1, 2, 5, 6];
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    await pump.drain();
    for (const seq of [1, 2, 5]) ctx.ack('a', seq);
    expect(ctx.acknowledgedSeqs).toEqual([1, 2, 5]);
  });

  it('keeps at most `window` messages unacknowledged, and goes on as acks come', async () => {
    ctx.window = 3;
    ctx.queue = range(1, 7);
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    await pump.drain();
    expect(ctx.to('a')).toEqual([1, 2, 3]);
    pump.notify(delivery(8)); // the window is full: no write, and no read either
    await settle();
    expect(ctx.to('a')).toEqual([1, 2, 3]);
    ctx.ack('a', 1);
    await settle();
    expect(ctx.to('a')).toEqual([1, 2, 3, 4]);
    ctx.queue = range(1, 8);
    ctx.ack('a', 2);
    ctx.ack('a', 3);
    await settle();
    expect(ctx.to('a')).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('gives a socket that joins while messages are out everything unacknowledged, in order', async () => {
    const pump = await pumpAt(4);
    ctx.ack('a', 1);
    ctx.ack('a', 2);
    ctx.ackedSeq = 2; // written by then
    pump.add(socket('b'));
    await settle();
    // Both sockets get 3 and 4 again (the pump rewinds to the cursor; clients dedupe by id).
    expect(ctx.to('b')).toEqual([3, 4]);
    expect(ctx.to('a')).toEqual([1, 2, 3, 4, 3, 4]);
    pump.notify(delivery(5));
    expect(ctx.to('b')).toEqual([3, 4, 5]);
  });

  it('adds a socket that joins an idle pump straight to the live ones', async () => {
    const pump = await pumpAt(2);
    ctx.ack('a', 1);
    ctx.ack('a', 2);
    pump.add(socket('b'));
    pump.notify(delivery(3));
    expect(ctx.to('b')).toEqual([3]);
    expect(ctx.reads).toHaveLength(1);
    expect(pump.remove(socket('b') as never)).toBe(2); // another object: not the one added
  });

  it('tells the sockets once about group messages skipped while the queue was full', async () => {
    ctx.dropped_ = 3;
    ctx.queue = range(1, 450);
    const pump = new UserPump(USER, ctx);
    pump.add(socket('a'));
    await pump.drain();
    pump.notify(delivery(452));
    await settle();
    expect(ctx.told).toEqual([{ sockets: ['a'], count: 3 }]);
  });
});
