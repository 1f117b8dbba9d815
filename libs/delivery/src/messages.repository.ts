import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { Prisma, PrismaService } from '@app/database';

export interface NewMessage {
  senderId: string;
  groupId: string | null;
  recipientIds: string[];
  clientMessageId?: string;
  messageType: unknown;
  body: string;
  date: string;
  time: string;
}

export type StoreResult =
  | { kind: 'stored'; id: string; sentAt: Date; seqs: [userId: string, seq: number][] }
  | { kind: 'duplicate'; id: string; sentAt: Date }
  | { kind: 'queueFull'; recipientId: string };

export interface QueuedMessage {
  seq: number;
  id: string;
  groupId: string | null;
  messageType: unknown;
  message: string;
  date: string;
  time: string;
  from: string;
  sentAt: Date;
}

const DEADLOCK = '40P01';

/** A row of bowl_store_message: one per recipient when stored, a single one otherwise. */
interface StoreRow {
  outcome: 'stored' | 'duplicate' | 'queue_full';
  message_id: string | null;
  sent_at: Date | null;
  recipient_id: string | null;
  seq: string | null; // int8 arrives as text
}

@Injectable()
export class MessagesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a message and appends it to each recipient's queue, atomically and in one round trip
   * (the rules are in the bowl_store_message migration: idempotent resend, queue bound, seq order).
   */
  async store(message: NewMessage, maxQueued: number): Promise<StoreResult> {
    // One statement, all or nothing, so retrying it after a deadlock (e.g. with the purge) is safe.
    const { rows } = await retryOnDeadlock(() =>
      this.prisma.pool.query<StoreRow>(
        `SELECT outcome, message_id::text, sent_at, recipient_id::text, seq
           FROM bowl_store_message($1, $2, $3, $4, $5::json, $6, $7, $8, $9::uuid[], $10)`,
        [
          randomUUID(),
          message.senderId,
          message.groupId,
          message.clientMessageId ?? null,
          JSON.stringify(message.messageType),
          message.body,
          message.date,
          message.time,
          message.recipientIds,
          maxQueued,
        ],
      ),
    );
    const [first] = rows;
    if (first.outcome === 'queue_full') {
      return { kind: 'queueFull', recipientId: first.recipient_id! };
    }
    if (first.outcome === 'duplicate') {
      return { kind: 'duplicate', id: first.message_id!, sentAt: first.sent_at! };
    }
    return {
      kind: 'stored',
      id: first.message_id!,
      sentAt: first.sent_at!,
      seqs: rows
        .filter((r) => r.recipient_id !== null)
        .map((r) => [r.recipient_id!, Number(r.seq)] as [string, number]),
    };
  }

  /** The recipient's undelivered messages after `afterSeq`, in queue order. */
  async undelivered(
    recipientId: string,
    afterSeq: number,
    limit: number,
  ): Promise<QueuedMessage[]> {
    const { rows } = await this.prisma.pool.query<{
      seq: string;
      id: string;
      group_id: string | null;
      message_type: string;
      body: string;
      date: string;
      time: string;
      sender: string;
      sent_at: Date;
    }>(
      `SELECT d.seq, m.id::text, m.group_id::text, m.message_type::text, m.body, m.date, m.time,
              u.email AS sender, m.sent_at
         FROM deliveries d
         JOIN messages m ON m.id = d.message_id
         JOIN users u ON u.id = m.sender_id
        WHERE d.recipient_id = $1 AND d.seq > $2
        ORDER BY d.seq
        LIMIT $3`,
      [recipientId, afterSeq, limit],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      id: r.id,
      groupId: r.group_id,
      messageType: JSON.parse(r.message_type) as unknown,
      message: r.body,
      date: r.date,
      time: r.time,
      from: r.sender,
      sentAt: r.sent_at,
    }));
  }

  /**
   * Marks messages delivered, for any number of recipients, in one statement (the rules and the
   * lock order are in the bowl_acknowledge migration). Returns how many were acknowledged.
   */
  async acknowledge(acks: { userId: string; messageId: string }[]): Promise<number> {
    const { rows } = await retryOnDeadlock(() =>
      this.prisma.pool.query<{ acknowledged: number }>(
        'SELECT bowl_acknowledge($1::uuid[], $2::uuid[]) AS acknowledged',
        [acks.map((a) => a.userId), acks.map((a) => a.messageId)],
      ),
    );
    return rows[0].acknowledged;
  }

  /** The newest seq queued for each of `userIds` (users with an empty history are omitted). */
  async newestSeqs(userIds: string[]): Promise<Map<string, number>> {
    const rows = await this.prisma.$queryRaw<{ user_id: string; last_seq: bigint }[]>`
      SELECT user_id::text, last_seq FROM mailboxes WHERE user_id = ANY(${userIds}::uuid[]) AND last_seq > 0`;
    return new Map(rows.map((r) => [r.user_id, Number(r.last_seq)]));
  }

  /** Deletes messages older than `cutoff`, delivered or not, in batches. Returns how many. */
  async purgeOlderThan(cutoff: Date, batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const [{ deleted }] = await retryOnDeadlock(
        () => this.prisma.$queryRaw<{ deleted: number }[]>`
          WITH expired AS (
            SELECT id FROM messages WHERE sent_at < ${cutoff} ORDER BY id LIMIT ${batchSize} FOR UPDATE SKIP LOCKED
          ), gone AS (
            DELETE FROM deliveries d USING expired e WHERE d.message_id = e.id RETURNING d.recipient_id
          ), counts AS (
            SELECT recipient_id, count(*)::int AS n FROM gone GROUP BY recipient_id
          ), boxes AS (
            UPDATE mailboxes b SET pending = b.pending - c.n FROM counts c WHERE b.user_id = c.recipient_id
          ), removed AS (
            DELETE FROM messages m USING expired e WHERE m.id = e.id RETURNING 1
          )
          SELECT count(*)::int AS deleted FROM removed`,
      );
      total += deleted;
      if (deleted < batchSize) return total;
    }
  }
}

async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || !isDeadlock(err)) throw err;
    }
  }
}

function isDeadlock(err: unknown): boolean {
  if ((err as { code?: unknown }).code === DEADLOCK) return true; // pg
  const text =
    err instanceof Prisma.PrismaClientKnownRequestError ? JSON.stringify(err.meta) : String(err);
  return text.includes(DEADLOCK) || /deadlock detected/i.test(text);
}
