-- 005: endpoint health, operator events and replay jobs
-- (herald.HealthStore and herald.ReplayStore). The sqlite store's migration
-- 008 is the same schema; its comments say more about each table.

-- One row per endpoint that has had an attempt: its failing streak and last
-- failure. NULL times: never. failing_since: first failed attempt of the
-- current streak. recovered_from/recovered_at: a streak a healthy attempt
-- ended, until HealthScan reports it. disabled_at: the endpoint's updated_at
-- when HealthScan recorded it as disabled (kept after a re-enable);
-- disabled_open: recorded as disabled and not re-enabled since.
CREATE TABLE endpoint_health (
    endpoint_id      text        PRIMARY KEY,
    customer_id      text        NOT NULL,
    last_attempt_at  timestamptz,
    last_success_at  timestamptz,
    last_failure_at  timestamptz,
    last_status_code integer     NOT NULL DEFAULT 0,
    last_error       text        NOT NULL DEFAULT '',
    failing_since    timestamptz,
    recovered_from   timestamptz,
    recovered_at     timestamptz,
    disabled_at      timestamptz,
    disabled_open    boolean     NOT NULL DEFAULT false
);

CREATE INDEX endpoint_health_failing ON endpoint_health (failing_since) WHERE failing_since IS NOT NULL;

-- Every batch of attempts updates its endpoints' streaks, whoever records
-- it, so the dispatcher needs no change. Statement-level, over the batch's
-- rows (a transition table): one upsert per endpoint of the batch, in
-- endpoint_id order. Row by row, two nodes recording batches that share
-- endpoints in different orders could lock each other's rows in opposite
-- orders and deadlock; in one order they only queue.
--
-- Healthy: 2xx, 303 or 400 (herald/health.go). Batches are not in time
-- order, so a late record never moves a streak back. When the exact start of
-- a streak is unknown (failures recorded around a late success), the guess
-- is a later failure, never an earlier one: the monitor may disable an
-- endpoint late, never early.
CREATE FUNCTION herald_attempts_endpoint_health() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    new_s timestamptz;
BEGIN
    FOR r IN
        WITH a AS (
            SELECT d.endpoint_id, d.customer_id, n.at, n.status_code, n.error,
                (n.status_code BETWEEN 200 AND 299 OR n.status_code IN (303, 400)) AS ok
            FROM new_attempts n JOIN deliveries d ON d.id = n.delivery_id
        ), b AS (
            SELECT endpoint_id, min(customer_id) AS customer_id, max(at) AS last_attempt,
                max(at) FILTER (WHERE ok) AS last_success,
                max(at) FILTER (WHERE NOT ok) AS last_failure,
                min(at) FILTER (WHERE NOT ok) AS first_failure
            FROM a GROUP BY endpoint_id
        )
        SELECT b.*,
            (SELECT min(a.at) FROM a WHERE a.endpoint_id = b.endpoint_id AND NOT a.ok
                AND (b.last_success IS NULL OR a.at > b.last_success)) AS failure_after_success,
            (SELECT a.status_code FROM a WHERE a.endpoint_id = b.endpoint_id AND NOT a.ok
                ORDER BY a.at DESC LIMIT 1) AS status_code,
            (SELECT a.error FROM a WHERE a.endpoint_id = b.endpoint_id AND NOT a.ok
                ORDER BY a.at DESC LIMIT 1) AS error
        FROM b ORDER BY b.endpoint_id
    LOOP
        INSERT INTO endpoint_health AS h (endpoint_id, customer_id, last_attempt_at, last_success_at,
            last_failure_at, last_status_code, last_error, failing_since)
        VALUES (r.endpoint_id, r.customer_id, r.last_attempt, r.last_success, r.last_failure,
            coalesce(r.status_code, 0), coalesce(r.error, ''), r.failure_after_success)
        ON CONFLICT (endpoint_id) DO UPDATE SET
            last_attempt_at = greatest(h.last_attempt_at, r.last_attempt),
            last_success_at = greatest(h.last_success_at, r.last_success),
            last_failure_at = greatest(h.last_failure_at, r.last_failure),
            last_status_code = CASE WHEN r.last_failure IS NOT NULL
                AND (h.last_failure_at IS NULL OR r.last_failure >= h.last_failure_at)
                THEN r.status_code ELSE h.last_status_code END,
            last_error = CASE WHEN r.last_failure IS NOT NULL
                AND (h.last_failure_at IS NULL OR r.last_failure >= h.last_failure_at)
                THEN r.error ELSE h.last_error END,
            -- s is the new last success, f the new last failure: no
            -- streak unless f is after s; else the earliest failure
            -- known to be after s.
            failing_since = (SELECT CASE
                WHEN v.f IS NULL OR (v.s IS NOT NULL AND v.s >= v.f) THEN NULL
                WHEN v.s IS NULL THEN least(h.failing_since, r.first_failure)
                ELSE least(
                    CASE WHEN h.failing_since > v.s THEN h.failing_since
                         WHEN h.last_failure_at > v.s THEN h.last_failure_at END,
                    CASE WHEN r.first_failure > v.s THEN r.first_failure
                         WHEN r.failure_after_success > v.s THEN r.failure_after_success
                         WHEN r.last_failure > v.s THEN r.last_failure END)
                END
                FROM (SELECT greatest(h.last_success_at, r.last_success) AS s,
                             greatest(h.last_failure_at, r.last_failure) AS f) v),
            recovered_from = CASE WHEN h.failing_since IS NOT NULL AND r.last_success IS NOT NULL
                AND r.last_success >= greatest(h.last_failure_at, r.last_failure)
                THEN h.failing_since ELSE h.recovered_from END,
            recovered_at = CASE WHEN h.failing_since IS NOT NULL AND r.last_success IS NOT NULL
                AND r.last_success >= greatest(h.last_failure_at, r.last_failure)
                THEN r.last_success ELSE h.recovered_at END;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER attempts_endpoint_health AFTER INSERT ON attempts
    REFERENCING NEW TABLE AS new_attempts
    FOR EACH STATEMENT EXECUTE FUNCTION herald_attempts_endpoint_health();

