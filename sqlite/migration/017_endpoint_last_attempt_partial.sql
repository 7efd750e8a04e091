-- 017_endpoint_last_attempt_partial: deliveries_endpoint_last_attempt
-- holds attempted deliveries only.
--
-- It leads health and attempt statistics from an endpoint to its
-- deliveries attempted in a window. A delivery never attempted
-- (last_attempt_at 0) is in no window, yet every publish added it to the
-- index and its first attempt moved it: one index page more in each of the
-- two commits a delivery costs the single writer at least. The queries
-- that use it say last_attempt_at > 0, as SQLite needs to use a partial
-- index.
DROP INDEX deliveries_endpoint_last_attempt;
CREATE INDEX deliveries_endpoint_last_attempt ON deliveries (endpoint_id, last_attempt_at)
    WHERE last_attempt_at > 0;
