-- Retention and the purge (internal/sqlstore/retention.go). A purge batch
-- takes no locks: the single writer means nothing changes its rows between
-- its statements.

-- name: RetentionGet
SELECT retention_days FROM customers WHERE id = ?;

-- name: RetentionSet
UPDATE customers SET retention_days = ? WHERE id = ?;

-- name: RetentionCustomers
SELECT id, retention_days FROM customers ORDER BY id;

-- name: RetentionPurgeQueueDepth
DELETE FROM queue_depth_samples WHERE minute < ?;

-- name: RetentionPurgeCandidates
-- ?3 NULL (the first batch): from before every event.
SELECT id, created_at FROM events
WHERE customer_id = ?1 AND created_at < ?2 AND (created_at, id) > (coalesce(?3, -1), ?4)
ORDER BY created_at, id LIMIT ?5;

-- name: RetentionPurgeDeliveries
SELECT id, event_id, state = 'pending' OR updated_at >= ?2
FROM deliveries WHERE event_id IN (SELECT value FROM json_each(?1));

-- name: RetentionDeleteAttempts
DELETE FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?));

-- name: RetentionDeleteDeliveries
DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?));

-- name: RetentionDeleteEvents
DELETE FROM events WHERE id IN (SELECT value FROM json_each(?));
