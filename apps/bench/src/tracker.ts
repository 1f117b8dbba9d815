import { now } from './stats';

/** One send and what became of it; times are `now()` milliseconds. */
interface SendRecord {
  /** Messages of one conversation must arrive in the order the server accepted them. */
  conversation: string;
  recipients: readonly number[];
  /** When it was sent (open loop: when it was due, so a late send counts as latency). */
  startedAt: number;
  /** Counted in the figures (false: warm-up). */
  measured: boolean;
  okAt?: number;
  /** The ERROR ack (`acked`), or why no ack came (timeout, disconnection). */
  error?: { message: string; acked: boolean };
  /** Per recipient (same index as `recipients`): first receipt time and its place among all. */
  receivedAt: (number | undefined)[];
  receiptOrder: (number | undefined)[];
  /** The ack and the deliveries still awaited before the send is complete. */
  awaiting: number;
}

export interface Verdict {
  sent: number;
  ok: number;
  /** Sends answered ERROR, not answered (timeout, disconnection), or not answered yet. */
  errors: number;
  firstError?: string;
  /** First receipts of a message by one of its recipients. */
  delivered: number;
  /** Deliveries of OK'd messages never received. */
  lost: number;
  /** Receipts of a message its recipient had already received on the same connection. */
  duplicates: number;
  /** Receipts that came before a message of the same conversation accepted earlier. */
  reordered: number;
  /** Receipts of a message unknown to this scenario, or at a user it was not sent to. */
  unexpected: number;
  /** Messages received although their send was answered ERROR (so nothing should be stored). */
  deliveredAfterError: number;
  /** Human-readable correctness failures; empty when the delivery guarantee held. */
  problems: string[];
}

/**
 * Books every send and receipt of one scenario and checks the delivery guarantee: each message
 * the server acknowledged reaches each of its recipients exactly once and, within a conversation,
 * never before a message the server accepted before it was sent (that order is the only one a
 * client can observe when several sends are in flight).
 */
export class DeliveryTracker {
  private readonly sends: SendRecord[] = [];
  private receipts = 0;
  private duplicates = 0;
  private unexpected = 0;
  private firstUnexpected?: string;
  /** Deliveries of OK'd messages not received yet. */
  private missing = 0;
  /** Sends neither OK'd nor failed yet. */
  private unanswered = 0;

  /** `onComplete(id)` runs once a send has its ack and all its receipts, or has failed. */
  constructor(private readonly onComplete?: (id: number) => void) {}

  /** Books a send just before it is emitted; returns its id (put it in the message). */
  begin(
    conversation: string,
    recipients: readonly number[],
    measured: boolean,
    startedAt = now(),
  ): number {
    this.sends.push({
      conversation,
      recipients,
      startedAt,
      measured,
      receivedAt: recipients.map(() => undefined),
      receiptOrder: recipients.map(() => undefined),
      awaiting: recipients.length + 1,
    });
    this.unanswered++;
    return this.sends.length - 1;
  }

  ok(id: number, at = now()): void {
    const send = this.sends[id];
    if (!send || send.okAt !== undefined || send.error) return;
    send.okAt = at;
    this.unanswered--;
    this.missing += send.receivedAt.filter((t) => t === undefined).length;
    this.progress(id, send);
  }

  /** `acked`: the server answered ERROR. Otherwise no answer came, and it may still arrive. */
  failed(id: number, message: string, acked: boolean): void {
    const send = this.sends[id];
    if (!send || send.okAt !== undefined || send.error) return;
    send.error = { message, acked };
    this.unanswered--;
    if (send.awaiting > 0) {
      send.awaiting = 0;
      this.onComplete?.(id);
    }
  }

  /** A message reached user `recipient`; `id` is what the message carried (NaN if unreadable). */
  received(recipient: number, id: number, at = now()): void {
    const send = Number.isInteger(id) ? this.sends[id] : undefined;
    const slot = send ? send.recipients.indexOf(recipient) : -1;
    if (!send || slot < 0) {
      this.unexpected++;
      this.firstUnexpected ??= `message ${id} at user ${recipient}`;
      return;
    }
    if (send.receivedAt[slot] !== undefined) {
      this.duplicates++;
      return;
    }
    send.receivedAt[slot] = at;
    send.receiptOrder[slot] = this.receipts++;
    if (send.okAt !== undefined) this.missing--;
    this.progress(id, send);
  }

  private progress(id: number, send: SendRecord): void {
    if (--send.awaiting === 0) this.onComplete?.(id);
  }

  /** Deliveries of OK'd messages not received yet. */
  outstanding(): number {
    return this.missing;
  }

