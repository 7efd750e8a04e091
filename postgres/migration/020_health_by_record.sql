-- 020_health_by_record: the record statement keeps endpoint health itself.
--
-- Migration 005's statement-level trigger on attempts kept each endpoint's
-- streak: for every record batch, a PL/pgSQL call, a transition table, a
-- second join of the batch with deliveries, and one upsert per endpoint.
-- That was about half the cost of recording a batch of 13 attempts
-- (EXPLAIN ANALYZE: 0.5-0.7 ms of 0.8-1.0 ms) and a tenth of the
-- database's CPU per delivery in herald bench. The record statement
-- (postgres.recordAttemptsSQL) now does the same in the statement that
-- inserts the attempts: one join, one ordered upsert for all endpoints.
--
-- It says so with herald.health_by_record, set for its transaction, and
-- the trigger then does nothing. The trigger stays for the previous
-- release, which a rolling upgrade runs beside this one (README,
-- "Upgrades": expand, then contract): its records still keep health
-- through it. The release after this one may drop it.
CREATE OR REPLACE FUNCTION herald_attempts_endpoint_health() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    r record;
    new_s timestamptz;
BEGIN
    IF current_setting('herald.health_by_record', true) = 'on' THEN
        RETURN NULL;
    END IF;
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
