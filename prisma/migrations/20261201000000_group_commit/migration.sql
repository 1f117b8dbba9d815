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

-- A batch writes a delivery per recipient; a foreign key to users would lock each recipient's
-- users row (FOR KEY SHARE) once more per delivery, while the batch already holds their mailbox
-- rows FOR UPDATE: the key points at the mailbox instead, whose lock covers the check. And none to
-- messages: both are written and deleted together by the functions below, never apart.
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_recipient_id_fkey";
ALTER TABLE "deliveries" ADD CONSTRAINT "deliveries_recipient_id_fkey" FOREIGN KEY ("recipient_id") REFERENCES "mailboxes"("user_id") ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE "deliveries" DROP CONSTRAINT "deliveries_message_id_fkey";

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
  p_ids UUID[], p_senders UUID[], p_tos TEXT[], p_groups CHAR(24)[], p_client_ids TEXT[],
  p_types TEXT[], p_bodies TEXT[], p_dates TEXT[], p_times TEXT[],
  p_max_queued INTEGER, p_sender_share INTEGER
) RETURNS TABLE (idx INTEGER, outcome TEXT, message_id UUID, sent_at TIMESTAMPTZ, recipient_ids UUID[], seqs BIGINT[])
LANGUAGE plpgsql
-- Its statements are planned once per connection, not on every call: a single send at low load
-- would otherwise spend about a third of its time planning.
SET plan_cache_mode = force_generic_plan
AS $$
-- Every table is reached by its index from the batch (correlated lookups, `= ANY(array)`), never
-- scanned, and per-message facts are kept in arrays indexed by the message's position `n`, so the
-- cost grows with the batch, not with the tables.
DECLARE
  v_outcome TEXT[];    -- per message: NULL while it may be stored
  v_to_ids UUID[];     -- per message: the 1:1 recipient, when a contact
  c_n INTEGER[];       -- per candidate delivery (ordered by n, recipient): its message
  c_sender UUID[];
  c_recipient UUID[];
  c_ok BOOLEAN[];      -- the recipient's queue takes it
  v_recipients UUID[]; -- every candidate recipient, in user id order (the lock order)
  v_any_ok BOOLEAN[];  -- per message: someone takes it
  v_stored BOOLEAN[];  -- per message: inserted by this call
