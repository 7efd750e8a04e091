-- Retention and the purge (internal/sqlstore/retention.go). Each batch is
-- one short transaction that locks only the rows it removes: claims never
-- wait on it (they take pending rows, which it never touches), and two
-- nodes purging at once skip each other's events (SKIP LOCKED) instead of
-- queueing.

-- name: RetentionGet
SELECT retention_days FROM customers WHERE id = $1;

-- name: RetentionSet
UPDATE customers SET retention_days = $1 WHERE id = $2;

-- name: RetentionCustomers
SELECT id, retention_days FROM customers ORDER BY id;

-- name: RetentionPurgeQueueDepth
DELETE FROM queue_depth_samples WHERE minute < $1;

-- name: RetentionPurgeCandidates
-- FOR UPDATE, so a replay or a new delivery for one of these events (which
-- takes a KEY SHARE lock on the event for its foreign key) waits for this
-- batch instead of racing it; SKIP LOCKED, so another node's purge keeps
-- those and this one moves on past them. $3 NULL (the first batch): from
-- before every event.
SELECT id, created_at FROM events
WHERE customer_id = $1 AND created_at < $2 AND (created_at, id) > (coalesce($3, '-infinity'::timestamptz), $4)
ORDER BY created_at, id LIMIT $5
FOR UPDATE SKIP LOCKED;

-- name: RetentionPurgeDeliveries
-- Locks every delivery of the candidates and decides on what the lock
-- returns: in READ COMMITTED, FOR UPDATE waits for a concurrent
-- DeliveryRetry or record and returns the row as it committed, so a
-- delivery made pending a moment ago is seen pending and keeps its event.
SELECT id, event_id, state = 'pending' OR updated_at >= $2
FROM deliveries WHERE event_id = ANY($1) FOR UPDATE;

-- The deletes are three statements rather than one with data-modifying
-- CTEs, so each foreign-key check sees the previous statement's deletes.

-- name: RetentionDeleteAttempts
DELETE FROM attempts WHERE delivery_id = ANY($1);

-- name: RetentionDeleteDeliveries
DELETE FROM deliveries WHERE id = ANY($1);

-- name: RetentionDeleteEvents
DELETE FROM events WHERE id = ANY($1);
