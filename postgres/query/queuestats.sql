-- Queue statistics (internal/sqlstore/queuestats.go).

-- Pending, due at $1, the oldest due time (NULL for none) and the disabled
-- endpoints. The aggregates read only pending rows (the partial index
-- deliveries_endpoint_due), never the delivered history. A leased
-- delivery's next_attempt_at is its lease's end, after now, so "due"
-- excludes the leased without reading the token.
-- name: QueueStats
SELECT
	count(*),
	count(*) FILTER (WHERE next_attempt_at <= $1),
	min(next_attempt_at),
	(SELECT count(*) FROM endpoints WHERE NOT enabled)
FROM deliveries WHERE state = 'pending';

-- Each customer's pending deliveries, one range of deliveries_customer_state
-- each. Read on the read pool and written apart (QueueDepthInsert), as on
-- SQLite, where the count must stay off the single writer.
-- MATERIALIZED: from a subquery in FROM the planner copied the count into
-- the filter too, and counted each customer twice.
-- name: QueueDepthCounts
WITH counts AS MATERIALIZED (
	SELECT c.id, (SELECT count(*) FROM deliveries d
		WHERE d.customer_id = c.id AND d.state = 'pending' AND d.state <> 'delivered') AS n
	FROM customers c)
SELECT id, n FROM counts WHERE n > 0;

-- One customer's sample at minute $1, unless the customer was deleted since
-- its count was read. Nodes sample the same minute at about the same time:
-- the primary key and ON CONFLICT DO NOTHING keep the first.
-- name: QueueDepthInsert
INSERT INTO queue_depth_samples (minute, customer_id, pending)
SELECT $1, $2, $3 WHERE EXISTS (SELECT 1 FROM customers WHERE id = $2)
ON CONFLICT (minute, customer_id) DO NOTHING;
