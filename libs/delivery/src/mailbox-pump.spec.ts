import { Logger } from '@nestjs/common';
import { isCalendarDate } from './dto/messages.dto';
import { DeliverySink, MailboxPump, QueueReader, toClientEvent } from './mailbox-pump';
import type { QueuedMessage } from './messages.repository';

const USER = 'user-1';

function queued(seq: number, groupId: string | null = null): QueuedMessage {
  return {
    seq,
    id: `message-${seq}`,
    groupId,
    messageType: { kind: 'text', n: seq },
    message: `ciphertext ${seq}`,
    date: '01/02/2026',
    time: '12:34',
    from: 'sender@example.com',
    sentAt: new Date(Date.UTC(2026, 1, 1, 12, 34, seq)),
  };
}

/** What a live notice carries for a queued message: the same payload as a read. */
const notice = (seq: number) => toClientEvent(queued(seq));

/** A queue read the test answers by hand, so it can act while the read is in flight. */
interface PendingRead {
  afterSeq: number;
  limit: number;
  resolve(rows: QueuedMessage[]): void;
  reject(err: Error): void;
}

class ManualReader implements QueueReader {
  readonly reads: PendingRead[] = [];

  undelivered(userId: string, afterSeq: number, limit: number): Promise<QueuedMessage[]> {
    expect(userId).toBe(USER);
    return new Promise((resolve, reject) => this.reads.push({ afterSeq, limit, resolve, reject }));
  }

  get last(): PendingRead {
    return this.reads[this.reads.length - 1];
  }
}

/** Answers every read at once from an in-memory queue. */
class ArrayReader implements QueueReader {
  readonly reads: number[] = [];
  constructor(readonly queue: QueuedMessage[] = []) {}

  async undelivered(_userId: string, afterSeq: number, limit: number): Promise<QueuedMessage[]> {
    this.reads.push(afterSeq);
    return this.queue.filter((m) => m.seq > afterSeq).slice(0, limit);
  }
}

class RecordingSink implements DeliverySink {
  readonly userId = USER;
  readonly sent: { event: string; payload: Record<string, unknown>; ack: () => void }[] = [];

  send(event: string, payload: object, onAck: () => void): void {
    this.sent.push({ event, payload: payload as Record<string, unknown>, ack: onAck });
  }

  get ids(): string[] {
    return this.sent.map((s) => s.payload.id as string);
  }
}

