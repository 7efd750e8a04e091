-- 022_payload_statistics: ANALYZE skips the columns that only carry
-- payload.
--
-- No query filters, joins, groups or sorts on an event's body, Link header
-- or trace context, or on what an attempt sent and got back: they are only
-- read out by id. Their statistics are never used, yet ANALYZE builds them
-- from every sampled row, and sorting jsonb and bytea values for a
-- histogram is the dearest part of it. On tables that grow quickly, as
-- events and attempts do from a fresh database and as deliveries do always
-- (analyzed after 2 % of its rows change, migration 001), autovacuum's
-- ANALYZE was about a fifth of the database's CPU in herald bench (perf,
-- log_autovacuum_min_duration); on 16,000 attempts from a bench run it
-- took 60 ms instead of 100-150, and 83-91 ms instead of 113-149 on the
-- events.
--
-- SET STATISTICS takes a SHARE UPDATE EXCLUSIVE lock: readers and writers
-- of the previous release carry on during a rolling upgrade.
ALTER TABLE events
    ALTER COLUMN body_gzip SET STATISTICS 0,
    ALTER COLUMN link_header SET STATISTICS 0,
    ALTER COLUMN trace_context SET STATISTICS 0;

ALTER TABLE attempts
    ALTER COLUMN request_headers SET STATISTICS 0,
    ALTER COLUMN response_body SET STATISTICS 0,
    ALTER COLUMN user_message SET STATISTICS 0,
    ALTER COLUMN debug_error_message SET STATISTICS 0,
    ALTER COLUMN location SET STATISTICS 0;

ALTER TABLE deliveries
    ALTER COLUMN last_error SET STATISTICS 0,
    ALTER COLUMN location SET STATISTICS 0;
