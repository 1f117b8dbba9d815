-- Marks deliveries acknowledged, for any number of recipients, in one statement. Locks are taken
-- in one global order: mailboxes by user id (the order bowl_store_message uses), then messages
-- by id, so acknowledgements never deadlock with sends or with each other. A message whose last
-- recipient acknowledged it loses its ciphertext at once; the row stays until retention, for
-- idempotent resends. Returns how many deliveries were acknowledged.
CREATE FUNCTION "bowl_acknowledge"(p_users UUID[], p_messages UUID[]) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  v_count INTEGER;
BEGIN
  PERFORM 1 FROM mailboxes b WHERE b.user_id = ANY(p_users) ORDER BY b.user_id FOR UPDATE;
  PERFORM 1 FROM messages m WHERE m.id = ANY(p_messages) ORDER BY m.id FOR UPDATE;
  WITH acked AS (
    DELETE FROM deliveries d
     USING unnest(p_users, p_messages) AS a(user_id, message_id)
     WHERE d.recipient_id = a.user_id AND d.message_id = a.message_id
    RETURNING d.recipient_id, d.message_id
  ), boxes AS (
    UPDATE mailboxes b SET pending = b.pending - c.n
      FROM (SELECT recipient_id, count(*)::int AS n FROM acked GROUP BY recipient_id) c
     WHERE b.user_id = c.recipient_id
  ), done AS (
    UPDATE messages m
       SET pending = m.pending - c.n,
           body = CASE WHEN m.pending - c.n <= 0 THEN NULL ELSE m.body END,
           message_type = CASE WHEN m.pending - c.n <= 0 THEN NULL ELSE m.message_type END
      FROM (SELECT message_id, count(*)::int AS n FROM acked GROUP BY message_id) c
     WHERE m.id = c.message_id
  )
  SELECT count(*)::int INTO v_count FROM acked;
  RETURN v_count;
END;
$$;
