import { Logger } from '@nestjs/common';
import type { QueueRead } from '../messages.repository';
import type { QueuedDelivery } from '../wire';

/** What every pump of an instance shares (one object, not one per pump). */
export interface PumpContext {
  /** Reads the user's queue after `afterSeq` (and after their acknowledged cursor). */
  read(userId: string, afterSeq: number, limit: number): Promise<QueueRead>;
  /** Writes one delivery to one socket; `onAck` runs when (and only if) the client answers. */
  write(socket: object, delivery: QueuedDelivery, onAck: () => void): void;
  /** The user has acknowledged everything up to `seq`. */
  acknowledged(userId: string, seq: number): void;
  /** The user's first read found `count` group messages skipped while their queue was full. */
  dropped(sockets: Iterable<object>, userId: string, count: number): void;
  /** Unacknowledged messages a pump may have out at once (so per socket, too). */
  window: number;
  /** Counts one message delivered (to however many of the user's sockets). */
  delivered(): void;
}

const READ_BATCH = 200;

/**
 * Delivers one user's queue to their sockets on this instance, in seq order: first what was
 * stored while they were away, then live notices. `lastSent` only moves forward; a notice that is
 * not exactly the next seq (a gap, one that overtook another, one arriving mid-read) makes the pump
 * read the queue from PostgreSQL instead, so order and completeness never depend on the notices.
 *
 * Acknowledgements from any of the user's sockets advance one cursor: the last seq of the longest
 * acknowledged prefix of what was sent. At most `window` messages are out unacknowledged, so a
 * socket that never reads holds no more than that. A socket that joins while messages are out
 * makes the pump rewind to the cursor and send them again to every socket of the user here
 * (clients dedupe by id): rare (a second tab), and simpler than a second position per socket.
 */
export class UserPump {
  private static readonly logger = new Logger('Delivery');
  private readonly sockets = new Set<object>();
  private lastSent = 0;
  /** Sent seqs beyond the acknowledged prefix, oldest first. */
  private out: number[] = [];
  /** Acknowledged seqs that wait for an older one (acknowledged out of order). */
  private ackedAhead?: Set<number>;
  private acked = 0;
  private reading = false;
  private readAgain = false;
  /** Bumped when a socket joins with messages out; the pump rewinds once per bump. */
  private generation = 0;
  private rewoundAt = 0;
  private toldDropped = false;
  private closed = false;

  constructor(
    readonly userId: string,
    private readonly ctx: PumpContext,
  ) {}

  /** A socket of the user connected: it gets everything not yet acknowledged, then live ones. */
  add(socket: object): void {
    this.sockets.add(socket);
    if (this.out.length > 0 || this.reading) {
      this.generation++;
      void this.drain();
    }
  }

  /** Returns how many of the user's sockets are left here. */
  remove(socket: object): number {
    this.sockets.delete(socket);
    return this.sockets.size;
  }

  close(): void {
    this.closed = true;
  }

  /** A message was stored for this user. */
  notify(delivery: QueuedDelivery): void {
    if (this.closed || delivery.seq <= this.lastSent) return;
    if (!this.reading && delivery.seq === this.lastSent + 1 && this.out.length < this.ctx.window) {
      this.send(delivery);
      return;
    }
    void this.drain();
  }

  /** Whether something newer than what was sent has been queued. */
  isBehind(newestSeq: number): boolean {
    return !this.closed && newestSeq > this.lastSent;
  }

  /** Reads the queue after `lastSent` until it is empty or the window is full. */
  async drain(): Promise<void> {
    if (this.reading) {
      this.readAgain = true;
      return;
    }
    this.reading = true;
    try {
      let more = false;
      do {
        this.readAgain = false;
        if (this.rewoundAt !== this.generation) this.rewind();
        const generation = this.generation;
        const room = Math.min(READ_BATCH, this.ctx.window - this.out.length);
        if (room <= 0) break; // acknowledgements call drain() again
        const read = await this.ctx.read(this.userId, this.lastSent, room);
        if (this.closed) return;
        if (generation !== this.generation) {
          more = true; // a socket joined meanwhile: read again from the cursor, for all
          continue;
        }
        if (read.ackedSeq > this.lastSent && this.out.length === 0) {
          this.lastSent = this.acked = read.ackedSeq; // acknowledged already: start after it
        }
        if (!this.toldDropped) {
          this.toldDropped = true;
          if (read.dropped > 0) this.ctx.dropped(this.sockets, this.userId, read.dropped);
        }
        for (const delivery of read.deliveries)
          if (delivery.seq > this.lastSent) this.send(delivery);
        more = read.deliveries.length === room;
      } while (!this.closed && (more || this.readAgain));
    } catch (err) {
      // The queue is intact in PostgreSQL; the next notice, sweep or connection reads it again.
      UserPump.logger.warn(
        `reading the queue of user ${this.userId} failed: ${(err as Error).message}`,
      );
    } finally {
      this.reading = false;
    }
  }

  /** Forgets what is out unacknowledged, so that it is read and sent again. */
  private rewind(): void {
    this.rewoundAt = this.generation;
    this.lastSent = this.acked;
    this.out = [];
  }

  private send(delivery: QueuedDelivery): void {
    this.lastSent = delivery.seq;
    this.out.push(delivery.seq);
    const onAck = () => this.ack(delivery.seq);
    for (const socket of this.sockets) this.ctx.write(socket, delivery, onAck);
    this.ctx.delivered();
  }

  private ack(seq: number): void {
    if (seq <= this.acked) return;
    if (this.out[0] !== seq) {
      (this.ackedAhead ??= new Set()).add(seq);
      return;
    }
    const windowWasFull = this.out.length >= this.ctx.window;
    this.out.shift();
    this.acked = seq;
    while (this.out.length > 0 && this.ackedAhead?.delete(this.out[0]))
      this.acked = this.out.shift()!;
    if (this.ackedAhead?.size === 0) this.ackedAhead = undefined;
    this.ctx.acknowledged(this.userId, this.acked);
    if (windowWasFull && !this.closed) void this.drain();
  }
}