  /**
   * Waits until every send is answered and every OK'd message has reached every recipient;
   * false after `timeoutMs`.
   */
  async settle(timeoutMs: number, pollMs = 10): Promise<boolean> {
    const deadline = now() + timeoutMs;
    while (this.missing > 0 || this.unanswered > 0) {
      if (now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
    return true;
  }

  /** Send (or `origin`, when given) → receipt, per delivery of the measured sends, in ms. */
  latencies(origin?: number): number[] {
    const samples: number[] = [];
    for (const send of this.sends) {
      if (!send.measured) continue;
      const start = origin ?? send.startedAt;
      for (const at of send.receivedAt) if (at !== undefined) samples.push(at - start);
    }
    return samples;
  }

  /** Deliveries (first receipts) whose time falls in [from, to). */
  deliveredBetween(from: number, to: number): number {
    let count = 0;
    for (const send of this.sends) {
      for (const at of send.receivedAt) if (at !== undefined && at >= from && at < to) count++;
    }
    return count;
  }

  /**
   * Deliveries of the measured sends per second, from `from` to the last of them: the rate they
   * were sent at while the server keeps up, its capacity (drain included) once it does not.
   */
  measuredRate(from: number): number {
    let count = 0;
    let last = -Infinity;
    for (const send of this.sends) {
      if (!send.measured) continue;
      for (const at of send.receivedAt) {
        if (at === undefined) continue;
        count++;
        if (at > last) last = at;
      }
    }
    return last > from ? (count * 1000) / (last - from) : NaN;
  }

  /** The latest receipt time, or -Infinity before any. */
  lastReceiptAt(): number {
    let last = -Infinity;
    for (const send of this.sends) {
      for (const at of send.receivedAt) if (at !== undefined && at > last) last = at;
    }
    return last;
  }

  verdict(): Verdict {
    let ok = 0;
    let errors = 0;
    let firstError: string | undefined;
    let deliveredAfterError = 0;
    for (const send of this.sends) {
      if (send.okAt !== undefined) ok++;
      if (!send.error) continue;
      errors++;
      firstError ??= send.error.message;
      if (send.error.acked && send.receivedAt.some((t) => t !== undefined)) deliveredAfterError++;
    }
    errors += this.unanswered;
    if (this.unanswered) firstError ??= 'no answer yet';
    const reordered = this.reorderings();
    const problems: string[] = [];
    if (this.missing) problems.push(`${this.missing} deliveries of OK'd messages lost`);
    if (this.duplicates) problems.push(`${this.duplicates} deliveries received twice`);
    if (reordered) {
      problems.push(`${reordered} deliveries arrived before a message accepted earlier`);
    }
    if (deliveredAfterError) {
      problems.push(`${deliveredAfterError} messages delivered although answered ERROR`);
    }
    if (this.unexpected) {
      problems.push(`${this.unexpected} unexpected deliveries, e.g. ${this.firstUnexpected}`);
    }
    return {
      sent: this.sends.length,
      ok,
      errors,
      firstError,
      delivered: this.receipts,
      lost: this.missing,
      duplicates: this.duplicates,
      reordered,
      unexpected: this.unexpected,
      deliveredAfterError,
      problems,
    };
  }

  /**
   * Receipts of a message B that came before the receipt of some message A of the same
   * conversation whose OK the sender had before it sent B. Per conversation and recipient: sweep
   * B in send order, folding in every A acknowledged before B started.
   */
  private reorderings(): number {
    const lanes = new Map<string, { startedAt: number; okAt: number; order: number }[]>();
    for (const send of this.sends) {
      if (send.okAt === undefined) continue;
      send.recipients.forEach((recipient, slot) => {
        const order = send.receiptOrder[slot];
        if (order === undefined) return;
        const key = `${send.conversation}>${recipient}`;
        let lane = lanes.get(key);
        if (!lane) lanes.set(key, (lane = []));
        lane.push({ startedAt: send.startedAt, okAt: send.okAt as number, order });
      });
    }
    let count = 0;
    for (const lane of lanes.values()) {
      const byOk = [...lane].sort((a, b) => a.okAt - b.okAt);
      lane.sort((a, b) => a.startedAt - b.startedAt);
      let next = 0;
      let latestEarlier = -1;
      for (const b of lane) {
        while (next < byOk.length && byOk[next].okAt < b.startedAt) {
          latestEarlier = Math.max(latestEarlier, byOk[next++].order);
        }
        if (latestEarlier > b.order) count++;
      }
    }
    return count;
  }
}
