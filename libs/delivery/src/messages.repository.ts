import { Injectable } from '@nestjs/common';
import { PrismaService } from '@app/database';
import { ChatEvent, encodePayload, eventOf, QueuedDelivery } from './wire';

/** A send, as the batch writer takes it: `to` (1:1) or `groupId`, never both. */
export interface NewMessage {
  id: string;
  senderId: string;
  to: string | null;
  groupId: string | null;
  clientMessageId: string | null;
  messageTypeJson: string;
  body: string;
  date: string;
  time: string;
}

export type StoreOutcome =
  | { kind: 'stored'; id: string; sentAt: Date; recipients: [userId: string, seq: number][] }
  | { kind: 'duplicate'; id: string; sentAt: Date }
  | { kind: 'not_contact' }
  | { kind: 'not_member' }
  | { kind: 'queue_full' };

export interface QueueLimits {
  /** Undelivered messages one recipient may have. */
  maxQueued: number;
  /** Of those, how many may come from one sender. */
  senderShare: number;
}

/** The start of a user's queue as one read returns it. */
export interface QueueRead {
  /** Everything up to this seq is acknowledged. */
  ackedSeq: number;
  /** Group messages skipped because the user's queue was full, not told yet. */
  dropped: number;
  deliveries: QueuedDelivery[];
}

const DEADLOCK = '40P01';

interface StoreRow {
  idx: number;
  outcome: 'stored' | 'duplicate' | 'not_contact' | 'not_member' | 'queue_full';
  message_id: string | null;
  sent_at: Date | null;
  recipient_ids: string[];
  seqs: string[]; // int8 arrives as text
}

interface QueueRow {
  acked: string;
  dropped: number;
  seq: string | null;
  id: string;
  group_id: string | null;
  message_type: string;
  body: string;
  date: string;
  time: string;
  sender: string;
  sent_at: Date;
}

/**
 * The delivery tables. The statements on the per-message path run on Prisma's own pg pool as
 * named (prepared once per connection) statements: Prisma's client engine compiles every query on
 * every call, which the bench measured as the largest CPU cost per message.
 */
