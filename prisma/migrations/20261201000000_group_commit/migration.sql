-- Group commit (#7): sends are written in batches, one transaction per batch; an acknowledgement
-- advances a per-recipient cursor instead of deleting a row; acknowledged deliveries are deleted
-- in bulk soon after.

-- The acknowledged prefix of each recipient's queue: every delivery with seq <= acked_seq has been
-- acknowledged. Kept apart from mailboxes so that acknowledgements never wait for the row lock a
-- send takes on the recipient's mailbox. (A later per-device delivery state keys this table by
-- device too; the queue itself stays per user.)
CREATE TABLE "delivery_cursors" (
    "user_id" UUID NOT NULL,
    "acked_seq" BIGINT NOT NULL DEFAULT 0,
    -- acknowledged deliveries up to here are deleted already
    "cleaned_seq" BIGINT NOT NULL DEFAULT 0,

    CONSTRAINT "delivery_cursors_pkey" PRIMARY KEY ("user_id")
);
ALTER TABLE "delivery_cursors" ADD CONSTRAINT "delivery_cursors_user_id_fkey" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE CASCADE;
INSERT INTO "delivery_cursors" ("user_id", "acked_seq", "cleaned_seq")
SELECT b."user_id", c.acked, c.acked
  FROM "mailboxes" b
 CROSS JOIN LATERAL (SELECT COALESCE((SELECT min(d."seq") - 1 FROM "deliveries" d WHERE d."recipient_id" = b."user_id"), b."last_seq") AS acked) c;

-- Who sent each queued delivery, so a sender's share of a recipient's queue can be counted.
ALTER TABLE "deliveries" ADD COLUMN "sender_id" UUID;
UPDATE "deliveries" d SET "sender_id" = m."sender_id" FROM "messages" m WHERE m."id" = d."message_id";
ALTER TABLE "deliveries" ALTER COLUMN "sender_id" SET NOT NULL;

-- The queue length is now last_seq - acked_seq; group messages skipped because the recipient's
-- queue was full are counted, to be told on their next connect.
ALTER TABLE "mailboxes" DROP COLUMN "pending";
ALTER TABLE "mailboxes" ADD COLUMN "dropped" INTEGER NOT NULL DEFAULT 0;
ALTER TABLE "messages" DROP COLUMN "pending";

DROP FUNCTION "bowl_store_message"(UUID, UUID, CHAR(24), TEXT, JSON, TEXT, TEXT, TEXT, UUID[], INTEGER);
DROP FUNCTION "bowl_acknowledge"(UUID[], UUID[]);

