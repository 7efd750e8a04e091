-- Endpoint health, the health scan and operator events
-- (internal/sqlstore/health.go, operatorevent.go). Times are timestamptz,
-- NULL for none.

-- name: HealthEndpointFailingList
-- The endpoint's id and customer, then its endpoint_health columns.
SELECT e.id, e.customer_id, h.last_attempt_at, h.last_success_at, h.last_failure_at,
    coalesce(h.last_status_code, 0), coalesce(h.last_error, ''), h.failing_since, h.disabled_at
FROM endpoint_health h JOIN endpoints e ON e.id = h.endpoint_id
WHERE h.failing_since IS NOT NULL AND h.failing_since <= $1 AND e.enabled
ORDER BY h.failing_since;

-- name: HealthScanLock
-- Serializes HealthScans of one schema: the lock class 0x48524c10 (see
-- postgres.go), then hashtext of the schema. Without it two nodes' scans
-- would read the same changes and the same dead-delivery mark at once; the
-- dedupe keys would still keep each event single, but the second scan
-- would wait on the first's unique-index entries row by row and then
-- write the mark back with a stale value.
SELECT pg_advisory_xact_lock(1213352976, hashtext(current_schema()));

-- name: HealthEndpointStateChanges
SELECT e.id, e.customer_id, e.disabled_reason, e.updated_at, e.enabled
FROM endpoints e LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
WHERE (NOT e.enabled AND e.disabled_reason <> '' AND NOT coalesce(h.disabled_open, false))
   OR (e.enabled AND h.disabled_open)
ORDER BY e.id;

-- name: HealthMarkDisabledAnnounced
INSERT INTO endpoint_health (endpoint_id, customer_id, disabled_at, disabled_open)
VALUES ($1, $2, $3, true)
ON CONFLICT (endpoint_id) DO UPDATE SET disabled_at = $3, disabled_open = true;

-- name: HealthMarkEnabledAgain
UPDATE endpoint_health
SET disabled_open = false, failing_since = NULL, recovered_from = NULL, recovered_at = NULL
WHERE endpoint_id = $1;

-- name: HealthRecoveryList
SELECT endpoint_id, customer_id, recovered_from, recovered_at
FROM endpoint_health WHERE recovered_at IS NOT NULL FOR UPDATE;

-- name: HealthRecoveryClear
UPDATE endpoint_health SET recovered_from = NULL, recovered_at = NULL
WHERE endpoint_id = $1 AND recovered_at = $2;

-- name: HealthDeadMarkGet
SELECT at, id FROM health_scan_marks WHERE name = 'dead';

-- name: HealthDeadMarkSet
INSERT INTO health_scan_marks (name, at, id) VALUES ('dead', $1, $2)
ON CONFLICT (name) DO UPDATE SET at = $1, id = $2;

-- name: HealthDeadDeliveries
SELECT id, customer_id, endpoint_id, updated_at, last_error
FROM deliveries WHERE state = 'dead' AND (updated_at, id) > ($1, $2) AND updated_at <= $3
ORDER BY updated_at, id LIMIT $4;

-- name: HealthOperatorEventInsert
INSERT INTO operator_events
    (id, type, customer_id, endpoint_id, delivery_id, at, detail, dedupe_key, created_at, send_next_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
ON CONFLICT (dedupe_key) DO NOTHING;

-- name: OperatorEventClaimUnsent
-- SKIP LOCKED lets several nodes' notifiers claim at once without waiting
-- on each other.
UPDATE operator_events SET send_next_at = $1
WHERE id IN (SELECT id FROM operator_events WHERE send_next_at IS NOT NULL AND send_next_at <= $2
    ORDER BY send_next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
RETURNING id, type, customer_id, endpoint_id, delivery_id, at, detail, created_at,
    sent_at, send_attempts, last_send_error, send_abandoned;

-- name: OperatorEventRecordSend
UPDATE operator_events SET sent_at = $1, send_next_at = $2,
    send_attempts = send_attempts + 1, last_send_error = $3, send_abandoned = $4
WHERE id = $5;

-- name: OperatorEventListSelect
-- OperatorEventList appends its optional WHERE terms, ORDER BY and LIMIT.
SELECT id, type, customer_id, endpoint_id, delivery_id, at, detail, created_at,
    sent_at, send_attempts, last_send_error, send_abandoned
FROM operator_events
