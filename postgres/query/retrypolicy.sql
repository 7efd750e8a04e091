-- Customers' retry policies (internal/sqlstore/retrypolicy.go). The
-- statements read customer_id, event_type, schedule_ms, max_attempts,
-- max_window_ms, permanent_statuses, created_at, updated_at.

-- name: RetryPolicyUpsert
INSERT INTO retry_policies (customer_id, event_type, schedule_ms, max_attempts, max_window_ms,
    permanent_statuses, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
ON CONFLICT (customer_id, event_type) DO UPDATE SET
    schedule_ms = excluded.schedule_ms, max_attempts = excluded.max_attempts,
    max_window_ms = excluded.max_window_ms, permanent_statuses = excluded.permanent_statuses,
    updated_at = excluded.updated_at
RETURNING created_at;

-- name: RetryPolicyGet
SELECT customer_id, event_type, schedule_ms, max_attempts, max_window_ms,
    permanent_statuses, created_at, updated_at
FROM retry_policies WHERE customer_id = $1 AND event_type = $2;

-- name: RetryPolicyList
-- COLLATE "C": byte order, as SQLite sorts, so both stores list alike.
SELECT customer_id, event_type, schedule_ms, max_attempts, max_window_ms,
    permanent_statuses, created_at, updated_at
FROM retry_policies WHERE customer_id = $1 ORDER BY event_type COLLATE "C";

-- name: RetryPolicyDelete
DELETE FROM retry_policies WHERE customer_id = $1 AND event_type = $2;

-- name: RetryPolicyListMany
SELECT customer_id, event_type, schedule_ms, max_attempts, max_window_ms,
    permanent_statuses, created_at, updated_at
FROM retry_policies WHERE customer_id = ANY($1)
ORDER BY customer_id COLLATE "C", event_type COLLATE "C";
