-- Deliveries' read side and retry (internal/sqlstore/delivery.go). The
-- delivery statements read id, event_id, endpoint_id, customer_id,
-- event_type, state, attempts, schedule_attempts, next_attempt_at,
-- last_attempt_at, last_status_code, last_error, location, created_at,
-- updated_at, subject, subject_seq, waiting_for.

-- name: DeliveryGet
SELECT id, event_id, endpoint_id, customer_id, event_type, state, attempts,
	schedule_attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, location,
	created_at, updated_at, subject, subject_seq, waiting_for
FROM deliveries WHERE id = ?;

-- An event's deliveries share its CreatedAt and were inserted together:
-- rowid is their creation order, and the index on event_id holds it, so no
-- sort is needed.
-- name: DeliveryListForEvent
SELECT id, event_id, endpoint_id, customer_id, event_type, state, attempts,
	schedule_attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, location,
	created_at, updated_at, subject, subject_seq, waiting_for
FROM deliveries WHERE event_id = ? ORDER BY rowid;

-- DeliveryList's statement: the filters' WHERE terms, ORDER BY id DESC and
-- LIMIT follow, built in Go.
-- name: DeliveryListSelect
SELECT id, event_id, endpoint_id, customer_id, event_type, state, attempts,
	schedule_attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, location,
	created_at, updated_at, subject, subject_seq, waiting_for
FROM deliveries;

-- The attempts of the deliveries in the JSON array ?1, oldest first.
-- name: DeliveryAttempts
SELECT delivery_id, number, at, status_code, location,
	user_message, debug_error_message, error, latency, response_body, request_headers
FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?))
ORDER BY at, id;

-- Makes delivery ?2 pending and due at ?1 unless a live lease holds it.
-- name: DeliveryRetry
UPDATE deliveries SET
	state = 'pending', schedule_attempts = 0, next_attempt_at = ?1,
	lease_owner = '', lease_token = '', updated_at = ?1, waiting_for = ''
WHERE id = ?2 AND NOT (state = 'pending' AND lease_token <> '' AND next_attempt_at > ?1)
RETURNING id, event_id, endpoint_id, customer_id, event_type, state, attempts,
	schedule_attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, location,
	created_at, updated_at, subject, subject_seq, waiting_for;

-- name: DeliveryExists
SELECT 1 FROM deliveries WHERE id = ?;

-- name: DeliveryReleaseOrphans
UPDATE deliveries
SET next_attempt_at = min(next_attempt_at, ?), lease_owner = '', lease_token = ''
WHERE state = 'pending' AND lease_token <> '';
