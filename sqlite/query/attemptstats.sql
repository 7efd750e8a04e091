-- Attempt statistics (internal/sqlstore/attemptstats.go), over every
-- endpoint, a customer's (?1) or one of theirs (?1, ?2).

-- name: AttemptStatsEndpoints
SELECT id FROM endpoints ORDER BY created_at, rowid;

-- name: AttemptStatsEndpointsOfCustomer
SELECT id FROM endpoints WHERE customer_id = ?1 ORDER BY created_at, rowid;

-- name: AttemptStatsEndpoint
SELECT id FROM endpoints WHERE customer_id = ?1 AND id = ?2 ORDER BY created_at, rowid;

-- The counts by endpoint, bucket and latency class (the CASE gives
-- herald.AttemptLatencyClass of a.latency, in nanoseconds; its bounds are
-- herald.AttemptLatencyBounds) of the attempts from ?1 to ?2 in buckets of
-- ?3 ms, of the endpoints ?4 (the scope's, AttemptStatsEndpoint*). The list
-- drives the search: per endpoint, the deliveries
-- attempted since the span began (deliveries_endpoint_last_attempt, whose
-- last_attempt_at > 0 SQLite needs to use that partial index), then
-- their attempts in the span.
-- name: AttemptStatsCounts
SELECT d.endpoint_id, (a.at - ?1) / ?3,
	CASE
		WHEN a.latency <= 5000000 THEN 0
		WHEN a.latency <= 10000000 THEN 1
		WHEN a.latency <= 25000000 THEN 2
		WHEN a.latency <= 50000000 THEN 3
		WHEN a.latency <= 100000000 THEN 4
		WHEN a.latency <= 250000000 THEN 5
		WHEN a.latency <= 500000000 THEN 6
		WHEN a.latency <= 1000000000 THEN 7
		WHEN a.latency <= 2500000000 THEN 8
		WHEN a.latency <= 5000000000 THEN 9
		WHEN a.latency <= 10000000000 THEN 10
		WHEN a.latency <= 30000000000 THEN 11
		ELSE 12 END,
	count(*),
	coalesce(sum(a.status_code BETWEEN 200 AND 299 OR a.status_code = 303), 0),
	coalesce(sum(a.status_code = 400), 0)
FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
WHERE d.endpoint_id IN (SELECT value FROM json_each(?4))
	AND d.last_attempt_at > 0 AND d.last_attempt_at >= ?1 AND a.at >= ?1 AND a.at < ?2
GROUP BY 1, 2, 3;