BEGIN
  -- 1. Who may send what: resends, contacts, memberships.
  -- (Subqueries in the select list, and OFFSET 0 below, keep the planner from turning a lookup
  -- per message into a join that scans a whole table.)
  SELECT array_agg(CASE
           WHEN i.client_id IS NOT NULL AND EXISTS (
             SELECT 1 FROM messages m WHERE m.sender_id = i.sender AND m.client_message_id = i.client_id)
             THEN 'duplicate'
           WHEN i.to_email IS NOT NULL AND i.to_id IS NULL THEN 'not_contact'
           WHEN i.group_id IS NOT NULL AND NOT EXISTS (
             SELECT 1 FROM group_members me WHERE me.group_id = i.group_id AND me.user_id = i.sender)
             THEN 'not_member'
         END ORDER BY i.n),
         array_agg(i.to_id ORDER BY i.n)
    INTO v_outcome, v_to_ids
    FROM (
      SELECT a.*, (SELECT ct.contact_id FROM users u JOIN contacts ct ON ct.contact_id = u.id
                    WHERE u.email = a.to_email AND ct.user_id = a.sender) AS to_id
        FROM unnest(p_senders, p_tos, p_groups, p_client_ids) WITH ORDINALITY AS a(sender, to_email, group_id, client_id, n)
      OFFSET 0
    ) i;

  -- 2. Every recipient of the messages to store.
  SELECT array_agg(x.n ORDER BY x.n, x.recipient), array_agg(x.sender ORDER BY x.n, x.recipient),
         array_agg(x.recipient ORDER BY x.n, x.recipient)
    INTO c_n, c_sender, c_recipient
    FROM (
      SELECT t.n, p_senders[t.n] AS sender, v_to_ids[t.n] AS recipient
        FROM generate_subscripts(p_ids, 1) AS t(n)
       WHERE v_outcome[t.n] IS NULL AND v_to_ids[t.n] IS NOT NULL
      UNION ALL
      SELECT t.n, p_senders[t.n], gm.user_id
        FROM generate_subscripts(p_ids, 1) AS t(n)
        CROSS JOIN LATERAL (
          SELECT g.user_id FROM group_members g WHERE g.group_id = p_groups[t.n] AND g.user_id <> p_senders[t.n]
          OFFSET 0
        ) gm
       WHERE v_outcome[t.n] IS NULL AND p_groups[t.n] IS NOT NULL
    ) x;
  v_recipients := ARRAY(SELECT DISTINCT r FROM unnest(c_recipient) AS r ORDER BY r);

  -- 3. Lock the recipients' mailboxes in user id order; whether each queue takes each message.
  WITH box AS (
    SELECT b.user_id, b.last_seq FROM mailboxes b WHERE b.user_id = ANY(v_recipients)
     ORDER BY b.user_id FOR UPDATE
  ), cursor AS (
    SELECT dc.user_id, dc.acked_seq FROM delivery_cursors dc WHERE dc.user_id = ANY(v_recipients)
  ), queued AS (
    SELECT c.n, c.sender, c.recipient, COALESCE(cursor.acked_seq, 0) AS acked,
           box.last_seq - COALESCE(cursor.acked_seq, 0)
             + row_number() OVER (PARTITION BY c.recipient ORDER BY c.n) AS backlog,
           row_number() OVER (PARTITION BY c.recipient, c.sender ORDER BY c.n) AS nth_from_sender
      FROM unnest(c_n, c_sender, c_recipient) AS c(n, sender, recipient)
      JOIN box ON box.user_id = c.recipient
      LEFT JOIN cursor ON cursor.user_id = c.recipient
  )
  SELECT array_agg(q.backlog <= p_max_queued AND (q.backlog <= p_sender_share OR
           (SELECT count(*) FROM (SELECT 1 FROM deliveries d
                                   WHERE d.recipient_id = q.recipient AND d.seq > q.acked AND d.sender_id = q.sender
                                   LIMIT p_sender_share) mine) + q.nth_from_sender <= p_sender_share)
           ORDER BY q.n, q.recipient)
    INTO c_ok
    FROM queued q;

  -- A 1:1 message is refused as a whole when its one recipient cannot take it.
  SELECT array_agg(CASE WHEN t_outcome IS NULL AND v_to_ids[t.n] IS NOT NULL AND NOT COALESCE(a.all_ok, true)
                        THEN 'queue_full' ELSE t_outcome END ORDER BY t.n),
         array_agg(COALESCE(a.any_ok, false) ORDER BY t.n)
    INTO v_outcome, v_any_ok
    FROM generate_subscripts(p_ids, 1) AS t(n)
    CROSS JOIN LATERAL (SELECT v_outcome[t.n] AS t_outcome) o
    LEFT JOIN (
      SELECT x.n, bool_or(x.ok) AS any_ok, bool_and(x.ok) AS all_ok
        FROM unnest(c_n, c_ok) AS x(n, ok) GROUP BY x.n
    ) a ON a.n = t.n;

  -- 4. The messages. A message nobody gets (a group of one, every member full) keeps no
  -- ciphertext: its row only makes a resend idempotent.
  WITH inserted AS (
    INSERT INTO messages AS m (id, sender_id, group_id, client_message_id, message_type, body, date, time)
    SELECT p_ids[t.n], p_senders[t.n], p_groups[t.n], p_client_ids[t.n],
           CASE WHEN v_any_ok[t.n] THEN p_types[t.n]::json END,
           CASE WHEN v_any_ok[t.n] THEN p_bodies[t.n] END,
           p_dates[t.n], p_times[t.n]
      FROM generate_subscripts(p_ids, 1) AS t(n)
     WHERE v_outcome[t.n] IS NULL
    ON CONFLICT (sender_id, client_message_id) DO NOTHING -- the same resend, racing from another instance
    RETURNING m.id
  )
  SELECT array_agg(inserted.id IS NOT NULL ORDER BY t.n) INTO v_stored
    FROM generate_subscripts(p_ids, 1) AS t(n) LEFT JOIN inserted ON inserted.id = p_ids[t.n];

  -- 5. Queue each stored message for the recipients that take it, count the skipped ones.
  RETURN QUERY
  WITH plan AS (
    SELECT c.n, c.recipient, c.ok FROM unnest(c_n, c_recipient, c_ok) AS c(n, recipient, ok)
     WHERE v_stored[c.n]
  ), counts AS (
    SELECT plan.recipient, count(*) FILTER (WHERE plan.ok) AS taken, count(*) FILTER (WHERE NOT plan.ok) AS skipped
      FROM plan GROUP BY plan.recipient
  ), bumped AS (
    UPDATE mailboxes b SET last_seq = b.last_seq + c.taken, dropped = b.dropped + c.skipped
      FROM counts c WHERE b.user_id = c.recipient AND b.user_id = ANY(v_recipients)
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
              WHEN v_stored[t.n] THEN 'stored'
              ELSE 'duplicate' END,
         CASE WHEN v_stored[t.n] THEN p_ids[t.n] ELSE dup.id END,
         -- sent_at is the column's default, now() rounded to its precision
         CASE WHEN v_stored[t.n] THEN now()::TIMESTAMPTZ(3) ELSE dup.sent_at END,
         COALESCE(pm.recipient_ids, '{}'), COALESCE(pm.seqs, '{}')
    FROM generate_subscripts(p_ids, 1) AS t(n)
    LEFT JOIN per_message pm ON pm.message_id = p_ids[t.n]
    LEFT JOIN LATERAL (
      SELECT m.id, m.sent_at FROM messages m
       WHERE (v_outcome[t.n] = 'duplicate' OR (v_outcome[t.n] IS NULL AND NOT v_stored[t.n]))
         AND m.sender_id = p_senders[t.n] AND m.client_message_id = p_client_ids[t.n]
      OFFSET 0
    ) dup ON true
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
