-- Deliveries' read side and retry (internal/sqlstore/delivery.go). The
-- delivery statements read id, event_id, endpoint_id, customer_id,
-- event_type, state, attempts, schedule_attempts, next_attempt_at,
-- last_attempt_at, last_status_code, last_error, location, created_at,
-- updated_at, subject, subject_seq, waiting_for.

-- name: DeliveryGet
SELECT d.id, d.event_id, d.endpoint_id, d.customer_id, d.event_type, d.state,
	d.attempts, d.schedule_attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code,
	d.last_error, d.location, d.created_at, d.updated_at, d.subject, d.subject_seq, d.waiting_for
FROM deliveries d WHERE d.id = $1;

-- name: DeliveryListForEvent
SELECT d.id, d.event_id, d.endpoint_id, d.customer_id, d.event_type, d.state,
	d.attempts, d.schedule_attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code,
	d.last_error, d.location, d.created_at, d.updated_at, d.subject, d.subject_seq, d.waiting_for
FROM deliveries d WHERE d.event_id = $1 ORDER BY d.created_at, d.id;

-- DeliveryList's statement: the filters' WHERE terms, ORDER BY id DESC and
-- LIMIT follow, built in Go.
-- name: DeliveryListSelect
SELECT d.id, d.event_id, d.endpoint_id, d.customer_id, d.event_type, d.state,
	d.attempts, d.schedule_attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code,
	d.last_error, d.location, d.created_at, d.updated_at, d.subject, d.subject_seq, d.waiting_for
FROM deliveries d;

-- The attempts of the deliveries in the array $1, oldest first.
-- name: DeliveryAttempts
SELECT delivery_id, number, at, status_code, location,
	user_message, debug_error_message, error, latency_ns, response_body, request_headers
FROM attempts WHERE delivery_id = ANY($1)
ORDER BY at, id;

-- Makes delivery $2 pending and due at $1 unless a live lease holds it.
-- The row lock it takes makes a concurrent claim of the same row wait, then
-- skip it (SKIP LOCKED) or see it due again.
-- name: DeliveryRetry
UPDATE deliveries d SET
	state = 'pending', schedule_attempts = 0, next_attempt_at = $1,
	lease_owner = NULL, lease_token = NULL, updated_at = $1, waiting_for = ''
WHERE d.id = $2 AND NOT (d.state = 'pending' AND d.lease_token IS NOT NULL AND d.next_attempt_at > $1)
RETURNING d.id, d.event_id, d.endpoint_id, d.customer_id, d.event_type, d.state,
	d.attempts, d.schedule_attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code,
	d.last_error, d.location, d.created_at, d.updated_at, d.subject, d.subject_seq, d.waiting_for;

-- name: DeliveryExists
SELECT 1 FROM deliveries WHERE id = $1;

-- On PostgreSQL other nodes may hold live leases, so cmd/herald must not
-- call this for a store several nodes share.
-- name: DeliveryReleaseOrphans
UPDATE deliveries
SET next_attempt_at = LEAST(next_attempt_at, $1), lease_owner = NULL, lease_token = NULL
WHERE state = 'pending' AND lease_token IS NOT NULL;