-- Operator events; see the sqlite migration. send_next_at NULL: sent or
-- abandoned.
CREATE TABLE operator_events (
    id              text        PRIMARY KEY,
    type            text        NOT NULL,
    customer_id     text        NOT NULL,
    endpoint_id     text        NOT NULL DEFAULT '',
    delivery_id     text        NOT NULL DEFAULT '',
    at              timestamptz NOT NULL,
    detail          text        NOT NULL DEFAULT '',
    dedupe_key      text        NOT NULL UNIQUE,
    created_at      timestamptz NOT NULL,
    sent_at         timestamptz,
    send_attempts   integer     NOT NULL DEFAULT 0,
    send_next_at    timestamptz,
    last_send_error text        NOT NULL DEFAULT '',
    send_abandoned  boolean     NOT NULL DEFAULT false
);

CREATE INDEX operator_events_customer_id_id ON operator_events (customer_id, id);
CREATE INDEX operator_events_unsent ON operator_events (send_next_at) WHERE send_next_at IS NOT NULL;

-- Where HealthScan's walk of dead deliveries stopped.
CREATE TABLE health_scan_marks (
    name text        PRIMARY KEY,
    at   timestamptz NOT NULL,
    id   text        NOT NULL
);

CREATE INDEX deliveries_dead ON deliveries (updated_at, id) WHERE state = 'dead';
-- Health over a window; see the sqlite migration.
CREATE INDEX deliveries_endpoint_last_attempt ON deliveries (endpoint_id, last_attempt_at);
CREATE INDEX deliveries_customer_state ON deliveries (customer_id, state, endpoint_id);

-- Replay jobs. filter is the herald.DeliveryFilter as JSON.
CREATE TABLE replay_jobs (
    id               text        PRIMARY KEY,
    customer_id      text        NOT NULL REFERENCES customers (id),
    filter           jsonb       NOT NULL,
    state            text        NOT NULL CHECK (state IN ('pending', 'running', 'completed')),
    total            integer     NOT NULL,
    done             integer     NOT NULL DEFAULT 0,
    replayed         integer     NOT NULL DEFAULT 0,
    skipped          integer     NOT NULL DEFAULT 0,
    errors           text[]      NOT NULL DEFAULT '{}',
    cursor           text        NOT NULL DEFAULT '',
    last_delivery_id text        NOT NULL,
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL,
    finished_at      timestamptz
);

CREATE INDEX replay_jobs_customer_id_id ON replay_jobs (customer_id, id);
CREATE INDEX replay_jobs_unfinished ON replay_jobs (id) WHERE state <> 'completed';