-- Stores a batch of messages in one transaction: the send hot path. Input arrays are parallel, one
-- element per message; each message has either p_tos (the 1:1 recipient's email) or p_groups.
-- One row comes back per message, in input order (idx), with its outcome:
--   'duplicate'    a resend: same sender and client id as a stored message (its id and sent_at);
--   'not_contact'  1:1 to someone who is not an accepted contact of the sender;
--   'not_member'   group message from someone who is not a member;
--   'queue_full'   1:1 to a recipient whose queue is full, or holds the sender's whole share;
--   'stored'       stored, with the recipients and the seq each got in their queue.
-- The checks run inside the write, so a send never needs a separate round trip, and no send that
-- starts after a removeContact/leaveGroup/removeGroupMember committed can use the old relation.
-- Recipients' mailboxes are locked in user id order, so concurrent batches never deadlock; each
-- recipient's seqs are taken under that lock in input order, so a recipient's queue commits in
-- seq order and each conversation keeps the order of the batch. A group member whose queue is
-- full (or holds the sender's share) is skipped and counted in mailboxes.dropped; the others get
-- the message. The callers never put two messages with the same sender and client id in one batch.
CREATE FUNCTION "bowl_store_batch"(
  p_ids UUID[], p_senders UUID[], p_tos TEXT[], p_groups TEXT[], p_client_ids TEXT[],
  p_types TEXT[], p_bodies TEXT[], p_dates TEXT[], p_times TEXT[],
  p_max_queued INTEGER, p_sender_share INTEGER
) RETURNS TABLE (idx INTEGER, outcome TEXT, message_id UUID, sent_at TIMESTAMPTZ, recipient_ids UUID[], seqs BIGINT[])
LANGUAGE plpgsql AS $$
DECLARE
  v_outcome TEXT[];
  v_to_ids UUID[];
  v_plan_idx INTEGER[];
  v_plan_recipient UUID[];
  v_plan_ok BOOLEAN[];
  v_inserted UUID[];
BEGIN
  -- 1. Who may send what: resends, contacts, memberships (one row per message, in input order).
  SELECT array_agg(CASE
           WHEN dup.id IS NOT NULL THEN 'duplicate'
           WHEN i.to_email IS NOT NULL AND ct.contact_id IS NULL THEN 'not_contact'
           WHEN i.group_id IS NOT NULL AND me.user_id IS NULL THEN 'not_member'
         END ORDER BY i.n),
         array_agg(ct.contact_id ORDER BY i.n)
    INTO v_outcome, v_to_ids
    FROM unnest(p_senders, p_tos, p_groups, p_client_ids) WITH ORDINALITY AS i(sender, to_email, group_id, client_id, n)
    LEFT JOIN messages dup ON dup.sender_id = i.sender AND dup.client_message_id = i.client_id
    LEFT JOIN users u ON u.email = i.to_email
    LEFT JOIN contacts ct ON ct.user_id = i.sender AND ct.contact_id = u.id
    LEFT JOIN group_members me ON me.group_id = i.group_id AND me.user_id = i.sender;

  -- 2. Every recipient of the messages to store, whether their queue takes it (under the lock).
  WITH todo AS (
    SELECT t.n, p_senders[t.n] AS sender, v_to_ids[t.n] AS to_id, p_groups[t.n] AS group_id
      FROM generate_subscripts(p_ids, 1) AS t(n)
     WHERE v_outcome[t.n] IS NULL
  ), candidates AS (
    SELECT t.n, t.sender, t.to_id AS recipient FROM todo t WHERE t.to_id IS NOT NULL
    UNION ALL
    SELECT t.n, t.sender, gm.user_id FROM todo t
      JOIN group_members gm ON gm.group_id = t.group_id AND gm.user_id <> t.sender
  ), locked AS (
    SELECT b.user_id, b.last_seq FROM mailboxes b
     WHERE b.user_id IN (SELECT c.recipient FROM candidates c)
     ORDER BY b.user_id FOR UPDATE
  ), queued AS (
    SELECT c.n, c.sender, c.recipient, k.acked,
           l.last_seq - k.acked + row_number() OVER (PARTITION BY c.recipient ORDER BY c.n) AS backlog,
           row_number() OVER (PARTITION BY c.recipient, c.sender ORDER BY c.n) AS nth_from_sender
      FROM candidates c
      JOIN locked l ON l.user_id = c.recipient
      CROSS JOIN LATERAL (SELECT COALESCE((SELECT dc.acked_seq FROM delivery_cursors dc WHERE dc.user_id = c.recipient), 0) AS acked) k
  )
  SELECT array_agg(q.n), array_agg(q.recipient),
         array_agg(q.backlog <= p_max_queued AND (q.backlog <= p_sender_share OR
           (SELECT count(*) FROM (SELECT 1 FROM deliveries d
                                   WHERE d.recipient_id = q.recipient AND d.seq > q.acked AND d.sender_id = q.sender
                                   LIMIT p_sender_share) mine) + q.nth_from_sender <= p_sender_share))
    INTO v_plan_idx, v_plan_recipient, v_plan_ok
    FROM queued q;

  -- A 1:1 message is refused as a whole when its one recipient cannot take it.
  SELECT array_agg(CASE WHEN o.outcome IS NULL AND v_to_ids[o.n] IS NOT NULL AND EXISTS (
           SELECT 1 FROM unnest(v_plan_idx, v_plan_ok) p(n, ok) WHERE p.n = o.n AND NOT p.ok)
           THEN 'queue_full' ELSE o.outcome END ORDER BY o.n)
    INTO v_outcome
    FROM unnest(v_outcome) WITH ORDINALITY AS o(outcome, n);

  -- 3. The messages. A message nobody gets (a group of one, every member full) keeps no
  -- ciphertext: its row only makes a resend idempotent.
  WITH inserted AS (
    INSERT INTO messages AS m (id, sender_id, group_id, client_message_id, message_type, body, date, time)
    SELECT p_ids[t.n], p_senders[t.n], p_groups[t.n], p_client_ids[t.n],
           CASE WHEN r.any_ok THEN p_types[t.n]::json END,
           CASE WHEN r.any_ok THEN p_bodies[t.n] END,
           p_dates[t.n], p_times[t.n]
      FROM generate_subscripts(p_ids, 1) AS t(n)
      CROSS JOIN LATERAL (SELECT EXISTS (SELECT 1 FROM unnest(v_plan_idx, v_plan_ok) p(n, ok) WHERE p.n = t.n AND p.ok) AS any_ok) r
     WHERE v_outcome[t.n] IS NULL
    ON CONFLICT (sender_id, client_message_id) DO NOTHING -- the same resend, racing from another instance
    RETURNING m.id
  )
  SELECT COALESCE(array_agg(inserted.id), '{}') INTO v_inserted FROM inserted;

  -- 4. Queue each inserted message for the recipients that take it, count the skipped ones.
  RETURN QUERY
  WITH plan AS (
    SELECT p.n, p.recipient, p.ok FROM unnest(v_plan_idx, v_plan_recipient, v_plan_ok) AS p(n, recipient, ok)
     WHERE p_ids[p.n] = ANY(v_inserted)
  ), counts AS (
    SELECT plan.recipient, count(*) FILTER (WHERE plan.ok) AS taken, count(*) FILTER (WHERE NOT plan.ok) AS skipped
      FROM plan GROUP BY plan.recipient
  ), bumped AS (
    UPDATE mailboxes b SET last_seq = b.last_seq + c.taken, dropped = b.dropped + c.skipped
      FROM counts c WHERE b.user_id = c.recipient
    RETURNING b.user_id, b.last_seq - c.taken AS base
  ), numbered AS (
    SELECT plan.n, plan.recipient, bumped.base + row_number() OVER (PARTITION BY plan.recipient ORDER BY plan.n) AS seq
      FROM plan JOIN bumped ON bumped.user_id = plan.recipient
     WHERE plan.ok
  ), queued AS (
    INSERT INTO deliveries (recipient_id, seq, message_id, sender_id)
    SELECT numbered.recipient, numbered.seq, p_ids[numbered.n], p_senders[numbered.n] FROM numbered
    RETURNING deliveries.recipient_id, deliveries.seq, deliveries.message_id
  ), per_message AS (
    SELECT queued.message_id, array_agg(queued.recipient_id ORDER BY queued.recipient_id) AS recipient_ids,
           array_agg(queued.seq ORDER BY queued.recipient_id) AS seqs
      FROM queued GROUP BY queued.message_id
  )
  SELECT t.n::INTEGER,
         CASE WHEN v_outcome[t.n] IS NOT NULL THEN v_outcome[t.n]
              WHEN p_ids[t.n] = ANY(v_inserted) THEN 'stored'
              ELSE 'duplicate' END,
         COALESCE(CASE WHEN p_ids[t.n] = ANY(v_inserted) THEN p_ids[t.n] END, dup.id),
         -- sent_at is the column's default, now() rounded to its precision
         COALESCE(CASE WHEN p_ids[t.n] = ANY(v_inserted) THEN now()::TIMESTAMPTZ(3) END, dup.sent_at),
         COALESCE(pm.recipient_ids, '{}'), COALESCE(pm.seqs, '{}')
    FROM generate_subscripts(p_ids, 1) AS t(n)
    LEFT JOIN per_message pm ON pm.message_id = p_ids[t.n]
    LEFT JOIN messages dup ON (v_outcome[t.n] = 'duplicate' OR (v_outcome[t.n] IS NULL AND NOT p_ids[t.n] = ANY(v_inserted)))
                          AND dup.sender_id = p_senders[t.n] AND dup.client_message_id = p_client_ids[t.n]
   ORDER BY t.n;
END;
$$;

-- Deletes acknowledged deliveries (at most p_limit) of the recipients whose cursor moved since the
-- last run, then the ciphertext of the messages that no recipient is waiting for any more. Runs
-- off the hot path, every few seconds. Returns how many deliveries were deleted.
CREATE FUNCTION "bowl_clean_acknowledged"(p_limit INTEGER) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  v_messages UUID[];
  v_count INTEGER;
BEGIN
  WITH moved AS (
    SELECT c.user_id, c.cleaned_seq, c.acked_seq FROM delivery_cursors c WHERE c.acked_seq > c.cleaned_seq
  ), acked AS (
    SELECT d.recipient_id, d.seq FROM moved JOIN deliveries d
        ON d.recipient_id = moved.user_id AND d.seq > moved.cleaned_seq AND d.seq <= moved.acked_seq
     LIMIT p_limit
  ), gone AS (
    DELETE FROM deliveries d USING acked a WHERE d.recipient_id = a.recipient_id AND d.seq = a.seq
    RETURNING d.message_id
  ), done AS (
    -- unless the limit stopped the run part way, every moved cursor's range is clean now
    UPDATE delivery_cursors c SET cleaned_seq = moved.acked_seq FROM moved
     WHERE c.user_id = moved.user_id AND (SELECT count(*) FROM acked) < p_limit
  )
  SELECT array_agg(DISTINCT gone.message_id), count(*) INTO v_messages, v_count FROM gone;
  UPDATE messages m SET body = NULL, message_type = NULL
   WHERE m.id = ANY(v_messages) AND m.body IS NOT NULL
     AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.id);
  RETURN v_count;
END;
$$;

-- Deletes up to p_limit messages sent before p_cutoff, delivered or not, with their deliveries.
-- A purged delivery leaves a hole in its recipient's queue; the recipient's cursor moves over the
-- holes below their first remaining delivery, so the queue's length (last_seq - acked_seq) stays
-- true. Returns how many messages were deleted.
CREATE FUNCTION "bowl_purge_messages"(p_cutoff TIMESTAMPTZ, p_limit INTEGER) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  v_count INTEGER;
  v_recipients UUID[];
BEGIN
  WITH expired AS (
    SELECT m.id FROM messages m WHERE m.sent_at < p_cutoff ORDER BY m.id LIMIT p_limit FOR UPDATE SKIP LOCKED
  ), gone AS (
    DELETE FROM deliveries d USING expired e WHERE d.message_id = e.id RETURNING d.recipient_id
  ), removed AS (
    DELETE FROM messages m USING expired e WHERE m.id = e.id RETURNING m.id
  )
  SELECT (SELECT count(*) FROM removed), (SELECT array_agg(DISTINCT gone.recipient_id) FROM gone)
    INTO v_count, v_recipients;
  INSERT INTO delivery_cursors AS c (user_id, acked_seq)
  SELECT b.user_id, COALESCE((SELECT min(d.seq) - 1 FROM deliveries d WHERE d.recipient_id = b.user_id), b.last_seq)
    FROM mailboxes b WHERE b.user_id = ANY(v_recipients) ORDER BY b.user_id
  ON CONFLICT (user_id) DO UPDATE SET acked_seq = GREATEST(c.acked_seq, EXCLUDED.acked_seq);
  RETURN v_count;
END;
$$;
