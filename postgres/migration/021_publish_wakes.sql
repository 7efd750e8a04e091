-- 021_publish_wakes: the publish statement writes its endpoints' wakeups
-- itself.
--
-- Migration 014's statement-level trigger on deliveries wakes each
-- endpoint at its earliest new pending delivery: for every publish batch,
-- a PL/pgSQL call over a transition table of the batch's deliveries. It
-- was about an eighth of the publish statement's time (auto_explain,
-- herald bench). The publish statement (postgres.publishInsertSQL) now
-- inserts the same wakeups from the rows its insert returns, and says so
-- with herald.publish_wakes, set for its transaction; the trigger's WHEN
-- condition then skips the call. Every other insert of deliveries
-- (platform actions, the previous release's publish during a rolling
-- upgrade) still wakes through it.
-- CREATE OR REPLACE (PostgreSQL 14+) locks the table against writes for the
-- moment it takes; DROP and CREATE would lock out readers too.
CREATE OR REPLACE TRIGGER deliveries_wake_inserted AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT
    WHEN (current_setting('herald.publish_wakes', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION endpoint_queues_wake_inserted();
