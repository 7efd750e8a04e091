-- Customers' retry policies (internal/sqlstore/retrypolicy.go). The
-- statements read customer_id, event_type, schedule, max_attempts,
-- max_window, permanent_statuses, created_at, updated_at; the schedule and
-- the statuses are JSON arrays, the schedule and max_window milliseconds.

-- name: RetryPolicyUpsert
INSERT INTO retry_policies (customer_id, event_type, schedule, max_attempts, max_window,
    permanent_statuses, created_at, updated_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)
ON CONFLICT (customer_id, event_type) DO UPDATE SET
    schedule = excluded.schedule, max_attempts = excluded.max_attempts,
    max_window = excluded.max_window, permanent_statuses = excluded.permanent_statuses,
    updated_at = excluded.updated_at
RETURNING created_at;

-- name: RetryPolicyGet
SELECT customer_id, event_type, schedule, max_attempts, max_window,
    permanent_statuses, created_at, updated_at
FROM retry_policies WHERE customer_id = ? AND event_type = ?;

-- name: RetryPolicyList
SELECT customer_id, event_type, schedule, max_attempts, max_window,
    permanent_statuses, created_at, updated_at
FROM retry_policies WHERE customer_id = ? ORDER BY event_type;

-- name: RetryPolicyDelete
DELETE FROM retry_policies WHERE customer_id = ? AND event_type = ?;

-- name: RetryPolicyListMany
SELECT customer_id, event_type, schedule, max_attempts, max_window,
    permanent_statuses, created_at, updated_at
FROM retry_policies WHERE customer_id IN (SELECT value FROM json_each(?))
ORDER BY customer_id, event_type;
