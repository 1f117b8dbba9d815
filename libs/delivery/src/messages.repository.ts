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
/** Sends to one recipient queue up behind its mailbox lock; give them time under load. */
const TX_OPTIONS = { maxWait: 10_000, timeout: 15_000 };

@Injectable()
export class MessagesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a message and appends it to each recipient's queue, in one transaction. Each
   * recipient's next seq is taken under their mailbox row lock (locked in user id order, so two
   * group sends cannot deadlock), so a recipient's deliveries commit in seq order.
   */
  async store(message: NewMessage, maxQueued: number): Promise<StoreResult> {
    const id = randomUUID();
    const recipients = [...message.recipientIds].sort();
    return this.prisma
      .$transaction(async (tx): Promise<StoreResult> => {
        const inserted = await tx.$queryRaw<{ id: string; sent_at: Date }[]>`
        INSERT INTO messages (id, sender_id, group_id, client_message_id, message_type, body, date, time, pending)
        VALUES (${id}::uuid, ${message.senderId}::uuid, ${message.groupId}, ${message.clientMessageId ?? null},
                ${JSON.stringify(message.messageType)}::json, ${message.body}, ${message.date}, ${message.time},
                ${recipients.length})
        ON CONFLICT (sender_id, client_message_id) DO NOTHING
        RETURNING id::text, sent_at`;
        if (inserted.length === 0) {
          const [first] = await tx.$queryRaw<{ id: string; sent_at: Date }[]>`
          SELECT id::text, sent_at FROM messages
           WHERE sender_id = ${message.senderId}::uuid AND client_message_id = ${message.clientMessageId}`;
          return { kind: 'duplicate', id: first.id, sentAt: first.sent_at };
        }
        const boxes = await tx.$queryRaw<{ user_id: string; pending: number }[]>`
        SELECT user_id::text, pending FROM mailboxes
         WHERE user_id = ANY(${recipients}::uuid[]) ORDER BY user_id FOR UPDATE`;
        const full = boxes.find((b) => b.pending >= maxQueued);
        if (full) throw new QueueFull(full.user_id);
        const seqs = await tx.$queryRaw<{ user_id: string; last_seq: bigint }[]>`
        UPDATE mailboxes SET last_seq = last_seq + 1, pending = pending + 1
         WHERE user_id = ANY(${recipients}::uuid[])
        RETURNING user_id::text, last_seq`;
        await tx.$executeRaw`
        INSERT INTO deliveries (recipient_id, seq, message_id)
        SELECT r, s, ${id}::uuid
          FROM unnest(${seqs.map((s) => s.user_id)}::uuid[], ${seqs.map((s) => s.last_seq.toString())}::bigint[]) AS t(r, s)`;
        return {
          kind: 'stored',
          id,
          sentAt: inserted[0].sent_at,
          seqs: seqs.map((s) => [s.user_id, Number(s.last_seq)] as [string, number]),
        };
      }, TX_OPTIONS)
      .catch((err: unknown) => {
        if (err instanceof QueueFull)
          return { kind: 'queueFull', recipientId: err.recipientId } as const;
        throw err;
      });
  }

  /** The recipient's undelivered messages after `afterSeq`, in queue order. */
  async undelivered(
    recipientId: string,
    afterSeq: number,
    limit: number,
  ): Promise<QueuedMessage[]> {
    const rows = await this.prisma.$queryRaw<
      {
        seq: bigint;
        id: string;
        group_id: string | null;
        message_type: string;
        body: string;
        date: string;
        time: string;
        sender: string;
        sent_at: Date;
      }[]
    >`
      SELECT d.seq, m.id::text, m.group_id::text, m.message_type::text, m.body, m.date, m.time,
             u.email AS sender, m.sent_at
        FROM deliveries d
        JOIN messages m ON m.id = d.message_id
        JOIN users u ON u.id = m.sender_id
       WHERE d.recipient_id = ${recipientId}::uuid AND d.seq > ${afterSeq}
       ORDER BY d.seq
       LIMIT ${limit}`;
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
   * Marks messages delivered to one recipient. A message whose last recipient acknowledged it
   * loses its ciphertext at once; the row stays (without it) until retention, for idempotent
   * resends. Returns how many deliveries were acknowledged.
   */
  async acknowledge(recipientId: string, messageIds: string[]): Promise<number> {
    return retryOnDeadlock(() =>
      this.prisma.$transaction(async (tx) => {
        const acked = await tx.$queryRaw<{ message_id: string }[]>`
          DELETE FROM deliveries
           WHERE recipient_id = ${recipientId}::uuid AND message_id = ANY(${messageIds}::uuid[])
          RETURNING message_id::text`;
        if (acked.length === 0) return 0;
        const ids = acked.map((a) => a.message_id).sort();
        await tx.$executeRaw`
          UPDATE mailboxes SET pending = pending - ${acked.length} WHERE user_id = ${recipientId}::uuid`;
        await tx.$executeRaw`SELECT 1 FROM messages WHERE id = ANY(${ids}::uuid[]) ORDER BY id FOR UPDATE`;
        await tx.$executeRaw`
          UPDATE messages
             SET pending = pending - 1,
                 body = CASE WHEN pending <= 1 THEN NULL ELSE body END,
                 message_type = CASE WHEN pending <= 1 THEN NULL ELSE message_type END
           WHERE id = ANY(${ids}::uuid[])`;
        return acked.length;
      }, TX_OPTIONS),
    );
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

class QueueFull extends Error {
  constructor(readonly recipientId: string) {
    super('recipient queue full');
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
  const text =
    err instanceof Prisma.PrismaClientKnownRequestError ? JSON.stringify(err.meta) : String(err);
  return text.includes(DEADLOCK) || /deadlock detected/i.test(text);
}
