-- Replay: finding deliveries by filter, and replay jobs
-- (internal/sqlstore/replay.go). A statement with a /*filter*/ gets the
-- filter's terms there, over deliveries' columns unaliased, numbered after
-- its own parameters. The job columns are scanReplayJob's; the delivery
-- columns scanDelivery's.

-- name: ReplayCountByState
SELECT d.state, count(*) FROM deliveries d WHERE /*filter*/ GROUP BY d.state;

-- name: ReplayDeliveryFind
SELECT d.id, d.event_id, d.endpoint_id, d.customer_id, d.event_type, d.state,
	d.attempts, d.schedule_attempts, d.next_attempt_at, d.last_attempt_at, d.last_status_code,
	d.last_error, d.location, d.created_at, d.updated_at, d.subject, d.subject_seq, d.waiting_for
FROM deliveries d WHERE /*filter*/ ORDER BY d.id DESC LIMIT $1;

-- name: ReplayJobGet
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE id = $1;

-- name: ReplayJobList
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE customer_id = $1 ORDER BY id DESC LIMIT $2;

-- name: ReplayJobListUnfinished
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE state <> 'completed' ORDER BY id;

-- name: ReplayCustomerExists
SELECT 1 FROM customers WHERE id = $1;

-- name: ReplayLastDeliveryID
SELECT coalesce(max(id), '') FROM deliveries WHERE customer_id = $1;

-- name: ReplayCountDeliveries
SELECT count(*) FROM deliveries d WHERE /*filter*/ AND d.id <= $1;

-- name: ReplayJobInsert
INSERT INTO replay_jobs (id, customer_id, filter, state, total, last_delivery_id, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8);

-- name: ReplayJobForUpdate
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE id = $1 FOR UPDATE;

-- ReplayCandidatesLock (the batch's subjects' locks) is order.go's
-- (sqlstore.go); Replay unlinks with order.go's Unchain, whose subject locks
-- the transaction holds already. A row whose match changes between the lock and
-- ReplayCandidates is replayed without its subject's lock, a race with a
-- publish or record of that very subject in the same instant.

-- name: ReplayCandidates
SELECT d.id, (d.state = 'pending' AND d.lease_token IS NOT NULL AND d.next_attempt_at > $1)
FROM deliveries d WHERE /*filter*/ AND d.id > $2 AND d.id <= $3 ORDER BY d.id LIMIT $4 FOR UPDATE;

-- name: ReplayDeliveries
-- The rows are locked by ReplayCandidates.
UPDATE deliveries SET
	state = 'pending', schedule_attempts = 0, next_attempt_at = $1,
	lease_owner = NULL, lease_token = NULL, updated_at = $1, waiting_for = ''
WHERE id = ANY($2);

-- name: ReplayJobSave
UPDATE replay_jobs SET state = $1, done = $2, replayed = $3, skipped = $4,
	errors = $5, cursor = $6, updated_at = $7, finished_at = $8 WHERE id = $9;