const ids = (...seqs: number[]) => seqs.map((seq) => `message-${seq}`);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);
/** Lets every pending promise continuation run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('MailboxPump', () => {
  let sink: RecordingSink;
  let acks: [string, string][];
  let warn: jest.SpyInstance;

  beforeEach(() => {
    sink = new RecordingSink();
    acks = [];
    warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
  });

  afterEach(() => warn.mockRestore());

  const pumpOn = (reader: QueueReader) =>
    new MailboxPump(sink, reader, (userId, messageId) => acks.push([userId, messageId]));

  /** A pump that has delivered the queue 1..n and is idle. */
  async function idlePumpAt(n: number) {
    const reader = new ArrayReader(range(1, n).map((seq) => queued(seq)));
    const pump = pumpOn(reader);
    pump.start();
    await settle();
    expect(sink.ids).toEqual(ids(...range(1, n)));
    return { pump, reader };
  }

  it('delivers what was queued while away, in seq order, with the wire payload', async () => {
    const reader = new ArrayReader([queued(1), queued(2), queued(3, 'a'.repeat(24))]);
    const pump = pumpOn(reader);

    pump.start();
    await settle();

    expect(reader.reads).toEqual([0]);
    expect(sink.sent.map((s) => s.event)).toEqual([
      'contactChatMessage',
      'contactChatMessage',
      'groupChatMessage',
    ]);
    expect(sink.sent[0].payload).toStrictEqual({
      id: 'message-1',
      messageType: { kind: 'text', n: 1 },
      message: 'ciphertext 1',
      date: '01/02/2026',
      time: '12:34',
      from: 'sender@example.com',
      sentAt: '2026-02-01T12:34:01.000Z',
    });
    expect(sink.sent[2].payload).toStrictEqual({
      groupId: 'a'.repeat(24),
      ...toClientEvent(queued(3)).payload,
    });
  });

  it('reports an acknowledgement with the user and message id, only when the client answers', async () => {
    await idlePumpAt(2);
    expect(acks).toEqual([]);

    sink.sent[1].ack();

    expect(acks).toEqual([[USER, 'message-2']]);
  });

  it('sends a live notice with the next seq directly, without reading the queue', async () => {
    const { pump, reader } = await idlePumpAt(2);

    const { event, payload } = notice(3);
    pump.notify(3, event, payload);

    expect(sink.ids).toEqual(ids(1, 2, 3));
    expect(sink.sent[2].payload).toBe(payload);
    expect(reader.reads).toEqual([0]);
  });

  it('reads the queue when a notice leaves a gap, and delivers the missing ones first', async () => {
    const { pump, reader } = await idlePumpAt(1);
    reader.queue.push(queued(2), queued(3));

    pump.notify(3, notice(3).event, notice(3).payload);
    await settle();

    expect(reader.reads).toEqual([0, 1]);
    expect(sink.ids).toEqual(ids(1, 2, 3));
  });

  it('ignores notices at or below the last delivered seq', async () => {
    const { pump, reader } = await idlePumpAt(3);

    for (const seq of [1, 2, 3]) pump.notify(seq, notice(seq).event, notice(seq).payload);
    await settle();

    expect(sink.ids).toEqual(ids(1, 2, 3));
    expect(reader.reads).toEqual([0]);
  });

  it('loses and duplicates nothing when notices arrive during a read, and keeps the order', async () => {
    const reader = new ManualReader();
    const pump = pumpOn(reader);
    pump.start();
    expect(reader.reads.map((r) => r.afterSeq)).toEqual([0]);

    // Messages 3 and 4 are stored while the first read (which saw only 1 and 2) is in flight.
    pump.notify(3, notice(3).event, notice(3).payload);
    pump.notify(4, notice(4).event, notice(4).payload);
    expect(sink.sent).toEqual([]); // not sent ahead of 1 and 2
    expect(reader.reads).toHaveLength(1); // no second concurrent read

    reader.last.resolve([queued(1), queued(2)]);
    await settle();
    expect(sink.ids).toEqual(ids(1, 2));
    expect(reader.reads.map((r) => r.afterSeq)).toEqual([0, 2]); // read again for what it missed

    reader.last.resolve([queued(3), queued(4)]);
    await settle();
    expect(sink.ids).toEqual(ids(1, 2, 3, 4));
    expect(reader.reads).toHaveLength(2);

    // Back to live delivery afterwards.
    pump.notify(5, notice(5).event, notice(5).payload);
    expect(sink.ids).toEqual(ids(1, 2, 3, 4, 5));
    expect(reader.reads).toHaveLength(2);
  });

  it('does not deliver twice what a read already returned when its notice was in flight', async () => {
    const reader = new ManualReader();
    const pump = pumpOn(reader);
    pump.start();

    pump.notify(1, notice(1).event, notice(1).payload);
    reader.last.resolve([queued(1), queued(2)]); // the read already saw message 1 and 2
    await settle();
    pump.notify(2, notice(2).event, notice(2).payload); // late notice
    reader.last.resolve([]); // the re-read finds nothing new
    await settle();

    expect(sink.ids).toEqual(ids(1, 2));
  });

  it('reads in batches of 200 until the queue is exhausted', async () => {
    const reader = new ArrayReader(range(1, 450).map((seq) => queued(seq)));
    const pump = pumpOn(reader);

    pump.start();
    for (let i = 0; i < 5; i++) await settle();

    expect(reader.reads).toEqual([0, 200, 400]);
    expect(sink.ids).toEqual(ids(...range(1, 450)));
  });

  it('delivers nothing after close(), neither live nor read', async () => {
    const { pump, reader } = await idlePumpAt(1);

    pump.close();
    pump.notify(2, notice(2).event, notice(2).payload);
    pump.notify(4, notice(4).event, notice(4).payload);
    await settle();

    expect(sink.ids).toEqual(ids(1));
    expect(reader.reads).toEqual([0]);

    // Closed while a read is in flight: its result is dropped.
    const manual = new ManualReader();
    const other = pumpOn(manual);
    other.start();
    other.close();
    manual.last.resolve([queued(2), queued(3)]);
    await settle();
    expect(sink.ids).toEqual(ids(1));
    expect(manual.reads).toHaveLength(1);
  });

  it('survives a failed read without throwing, and reads again on the next notice', async () => {
    const reader = new ManualReader();
    const pump = pumpOn(reader);
    const draining = pump.drain();

    reader.last.reject(new Error('connection reset'));
    await expect(draining).resolves.toBeUndefined();
    expect(sink.sent).toEqual([]);
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('connection reset'));

    pump.notify(2, notice(2).event, notice(2).payload); // a gap from 0: read again
    expect(reader.reads.map((r) => r.afterSeq)).toEqual([0, 0]);
    reader.last.resolve([queued(1), queued(2)]);
    await settle();
    expect(sink.ids).toEqual(ids(1, 2));
  });
});

describe('isCalendarDate', () => {
  it.each([
    ['29/02/2024', true],
    ['01/01/26', true],
    ['31/12/2026', true],
    ['29/02/2023', false],
    ['31/04/2026', false],
    ['32/01/2026', false],
    ['00/01/2026', false],
    ['01/13/2026', false],
    ['1/1/2026', false],
    ['01/01/026', false],
    ['2026-01-01', false],
    ['', false],
  ])('%p → %p', (value, expected) => {
    expect(isCalendarDate(value)).toBe(expected);
  });

  it('refuses anything that is not a string', () => {
    for (const value of [undefined, null, 20260101, new Date(), ['01/01/2026']]) {
      expect(isCalendarDate(value)).toBe(false);
    }
  });
});
