-- The cleanup of acknowledged deliveries runs on one instance at a time (the body is otherwise
-- the one of 20261201000000_group_commit).
CREATE OR REPLACE FUNCTION "bowl_clean_acknowledged"(p_limit INTEGER) RETURNS INTEGER
LANGUAGE plpgsql AS $$
DECLARE
  v_messages UUID[];
  v_count INTEGER;
BEGIN
  -- Every instance runs the cleanup; one at a time, so that two never pick the same rows and wait
  -- on each other's row locks. A second caller waits and then finds only what is left, so when a
  -- call returns, everything acknowledged before it started is clean.
  PERFORM pg_advisory_xact_lock(hashtext('bowl_clean_acknowledged'));
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
