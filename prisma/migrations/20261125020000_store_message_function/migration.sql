-- Stores one message and appends it to every recipient's queue in a single round trip (the
-- send hot path). Rules, in order:
--   1. a resend with the same (sender, client_message_id) returns the first message: 'duplicate';
--   2. recipients' mailboxes are locked in user id order (no deadlock between two group sends);
--      if one already holds p_max_queued undelivered messages nothing is stored: 'queue_full';
--   3. a message with no recipients (a group of one) is kept without its ciphertext, only as
--      the record that makes a resend idempotent;
--   4. otherwise each recipient's next seq is taken under that lock, so a recipient's deliveries
--      commit in seq order and a cursor on seq can never be overtaken: one 'stored' row each.
CREATE FUNCTION "bowl_store_message"(
  p_id UUID, p_sender UUID, p_group CHAR(24), p_client_id TEXT, p_type JSON, p_body TEXT,
  p_date TEXT, p_time TEXT, p_recipients UUID[], p_max_queued INTEGER
) RETURNS TABLE (outcome TEXT, message_id UUID, sent_at TIMESTAMPTZ, recipient_id UUID, seq BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
  v_sent_at TIMESTAMPTZ;
  v_full UUID;
BEGIN
  IF p_client_id IS NOT NULL THEN
    RETURN QUERY SELECT 'duplicate', m.id, m.sent_at, NULL::UUID, NULL::BIGINT
      FROM messages m WHERE m.sender_id = p_sender AND m.client_message_id = p_client_id;
    IF FOUND THEN RETURN; END IF;
  END IF;

  PERFORM 1 FROM mailboxes b WHERE b.user_id = ANY(p_recipients) ORDER BY b.user_id FOR UPDATE;
  SELECT b.user_id INTO v_full FROM mailboxes b
   WHERE b.user_id = ANY(p_recipients) AND b.pending >= p_max_queued LIMIT 1;
  IF FOUND THEN
    RETURN QUERY SELECT 'queue_full', NULL::UUID, NULL::TIMESTAMPTZ, v_full, NULL::BIGINT;
    RETURN;
  END IF;

  INSERT INTO messages AS m (id, sender_id, group_id, client_message_id, message_type, body, date, time, pending)
  VALUES (p_id, p_sender, p_group, p_client_id,
          CASE WHEN cardinality(p_recipients) > 0 THEN p_type END,
          CASE WHEN cardinality(p_recipients) > 0 THEN p_body END,
          p_date, p_time, cardinality(p_recipients))
  ON CONFLICT (sender_id, client_message_id) DO NOTHING
  RETURNING m.sent_at INTO v_sent_at;
  IF NOT FOUND THEN -- the same resend raced us and won
    RETURN QUERY SELECT 'duplicate', m.id, m.sent_at, NULL::UUID, NULL::BIGINT
      FROM messages m WHERE m.sender_id = p_sender AND m.client_message_id = p_client_id;
    RETURN;
  END IF;
  IF cardinality(p_recipients) = 0 THEN
    RETURN QUERY SELECT 'stored', p_id, v_sent_at, NULL::UUID, NULL::BIGINT;
    RETURN;
  END IF;

  RETURN QUERY
    WITH bumped AS (
      UPDATE mailboxes b SET last_seq = b.last_seq + 1, pending = b.pending + 1
       WHERE b.user_id = ANY(p_recipients)
      RETURNING b.user_id, b.last_seq
    ), queued AS (
      INSERT INTO deliveries (recipient_id, seq, message_id)
      SELECT bumped.user_id, bumped.last_seq, p_id FROM bumped
      RETURNING deliveries.recipient_id, deliveries.seq
    )
    SELECT 'stored', p_id, v_sent_at, queued.recipient_id, queued.seq FROM queued;
END;
$$;