@Injectable()
export class MessagesRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * Stores a batch in one transaction (the rules are in the bowl_store_batch migration): the
   * outcome of each message, in input order. The batch never holds two messages with the same
   * sender and client id.
   */
  async storeBatch(messages: NewMessage[], limits: QueueLimits): Promise<StoreOutcome[]> {
    const column = <K extends keyof NewMessage>(key: K) => messages.map((m) => m[key]);
    // One statement, all or nothing, so retrying it after a deadlock (e.g. with the purge) is safe.
    const { rows } = await retryOnDeadlock(() =>
      this.prisma.pool.query<StoreRow>({
        name: 'bowl_store_batch',
        text: `SELECT idx, outcome, message_id::text, sent_at, recipient_ids::text[], seqs::text[]
                 FROM bowl_store_batch($1::uuid[], $2::uuid[], $3::text[], $4::char(24)[], $5::text[],
                                       $6::text[], $7::text[], $8::text[], $9::text[], $10, $11)`,
        values: [
          column('id'),
          column('senderId'),
          column('to'),
          column('groupId'),
          column('clientMessageId'),
          column('messageTypeJson'),
          column('body'),
          column('date'),
          column('time'),
          limits.maxQueued,
          limits.senderShare,
        ],
      }),
    );
    return rows.map((row): StoreOutcome => {
      switch (row.outcome) {
        case 'stored':
          return {
            kind: 'stored',
            id: row.message_id!,
            sentAt: row.sent_at!,
            recipients: row.recipient_ids.map((id, i) => [id, Number(row.seqs[i])]),
          };
        case 'duplicate':
          return { kind: 'duplicate', id: row.message_id!, sentAt: row.sent_at! };
        default:
          return { kind: row.outcome };
      }
    });
  }

  /**
   * The user's undelivered messages after `afterSeq` (and after the acknowledged cursor), in
   * queue order, encoded for the socket.
   */
  async undelivered(userId: string, afterSeq: number, limit: number): Promise<QueueRead> {
    const { rows } = await this.prisma.pool.query<QueueRow>({
      name: 'bowl_undelivered',
      text: `WITH cursor AS (
               SELECT COALESCE((SELECT acked_seq FROM delivery_cursors WHERE user_id = $1), 0) AS acked,
                      COALESCE((SELECT dropped FROM mailboxes WHERE user_id = $1), 0) AS dropped
             )
             SELECT cursor.acked, cursor.dropped, q.seq, q.id, q.group_id, q.message_type, q.body, q.date, q.time,
                    q.sender, q.sent_at
               FROM cursor LEFT JOIN LATERAL (
                 SELECT d.seq, m.id::text, m.group_id::text, m.message_type::text, m.body, m.date,
                        m.time, u.email AS sender, m.sent_at
                   FROM deliveries d
                   JOIN messages m ON m.id = d.message_id
                   JOIN users u ON u.id = m.sender_id
                  WHERE d.recipient_id = $1 AND d.seq > GREATEST($2::bigint, cursor.acked)
                  ORDER BY d.seq
                  LIMIT $3
               ) q ON true`,
      values: [userId, afterSeq, limit],
    });
    const deliveries: QueuedDelivery[] = [];
    for (const r of rows) {
      if (r.seq === null || r.body === null) continue; // an empty queue, or a purged message
      deliveries.push({
        seq: Number(r.seq),
        event: eventOf(r.group_id) satisfies ChatEvent,
        sentAt: r.sent_at.getTime(),
        json: encodePayload({
          id: r.id,
          groupId: r.group_id,
          messageTypeJson: r.message_type,
          message: r.body,
          date: r.date,
          time: r.time,
          from: r.sender,
          sentAt: r.sent_at,
        }),
      });
    }
    return {
      ackedSeq: Number(rows[0]?.acked ?? 0),
      dropped: rows[0]?.dropped ?? 0,
      deliveries,
    };
  }

  /**
   * Moves each user's acknowledged cursor forward to `seq` (never back), for any number of users
   * in one statement, locking cursor rows in user id order so concurrent writers never deadlock.
   */
  async advanceCursors(cursors: Map<string, number>): Promise<void> {
    const userIds = [...cursors.keys()].sort();
    await retryOnDeadlock(() =>
      this.prisma.pool.query({
        name: 'bowl_advance_cursors',
        text: `INSERT INTO delivery_cursors AS c (user_id, acked_seq)
               SELECT * FROM unnest($1::uuid[], $2::bigint[]) ORDER BY 1
               ON CONFLICT (user_id) DO UPDATE SET acked_seq = GREATEST(c.acked_seq, EXCLUDED.acked_seq)`,
        values: [userIds, userIds.map((id) => cursors.get(id)!)],
      }),
    );
  }

  /** The newest seq queued for each of `userIds` (users with an empty history are omitted). */
  async newestSeqs(userIds: string[]): Promise<Map<string, number>> {
    const { rows } = await this.prisma.pool.query<{ user_id: string; last_seq: string }>(
      'SELECT user_id::text, last_seq FROM mailboxes WHERE user_id = ANY($1::uuid[]) AND last_seq > 0',
      [userIds],
    );
    return new Map(rows.map((r) => [r.user_id, Number(r.last_seq)]));
  }

  /**
   * Deletes acknowledged deliveries, and the ciphertext of messages nobody is waiting for any
   * more, at most `limit` deliveries per call (see bowl_clean_acknowledged). Returns how many.
   */
  async cleanAcknowledged(limit: number): Promise<number> {
    const { rows } = await retryOnDeadlock(() =>
      this.prisma.pool.query<{ n: number }>('SELECT bowl_clean_acknowledged($1) AS n', [limit]),
    );
    return rows[0].n;
  }

  /** Deletes messages older than `cutoff`, delivered or not, in batches. Returns how many. */
  async purgeOlderThan(cutoff: Date, batchSize = 1000): Promise<number> {
    let total = 0;
    for (;;) {
      const { rows } = await retryOnDeadlock(() =>
        this.prisma.pool.query<{ n: number }>('SELECT bowl_purge_messages($1, $2) AS n', [
          cutoff,
          batchSize,
        ]),
      );
      total += rows[0].n;
      if (rows[0].n < batchSize) return total;
    }
  }

  /** Deliveries waiting in all queues after their recipient's cursor. */
  async backlog(): Promise<number> {
    const { rows } = await this.prisma.pool.query<{ n: string }>(
      `SELECT COALESCE(sum(b.last_seq - COALESCE(c.acked_seq, 0)), 0) AS n
         FROM mailboxes b LEFT JOIN delivery_cursors c ON c.user_id = b.user_id`,
    );
    return Number(rows[0].n);
  }

  /** Forgets `count` skipped messages once the user has been told about them. */
  async forgetDropped(userId: string, count: number): Promise<void> {
    await this.prisma.pool.query(
      'UPDATE mailboxes SET dropped = GREATEST(dropped - $2, 0) WHERE user_id = $1',
      [userId, count],
    );
  }
}

async function retryOnDeadlock<T>(work: () => Promise<T>, attempts = 3): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (attempt >= attempts || (err as { code?: unknown }).code !== DEADLOCK) throw err;
    }
  }
}
