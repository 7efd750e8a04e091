-- 021_publish_wakes: the publish statement writes its endpoints' wakeups
-- itself.
--
-- Migration 014's statement-level trigger on deliveries wakes each
-- endpoint at its earliest new pending delivery: for every publish batch,
-- a PL/pgSQL call over a transition table of the batch's deliveries. It
-- was about an eighth of the publish statement's time (auto_explain,
-- herald bench). The publish statement (postgres.publishInsertSQL) now
-- inserts the same wakeups from the rows its insert returns, and says so
-- with herald.publish_wakes, set for its transaction; the trigger then
-- does nothing. Every other insert of deliveries (platform actions, the
-- previous release's publish during a rolling upgrade) still wakes
-- through it.
CREATE OR REPLACE FUNCTION endpoint_queues_wake_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('herald.publish_wakes', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
    SELECT endpoint_id, min(next_attempt_at) FROM changed
    WHERE state = 'pending'
    GROUP BY endpoint_id;
    RETURN NULL;
END
$$;
