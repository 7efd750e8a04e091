-- Replay: finding deliveries by filter, and replay jobs
-- (internal/sqlstore/replay.go). A statement with a /*filter*/ gets the
-- filter's terms there (?N), numbered after its own parameters. A replay
-- takes no locks: the single writer means no claim runs between its reads
-- and the transaction's end. The job columns
-- are scanReplayJob's; the delivery columns scanDelivery's.

-- name: ReplayCountByState
SELECT state, count(*) FROM deliveries WHERE /*filter*/ GROUP BY state;

-- name: ReplayDeliveryFind
SELECT id, event_id, endpoint_id, customer_id, event_type, state, attempts,
	schedule_attempts, next_attempt_at, last_attempt_at, last_status_code, last_error, location,
	created_at, updated_at, subject, subject_seq, waiting_for
FROM deliveries WHERE /*filter*/ ORDER BY id DESC LIMIT ?1;

-- name: ReplayJobGet
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE id = ?;

-- name: ReplayJobList
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE customer_id = ? ORDER BY id DESC LIMIT ?;

-- name: ReplayJobListUnfinished
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE state <> 'completed' ORDER BY id;

-- name: ReplayCustomerExists
SELECT 1 FROM customers WHERE id = ?;

-- name: ReplayLastDeliveryID
SELECT coalesce(max(id), '') FROM deliveries WHERE customer_id = ?;

-- name: ReplayCountDeliveries
SELECT count(*) FROM deliveries WHERE /*filter*/ AND id <= ?1;

-- name: ReplayJobInsert
INSERT INTO replay_jobs (id, customer_id, filter, state, total, last_delivery_id, created_at, updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?);

-- name: ReplayJobForUpdate
SELECT id, customer_id, filter, state, total, done, replayed, skipped, errors, cursor,
	last_delivery_id, created_at, updated_at, finished_at
FROM replay_jobs WHERE id = ?;

-- name: ReplayCandidates
SELECT id, (state = 'pending' AND lease_token <> '' AND next_attempt_at > ?1)
FROM deliveries WHERE /*filter*/ AND id > ?2 AND id <= ?3 ORDER BY id LIMIT ?4;

-- name: ReplayDeliveries
UPDATE deliveries SET
	state = 'pending', schedule_attempts = 0, next_attempt_at = ?1,
	lease_owner = '', lease_token = '', updated_at = ?1, waiting_for = ''
WHERE id IN (SELECT value FROM json_each(?2));

-- name: ReplayJobSave
UPDATE replay_jobs SET state = ?, done = ?, replayed = ?, skipped = ?,
	errors = ?, cursor = ?, updated_at = ?, finished_at = ? WHERE id = ?;
