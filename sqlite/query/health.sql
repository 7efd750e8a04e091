-- Endpoint health, the health scan and operator events
-- (internal/sqlstore/health.go, operatorevent.go). Times are unix
-- milliseconds, 0 for none.

-- name: HealthEndpointFailingList
-- The endpoint's id and customer, then its endpoint_health columns.
SELECT e.id, e.customer_id, coalesce(h.last_attempt_at, 0), coalesce(h.last_success_at, 0),
    coalesce(h.last_failure_at, 0), coalesce(h.last_status_code, 0), coalesce(h.last_error, ''),
    coalesce(h.failing_since, 0), coalesce(h.disabled_at, 0)
FROM endpoint_health h JOIN endpoints e ON e.id = h.endpoint_id
WHERE h.failing_since <> 0 AND h.failing_since <= ? AND e.enabled
ORDER BY h.failing_since;

-- name: HealthScanLock
-- Nothing to take: a write transaction begins IMMEDIATE, so it already
-- holds the database's one write lock.
SELECT 1;

-- name: HealthEndpointStateChanges
SELECT e.id, e.customer_id, e.disabled_reason, e.updated_at, e.enabled
FROM endpoints e LEFT JOIN endpoint_health h ON h.endpoint_id = e.id
WHERE (NOT e.enabled AND e.disabled_reason <> '' AND coalesce(h.disabled_open, 0) = 0)
   OR (e.enabled AND h.disabled_open = 1)
ORDER BY e.id;

-- name: HealthMarkDisabledAnnounced
INSERT INTO endpoint_health (endpoint_id, customer_id, disabled_at, disabled_open)
VALUES (?1, ?2, ?3, 1)
ON CONFLICT (endpoint_id) DO UPDATE SET disabled_at = ?3, disabled_open = 1;

-- name: HealthMarkEnabledAgain
UPDATE endpoint_health
SET disabled_open = 0, failing_since = 0, recovered_from = 0, recovered_at = 0
WHERE endpoint_id = ?;

-- name: HealthRecoveryList
SELECT endpoint_id, customer_id, recovered_from, recovered_at
FROM endpoint_health WHERE recovered_at <> 0;

-- name: HealthRecoveryClear
UPDATE endpoint_health SET recovered_from = 0, recovered_at = 0
WHERE endpoint_id = ? AND recovered_at = ?;

-- name: HealthDeadMarkGet
SELECT at, id FROM health_scan_marks WHERE name = 'dead';

-- name: HealthDeadMarkSet
INSERT INTO health_scan_marks (name, at, id) VALUES ('dead', ?1, ?2)
ON CONFLICT (name) DO UPDATE SET at = ?1, id = ?2;

-- name: HealthDeadDeliveries
SELECT id, customer_id, endpoint_id, updated_at, last_error
FROM deliveries WHERE state = 'dead' AND (updated_at, id) > (?, ?) AND updated_at <= ?
ORDER BY updated_at, id LIMIT ?;

-- name: HealthOperatorEventInsert
INSERT INTO operator_events
    (id, type, customer_id, endpoint_id, delivery_id, at, detail, dedupe_key, created_at, send_next_at)
VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)
ON CONFLICT (dedupe_key) DO NOTHING;

-- name: OperatorEventClaimUnsent
UPDATE operator_events SET send_next_at = ?1
WHERE id IN (SELECT id FROM operator_events WHERE send_next_at <> 0 AND send_next_at <= ?2
    ORDER BY send_next_at, id LIMIT ?3)
RETURNING id, type, customer_id, endpoint_id, delivery_id, at, detail, created_at,
    sent_at, send_attempts, last_send_error, send_abandoned;

-- name: OperatorEventRecordSend
UPDATE operator_events SET sent_at = ?, send_next_at = ?,
    send_attempts = send_attempts + 1, last_send_error = ?, send_abandoned = ?
WHERE id = ?;

-- name: OperatorEventListSelect
-- OperatorEventList appends its optional WHERE terms, ORDER BY and LIMIT.
SELECT id, type, customer_id, endpoint_id, delivery_id, at, detail, created_at,
    sent_at, send_attempts, last_send_error, send_abandoned
FROM operator_events
