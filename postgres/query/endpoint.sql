-- Endpoints (internal/sqlstore/endpoint.go). The endpoint statements read
-- the columns sqlstore.ScanEndpointNoAuth names, in its order.
-- event_types and status_triggers are text[], auth jsonb, disabled_at NULL
-- while enabled.

-- An endpoint gets its endpoint_queues row (nothing pending: next_due
-- NULL) with its insert, so a publish may lease its first deliveries
-- (lockQueuesSQL leases only where the row exists) instead of leaving
-- them to a claim, whose fold would make the row.
-- name: EndpointInsert
WITH queue AS (
	INSERT INTO endpoint_queues (endpoint_id, next_due) VALUES ($1, NULL) ON CONFLICT DO NOTHING
)
INSERT INTO endpoints (id, customer_id, url, event_types, auth, gzip, enabled,
	disabled_reason, status_triggers, max_concurrency, created_at, updated_at,
	rate_limit, rate_burst, circuit_threshold, circuit_cooldown_ms, ordered, trace_context,
	disabled_by, disabled_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12, $13, $14, $15, $16, $17, $18, $19);

-- name: EndpointGet
SELECT id, customer_id, url, event_types, auth, gzip, enabled,
	disabled_reason, status_triggers, max_concurrency, created_at, updated_at,
	rate_limit, rate_burst, circuit_threshold, circuit_cooldown_ms, ordered, trace_context,
	disabled_by, disabled_at
FROM endpoints WHERE id = $1;

-- name: EndpointList
SELECT id, customer_id, url, event_types, auth, gzip, enabled,
	disabled_reason, status_triggers, max_concurrency, created_at, updated_at,
	rate_limit, rate_burst, circuit_threshold, circuit_cooldown_ms, ordered, trace_context,
	disabled_by, disabled_at
FROM endpoints WHERE customer_id = $1 ORDER BY created_at, id;

-- Who disabled it and when are set as it goes off and kept while it stays
-- off: in SET, enabled is the stored (old) value.
-- name: EndpointUpdate
UPDATE endpoints SET
	url = $1, event_types = $2, auth = $3, gzip = $4, enabled = $5, disabled_reason = $6,
	status_triggers = $7, max_concurrency = $8, updated_at = $9,
	rate_limit = $12, rate_burst = $13, circuit_threshold = $14, circuit_cooldown_ms = $15,
	ordered = $16, trace_context = $17,
	disabled_by = CASE WHEN $5 THEN '' WHEN enabled THEN $18 ELSE disabled_by END,
	disabled_at = CASE WHEN $5 THEN NULL WHEN enabled THEN $9 ELSE disabled_at END
WHERE id = $10 AND customer_id = $11
RETURNING created_at, disabled_by, disabled_at;

-- name: EndpointDisable
UPDATE endpoints SET enabled = false, disabled_reason = $1, updated_at = $2, disabled_by = $4, disabled_at = $2
WHERE id = $3;

-- name: EndpointDelete
DELETE FROM endpoints WHERE id = $1 AND customer_id = $2;

-- name: EndpointGetMany
-- The dispatcher's read of the endpoints of a batch of deliveries it lacks
-- (herald.DispatchConfigStore).
SELECT id, customer_id, url, event_types, auth, gzip, enabled,
	disabled_reason, status_triggers, max_concurrency, created_at, updated_at,
	rate_limit, rate_burst, circuit_threshold, circuit_cooldown_ms, ordered, trace_context,
	disabled_by, disabled_at
FROM endpoints WHERE id = ANY($1);

-- name: ConfigVersion
-- Migrations 019 and 024: triggers on customers, endpoints and
-- retry_policies move it.
SELECT version FROM endpoints_version;
