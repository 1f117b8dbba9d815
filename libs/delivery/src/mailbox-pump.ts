import { Logger } from '@nestjs/common';
import type { QueuedMessage } from './messages.repository';

/** What a pump needs from one connected socket. */
export interface DeliverySink {
  readonly userId: string;
  /** Emits with an acknowledgement callback; `onAck` runs when (and only if) the client answers. */
  send(event: string, payload: object, onAck: () => void): void;
}

export interface QueueReader {
  undelivered(userId: string, afterSeq: number, limit: number): Promise<QueuedMessage[]>;
}

const BATCH = 200;

/**
 * Delivers one socket's queue in seq order: first everything stored while it was away, then live
 * notices. `lastSeq` only moves forward; a live notice that is not exactly the next seq (a gap, a
 * notice that overtook another, or one arriving mid-replay) makes the pump re-read the queue from
 * PostgreSQL instead, so order and completeness never depend on the notices.
 */
export class MailboxPump {
  private static readonly logger = new Logger('Delivery');
  private lastSeq = 0;
  private reading = false;
  private readAgain = false;
  private closed = false;

  constructor(
    private readonly sink: DeliverySink,
    private readonly queue: QueueReader,
    private readonly onAck: (userId: string, messageId: string) => void,
  ) {}

  start(): void {
    void this.drain();
  }

  close(): void {
    this.closed = true;
  }

  /** A message was stored for this user with `seq`; `payload` is what the client gets. */
  notify(seq: number, event: string, payload: Record<string, unknown>): void {
    if (this.closed || seq <= this.lastSeq) return;
    if (!this.reading && seq === this.lastSeq + 1) {
      this.lastSeq = seq;
      this.deliver(event, payload);
      return;
    }
    void this.drain();
  }

  /** Whether something newer than what this socket was sent has been queued. */
  isBehind(newestSeq: number): boolean {
    return !this.closed && newestSeq > this.lastSeq;
  }

  /** Re-reads the queue after `lastSeq` until it is empty. */
  async drain(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      let batch: QueuedMessage[];
      do {
        this.readAgain = false;
        batch = await this.queue.undelivered(this.sink.userId, this.lastSeq, BATCH);
        for (const queued of batch) {
          if (this.closed) return;
          this.lastSeq = queued.seq;
          const { event, payload } = toClientEvent(queued);
          this.deliver(event, payload);
        }
      } while (!this.closed && (batch.length === BATCH || this.readAgain));
    } catch (err) {
      // The queue is intact in PostgreSQL; the next notice or connection reads it again.
      MailboxPump.logger.warn(
        `reading the queue of user ${this.sink.userId} failed: ${(err as Error).message}`,
      );
    } finally {
      this.reading = false;
    }
  }

  private deliver(event: string, payload: Record<string, unknown>): void {
    const id = payload.id as string;
    this.sink.send(event, payload, () => this.onAck(this.sink.userId, id));
  }
}

/** The wire shape of a queued message (the same as a live one). */
export function toClientEvent(m: Omit<QueuedMessage, 'seq'>): {
  event: 'contactChatMessage' | 'groupChatMessage';
  payload: Record<string, unknown>;
} {
  const common = {
    id: m.id,
    messageType: m.messageType,
    message: m.message,
    date: m.date,
    time: m.time,
    from: m.from,
    sentAt: m.sentAt.toISOString(),
  };
  return m.groupId === null
    ? { event: 'contactChatMessage', payload: common }
    : { event: 'groupChatMessage', payload: { groupId: m.groupId, ...common } };
}
