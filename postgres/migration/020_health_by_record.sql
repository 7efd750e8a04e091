-- 020_health_by_record: the record statement keeps endpoint health itself.
--
-- Migration 005's statement-level trigger on attempts kept each endpoint's
-- streak: for every record batch, a PL/pgSQL call, a transition table, a
-- second join of the batch with deliveries, and one upsert per endpoint.
-- That was about half the cost of recording a batch of 13 attempts
-- (EXPLAIN ANALYZE: 0.5-0.7 ms of 0.8-1.0 ms), about a tenth of the
-- statement time per delivery in herald bench. The record statement
-- (postgres.recordAttemptsSQL) now does the same in the statement that
-- inserts the attempts: one join, one ordered upsert for all endpoints.
--
-- It says so with herald.health_by_record, set for its transaction, and
-- the trigger's WHEN condition then skips the call. The trigger stays for
-- the previous release, which a rolling upgrade runs beside this one
-- (README, "Upgrades": expand, then contract): its records still keep
-- health through it. The release after this one may drop it. (A
-- statement-level trigger's WHEN may not name columns; a setting it may.)
-- CREATE OR REPLACE (PostgreSQL 14+) locks the table against writes for the
-- moment it takes; DROP and CREATE would lock out readers too.
CREATE OR REPLACE TRIGGER attempts_endpoint_health AFTER INSERT ON attempts
    REFERENCING NEW TABLE AS new_attempts
    FOR EACH STATEMENT
    WHEN (current_setting('herald.health_by_record', true) IS DISTINCT FROM 'on')
    EXECUTE FUNCTION herald_attempts_endpoint_health();
