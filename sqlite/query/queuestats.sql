-- Queue statistics (internal/sqlstore/queuestats.go).

-- Pending, due at ?1, the oldest due time (0 for none) and the disabled
-- endpoints. The aggregates read the partial index of pending deliveries
-- (deliveries_due). A leased delivery's next_attempt_at is its lease's end,
-- after now, so "due" excludes the leased without reading the token.
-- name: QueueStats
SELECT COUNT(*),
	COALESCE(SUM(next_attempt_at <= ?), 0),
	COALESCE(MIN(next_attempt_at), 0),
	(SELECT COUNT(*) FROM endpoints WHERE enabled = 0)
FROM deliveries WHERE state = 'pending';

-- Each customer's pending deliveries, one seek into
-- deliveries_customer_state each (state <> 'delivered' lets SQLite use that
-- partial index). Run on a read connection: with a large backlog the count
-- takes a while (about 0.1 s per 300,000 pending), and on the writer it
-- held every publish and record that long.
-- MATERIALIZED: from a subquery in FROM the planner copied the count into
-- the filter too, and counted each customer twice.
-- name: QueueDepthCounts
WITH counts AS MATERIALIZED (
	SELECT c.id, (SELECT count(*) FROM deliveries d
		WHERE d.customer_id = c.id AND d.state = 'pending' AND d.state <> 'delivered') AS n
	FROM customers c)
SELECT id, n FROM counts WHERE n > 0;

-- One customer's sample at minute ?1, unless the customer was deleted since
-- its count was read. INSERT OR IGNORE keeps a minute some other call
-- sampled already.
-- name: QueueDepthInsert
INSERT OR IGNORE INTO queue_depth_samples (minute, customer_id, pending)
SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM customers WHERE id = ?2);
