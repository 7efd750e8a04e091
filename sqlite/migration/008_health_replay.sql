-- 008: endpoint health, operator events and replay jobs
-- (herald.HealthStore and herald.ReplayStore).

-- One row per endpoint that has had an attempt: its failing streak and last
-- failure, kept by the trigger below. No foreign key: like deliveries, the
-- row outlives a deleted endpoint.
--
-- failing_since: first failed attempt of the current streak (0: none).
-- recovered_from/recovered_at: the streak a healthy attempt ended, until
-- HealthScan turns it into an endpoint.recovered event (0: none pending).
-- disabled_at: the endpoint's updated_at when HealthScan recorded it as
-- disabled; kept after a re-enable, for the "missed" view. disabled_open:
-- recorded as disabled and not re-enabled since.
CREATE TABLE endpoint_health (
    endpoint_id      TEXT    PRIMARY KEY,
    customer_id      TEXT    NOT NULL,
    last_attempt_at  INTEGER NOT NULL DEFAULT 0,
    last_success_at  INTEGER NOT NULL DEFAULT 0,
    last_failure_at  INTEGER NOT NULL DEFAULT 0,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT    NOT NULL DEFAULT '',
    failing_since    INTEGER NOT NULL DEFAULT 0,
    recovered_from   INTEGER NOT NULL DEFAULT 0,
    recovered_at     INTEGER NOT NULL DEFAULT 0,
    disabled_at      INTEGER NOT NULL DEFAULT 0,
    disabled_open    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The monitor's query: streaks that began long ago.
CREATE INDEX endpoint_health_failing ON endpoint_health (failing_since) WHERE failing_since <> 0;

-- Every attempt updates its endpoint's streak, whoever records it. A
-- trigger, so the dispatcher (and every other writer of attempts) needs no
-- change, and the monitor reads one small row per endpoint instead of
-- walking attempts. It costs one primary-key lookup and one upsert of a row
-- that stays in the page cache, per attempt.
--
-- Healthy: 2xx, 303 or 400 (herald/health.go). Attempts are recorded in
-- batches and not always in time order, so a late record never moves the
-- streak back: a healthy attempt older than the last failure does not end
-- the streak (it restarts it at the last failure, a conservative guess), and
-- a failure older than the last healthy attempt does not start one.
--
-- In an upsert's SET, bare column names are the existing row's values and
-- excluded.* the new attempt's; every expression sees the old row.
CREATE TRIGGER attempts_endpoint_health AFTER INSERT ON attempts
BEGIN
    INSERT INTO endpoint_health (endpoint_id, customer_id, last_attempt_at, last_success_at,
        last_failure_at, last_status_code, last_error, failing_since)
    SELECT d.endpoint_id, d.customer_id, NEW.at,
        CASE WHEN h.ok THEN NEW.at ELSE 0 END,
        CASE WHEN h.ok THEN 0 ELSE NEW.at END,
        CASE WHEN h.ok THEN 0 ELSE NEW.status_code END,
        CASE WHEN h.ok THEN '' ELSE NEW.error END,
        CASE WHEN h.ok THEN 0 ELSE NEW.at END
    FROM deliveries d,
        (SELECT (NEW.status_code BETWEEN 200 AND 299 OR NEW.status_code IN (303, 400)) AS ok) h
    WHERE d.id = NEW.delivery_id
    ON CONFLICT (endpoint_id) DO UPDATE SET
        last_attempt_at = max(last_attempt_at, excluded.last_attempt_at),
        last_success_at = max(last_success_at, excluded.last_success_at),
        last_failure_at = max(last_failure_at, excluded.last_failure_at),
        last_status_code = CASE WHEN excluded.last_failure_at >= last_failure_at AND excluded.last_failure_at <> 0
            THEN excluded.last_status_code ELSE last_status_code END,
        last_error = CASE WHEN excluded.last_failure_at >= last_failure_at AND excluded.last_failure_at <> 0
            THEN excluded.last_error ELSE last_error END,
        failing_since = CASE
            WHEN excluded.last_success_at <> 0 THEN CASE
                WHEN failing_since = 0 THEN 0
                WHEN excluded.last_success_at >= last_failure_at THEN 0
                WHEN excluded.last_success_at >= failing_since THEN last_failure_at
                ELSE failing_since END
            WHEN excluded.last_failure_at <= last_success_at THEN failing_since
            WHEN failing_since = 0 THEN excluded.last_failure_at
            ELSE min(failing_since, excluded.last_failure_at) END,
        recovered_from = CASE
            WHEN excluded.last_success_at <> 0 AND failing_since <> 0 AND excluded.last_success_at >= last_failure_at
            THEN failing_since ELSE recovered_from END,
        recovered_at = CASE
            WHEN excluded.last_success_at <> 0 AND failing_since <> 0 AND excluded.last_success_at >= last_failure_at
            THEN excluded.last_success_at ELSE recovered_at END;
END;

-- Operator events. dedupe_key names the change an event reports (the
-- delivery and the time it died, say), so scans that overlap, on one node or
-- several, record it once. send_* is the operator webhook's queue:
-- send_next_at is when it is due (0: sent or abandoned), and a claim moves
-- it to the end of its lease, as deliveries do.
CREATE TABLE operator_events (
    id                TEXT    PRIMARY KEY,
    type              TEXT    NOT NULL,
    customer_id       TEXT    NOT NULL,
    endpoint_id       TEXT    NOT NULL DEFAULT '',
    delivery_id       TEXT    NOT NULL DEFAULT '',
    at                INTEGER NOT NULL,
    detail            TEXT    NOT NULL DEFAULT '',
    dedupe_key        TEXT    NOT NULL UNIQUE,
    created_at        INTEGER NOT NULL,
    sent_at           INTEGER NOT NULL DEFAULT 0,
    send_attempts     INTEGER NOT NULL DEFAULT 0,
    send_next_at      INTEGER NOT NULL DEFAULT 0,
    last_send_error   TEXT    NOT NULL DEFAULT '',
    send_abandoned    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- OperatorEventList for one customer, newest first (ids are time-ordered);
-- the unfiltered list walks the primary key.
CREATE INDEX operator_events_customer_id_id ON operator_events (customer_id, id);
-- The notifier's queue: unsent events in due order.
CREATE INDEX operator_events_unsent ON operator_events (send_next_at) WHERE send_next_at <> 0;

-- Where HealthScan's walk of dead deliveries stopped: (updated_at, id) of
-- the last one it recorded. One row, name 'dead'.
CREATE TABLE health_scan_marks (
    name       TEXT    PRIMARY KEY,
    at         INTEGER NOT NULL,
    id         TEXT    NOT NULL
) STRICT;

-- Dead deliveries in the order HealthScan walks them. Partial: only dead
-- rows, a small part of the table.
CREATE INDEX deliveries_dead ON deliveries (updated_at, id) WHERE state = 'dead';

-- Health over a window: an endpoint's deliveries attempted since a time,
-- then their attempts since then (attempts have no endpoint column). Every
-- attempt moves last_attempt_at, so this index is updated with each
-- recorded attempt; without it a health query reads every attempt of every
-- endpoint in the window.
CREATE INDEX deliveries_endpoint_last_attempt ON deliveries (endpoint_id, last_attempt_at);

-- Counts by state (the "not delivered" view, replay job totals) and replay
-- batches by state: one customer's deliveries of some states.
CREATE INDEX deliveries_customer_state ON deliveries (customer_id, state, endpoint_id);

-- Replay jobs. filter is the herald.DeliveryFilter as JSON; errors a JSON
-- array of strings. cursor: the last delivery id handled ('' before the
-- first batch); last_delivery_id: the newest delivery at creation.
CREATE TABLE replay_jobs (
    id               TEXT    PRIMARY KEY,
    customer_id      TEXT    NOT NULL REFERENCES customers (id),
    filter           TEXT    NOT NULL,
    state            TEXT    NOT NULL,
    total            INTEGER NOT NULL,
    done             INTEGER NOT NULL DEFAULT 0,
    replayed         INTEGER NOT NULL DEFAULT 0,
    skipped          INTEGER NOT NULL DEFAULT 0,
    errors           TEXT    NOT NULL DEFAULT '[]',
    cursor           TEXT    NOT NULL DEFAULT '',
    last_delivery_id TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    finished_at      INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE INDEX replay_jobs_customer_id_id ON replay_jobs (customer_id, id);
CREATE INDEX replay_jobs_unfinished ON replay_jobs (id) WHERE state <> 'completed';
