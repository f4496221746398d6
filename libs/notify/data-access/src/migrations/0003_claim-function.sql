-- The delivery worker's claim in one round trip (see claimNextNotification in delivery.repository.ts):
-- under load every round trip of a claim transaction costs a scheduling slice, and the claim sits
-- between a global send slot and the request.
--
-- Each statement of a VOLATILE plpgsql function takes a new snapshot in READ COMMITTED, so the
-- chat checks after pg_try_advisory_xact_lock see any other replica's claim committed before the
-- lock was taken: two replicas never have two requests to one chat in flight.
CREATE OR REPLACE FUNCTION notify_claim_next(chat_interval_ms double precision, candidates_max integer)
RETURNS jsonb
LANGUAGE plpgsql
VOLATILE
AS $$
DECLARE
  passed text[] := '{}';
  skipped integer := 0;
  cand record;
  since_ms double precision;
  claimed notifications;
BEGIN
  FOR look IN 1..candidates_max LOOP
    SELECT n.id, n.chat_id, n.user_id, n.sequence INTO cand
    FROM notifications n
    WHERE n.state = 'pending' AND n.not_before <= now() AND n.id <> ALL (passed)
      AND NOT EXISTS (
        SELECT 1 FROM notifications o
        WHERE o.chat_id = n.chat_id AND o.state IN ('pending', 'sending') AND o.id <> n.id
          AND (o.state = 'sending' OR o.sequence < n.sequence))
    ORDER BY n.priority, n.sequence
    LIMIT 1
    FOR UPDATE OF n SKIP LOCKED;
    EXIT WHEN NOT FOUND;
    passed := passed || cand.id;
    -- The lock space is the whole database: the schema in the key keeps namespaces apart.
    CONTINUE WHEN NOT pg_try_advisory_xact_lock(hashtextextended(current_schema() || ':notify-chat:' || cand.chat_id::text, 0));
    CONTINUE WHEN EXISTS (
      SELECT 1 FROM notifications o
      WHERE o.chat_id = cand.chat_id AND o.id <> cand.id AND o.state IN ('pending', 'sending')
        AND (o.state = 'sending' OR o.sequence < cand.sequence));
    IF cand.user_id IS NOT NULL AND EXISTS (SELECT 1 FROM recipients r WHERE r.user_id = cand.user_id AND r.blocked_at IS NOT NULL) THEN
      UPDATE notifications SET state = 'blocked', last_error = 'the user has blocked the bot' WHERE id = cand.id;
      skipped := skipped + 1;
      CONTINUE;
    END IF;
    SELECT extract(epoch FROM (clock_timestamp() - max(s.sent_at))) * 1000 INTO since_ms
    FROM notifications s WHERE s.chat_id = cand.chat_id AND s.id <> cand.id;
    IF since_ms IS NOT NULL AND since_ms < chat_interval_ms THEN
      -- Out of the candidate scan until the chat may take a message again.
      UPDATE notifications SET not_before = clock_timestamp() + (chat_interval_ms - since_ms) * interval '1 millisecond' WHERE id = cand.id;
      CONTINUE;
    END IF;
    UPDATE notifications SET state = 'sending', attempts = attempts + 1, sent_at = clock_timestamp()
    WHERE id = cand.id RETURNING * INTO claimed;
    -- The chat's later rows leave the candidate scan for one interval; each is checked again then.
    UPDATE notifications SET not_before = greatest(not_before, clock_timestamp() + chat_interval_ms * interval '1 millisecond')
    WHERE chat_id = cand.chat_id AND state = 'pending' AND id <> cand.id;
    RETURN jsonb_build_object('skipped', skipped, 'row', to_jsonb(claimed));
  END LOOP;
  RETURN jsonb_build_object('skipped', skipped, 'row', NULL);
END;
$$;
