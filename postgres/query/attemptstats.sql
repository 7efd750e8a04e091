-- Attempt statistics (internal/sqlstore/attemptstats.go), over every
-- endpoint, a customer's ($1) or one of theirs ($1, $2).

-- name: AttemptStatsEndpoints
SELECT id FROM endpoints ORDER BY created_at, id;

-- name: AttemptStatsEndpointsOfCustomer
SELECT id FROM endpoints WHERE customer_id = $1 ORDER BY created_at, id;

-- name: AttemptStatsEndpoint
SELECT id FROM endpoints WHERE customer_id = $1 AND id = $2 ORDER BY created_at, id;

-- The counts by endpoint, bucket and latency class (the CASE gives
-- herald.AttemptLatencyClass of a.latency_ns; its bounds are
-- herald.AttemptLatencyBounds) of the attempts from $1 to $2 in buckets of
-- $3 ms, of the endpoints $4 (the scope's, AttemptStatsEndpoint*). The list
-- drives the search: per endpoint, the deliveries
-- attempted since the span began (deliveries_endpoint_last_attempt), then
-- their attempts in the span.
-- name: AttemptStatsCounts
SELECT d.endpoint_id,
	floor(extract(epoch FROM a.at - $1::timestamptz) * 1000 / $3)::bigint,
	CASE
		WHEN a.latency_ns <= 5000000 THEN 0
		WHEN a.latency_ns <= 10000000 THEN 1
		WHEN a.latency_ns <= 25000000 THEN 2
		WHEN a.latency_ns <= 50000000 THEN 3
		WHEN a.latency_ns <= 100000000 THEN 4
		WHEN a.latency_ns <= 250000000 THEN 5
		WHEN a.latency_ns <= 500000000 THEN 6
		WHEN a.latency_ns <= 1000000000 THEN 7
		WHEN a.latency_ns <= 2500000000 THEN 8
		WHEN a.latency_ns <= 5000000000 THEN 9
		WHEN a.latency_ns <= 10000000000 THEN 10
		WHEN a.latency_ns <= 30000000000 THEN 11
		ELSE 12 END,
	count(*),
	count(*) FILTER (WHERE a.status_code BETWEEN 200 AND 299 OR a.status_code = 303),
	count(*) FILTER (WHERE a.status_code = 400)
FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
WHERE d.endpoint_id = ANY($4)
	AND d.last_attempt_at >= $1 AND a.at >= $1 AND a.at < $2
GROUP BY 1, 2, 3;
