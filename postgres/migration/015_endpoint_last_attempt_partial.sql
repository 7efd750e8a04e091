-- 015_endpoint_last_attempt_partial: deliveries_endpoint_last_attempt
-- holds attempted deliveries only (see the sqlite migration 017). A
-- delivery never attempted (last_attempt_at NULL) is in no health or
-- statistics window; the planner proves last_attempt_at >= $1 implies
-- IS NOT NULL, so the queries are unchanged.
DROP INDEX deliveries_endpoint_last_attempt;
CREATE INDEX deliveries_endpoint_last_attempt ON deliveries (endpoint_id, last_attempt_at)
    WHERE last_attempt_at IS NOT NULL;
