import { now } from './stats';

/** A send: `tag` is "<scenario>:<stream>:<seq>", seq counting from 0 within its stream. */
interface SendRecord {
  stream: string;
  seq: number;
  recipients: readonly number[];
  startedAt: number;
  okAt?: number;
  /** The ERROR ack, or why no ack came (timeout, disconnection). */
  error?: { message: string; acked: boolean };
}

export interface Verdict {
  sent: number;
  ok: number;
  delivered: number;
  /** Human-readable problems; empty when every OK'd message arrived exactly once, in order. */
  problems: string[];
  /** Sends that failed: a client would resend them, so nothing is lost, but they should not. */
  warnings: string[];
}

const POLL_MS = 10;

/**
 * Books every send and every receipt of one scenario, then checks delivery: each message the
 * server acknowledged reaches each of its recipients exactly once and, per sender stream, in
 * send order (when `ordered`, i.e. one send in flight per stream).
 */
export class DeliveryTracker {
  private readonly sends = new Map<string, SendRecord>();
  /** `${recipient}/${tag}` → time of the first receipt. */
  private readonly receipts = new Map<string, number>();
  /** `${recipient}/${stream}` → highest seq received so far. */
  private readonly lastSeq = new Map<string, number>();
  private duplicates = 0;
  private outOfOrder = 0;
  private unexpected = 0;
  private firstUnexpected?: string;
  firstSendAt = Infinity;
  lastReceiptAt = -Infinity;

  constructor(
    readonly scenario: string,
    private readonly ordered: boolean,
  ) {}

  tag(stream: string, seq: number): string {
    return `${this.scenario}:${stream}:${seq}`;
  }

  /** Call right before emitting. */
  sending(stream: string, seq: number, recipients: readonly number[]): string {
    const tag = this.tag(stream, seq);
    const startedAt = now();
    this.firstSendAt = Math.min(this.firstSendAt, startedAt);
    this.sends.set(tag, { stream, seq, recipients, startedAt });
    return tag;
  }

  ok(tag: string): void {
    const record = this.sends.get(tag);
    if (record) record.okAt = now();
  }

  /** `acked`: the server answered ERROR (so it must not have stored the message). */
  failed(tag: string, message: string, acked: boolean): void {
    const record = this.sends.get(tag);
    if (record) record.error = { message, acked };
  }

  received(recipient: number, tag: string): void {
    const at = now();
    const record = this.sends.get(tag);
    const key = `${recipient}/${tag}`;
    if (!record || !record.recipients.includes(recipient)) {
      this.unexpected++;
      this.firstUnexpected ??= `${tag} at recipient ${recipient}`;
      return;
    }
    if (this.receipts.has(key)) {
      this.duplicates++;
      return;
    }
    this.receipts.set(key, at);
    this.lastReceiptAt = Math.max(this.lastReceiptAt, at);
    const streamKey = `${recipient}/${record.stream}`;
    if (record.seq <= (this.lastSeq.get(streamKey) ?? -1)) this.outOfOrder++;
    else this.lastSeq.set(streamKey, record.seq);
  }

  /** Deliveries of OK'd messages not received yet. */
  missing(): number {
    let missing = 0;
    for (const [tag, record] of this.sends) {
      if (record.okAt === undefined) continue;
      for (const r of record.recipients) if (!this.receipts.has(`${r}/${tag}`)) missing++;
    }
    return missing;
  }

  /** Waits until every OK'd message has reached every recipient; false after `timeoutMs`. */
  async settle(timeoutMs: number): Promise<boolean> {
    const deadline = now() + timeoutMs;
    while (this.missing() > 0) {
      if (now() > deadline) return false;
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
    return true;
  }

  /** send → OK ack, per OK'd send. */
  sendToOk(): number[] {
    return [...this.sends.values()].flatMap((r) =>
      r.okAt === undefined ? [] : [r.okAt - r.startedAt],
    );
  }

  /** send → receipt, per delivery. */
  sendToReceipt(): number[] {
    return [...this.sends].flatMap(([tag, r]) =>
      r.recipients.flatMap((recipient) => {
        const at = this.receipts.get(`${recipient}/${tag}`);
        return at === undefined ? [] : [at - r.startedAt];
      }),
    );
  }

  /** send → the last recipient's receipt, per message fully delivered. */
  sendToLastReceipt(): number[] {
    return [...this.sends].flatMap(([tag, r]) => {
      const times = r.recipients.map((recipient) => this.receipts.get(`${recipient}/${tag}`));
      if (times.some((t) => t === undefined)) return [];
      return [Math.max(...(times as number[])) - r.startedAt];
    });
  }

  verdict(): Verdict {
    const records = [...this.sends];
    const failures = records.filter(([, r]) => r.error !== undefined);
    const ok = records.filter(([, r]) => r.okAt !== undefined).length;
    const warnings: string[] = [];
    const problems: string[] = [];
    if (failures.length) {
      warnings.push(
        `${failures.length} send(s) failed, e.g. "${failures[0][1].error?.message}" (a client would resend)`,
      );
    }
    const deliveredAnyway = failures.filter(
      ([tag, r]) => r.error?.acked && r.recipients.some((n) => this.receipts.has(`${n}/${tag}`)),
    ).length;
    if (deliveredAnyway) {
      problems.push(
        `${deliveredAnyway} message(s) delivered although their send was answered ERROR`,
      );
    }
    const missing = this.missing();
    if (missing) problems.push(`${missing} acknowledged message deliveries lost (never received)`);
    if (this.duplicates) problems.push(`${this.duplicates} deliveries received more than once`);
    if (this.ordered && this.outOfOrder) {
      problems.push(`${this.outOfOrder} deliveries out of order within their sender's stream`);
    }
    if (this.unexpected) {
      problems.push(
        `${this.unexpected} unexpected deliveries (not sent in this scenario to that user), e.g. ${this.firstUnexpected}`,
      );
    }
    return { sent: records.length, ok, delivered: this.receipts.size, problems, warnings };
  }
}
