-- 023_wake_by_due_index: the record's wake-up check reads one endpoint's
-- due order, whatever the statistics say.
--
-- Migration 017's check (does an endpoint touched by an update have a
-- pending delivery no lease holds?) was an EXISTS, and the planner chooses
-- its path from statistics. With few endpoints and one of them holding a
-- large backlog (a partner that is down), ANALYZE says any endpoint id
-- matches a sixth of the table, so the planner expects the first match
-- within a few rows of a sequential scan and picks one. For a healthy
-- endpoint, whose pending deliveries are all leased, no row ever matches
-- and the scan reads the whole backlog: herald bench with a
-- 1,000,000-delivery backlog logged 350-800 ms in this trigger for records
-- of one delivery (auto_explain, "Rows Removed by Join Filter: 1000000"),
-- and the healthy customers' p99 rose to 1.5-2.3 s.
--
-- ORDER BY next_attempt_at LIMIT 1 gives the planner no such choice: the
-- only way to the first row in due order without reading and sorting all
-- of an endpoint's rows is deliveries_endpoint_due, and the scan stops at
-- the first unleased row. It reads at most the endpoint's leases (its
-- concurrency cap) before it, as 017 meant it to.
CREATE OR REPLACE FUNCTION endpoint_queues_wake_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('herald.claiming', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
    SELECT e.endpoint_id, '-infinity'::timestamptz
    FROM (SELECT DISTINCT endpoint_id FROM changed) e
    CROSS JOIN LATERAL (SELECT 1 FROM deliveries d
        WHERE d.endpoint_id = e.endpoint_id AND d.state = 'pending' AND d.lease_token IS NULL
        ORDER BY d.next_attempt_at
        LIMIT 1) unleased;
    RETURN NULL;
END
$$;
