-- 017_wake_only_claimable: a change to deliveries wakes an endpoint only
-- if a claim could find something there.
--
-- A record, release or retry frees a slot or makes a delivery due, so
-- migration 014 woke every endpoint it touched. With deliveries leased at
-- publish (the handoff), nearly every record is of a delivery that no
-- claim ever needed, at an endpoint with nothing else waiting: its wake-up
-- row was written, folded into endpoint_queues and deleted, and the claim
-- it caused found nothing (pg_stat_statements, herald bench: about 300 ms
-- of a 10,000-delivery run). An endpoint needs a look only while it has a
-- pending delivery no lease holds: one the record made pending again, one
-- a release handed back, or a backlog that waited for the freed slot. A
-- delivery another transaction makes pending wakes its endpoint itself,
-- and a lease's end is in endpoint_queues from its insert. The EXISTS
-- stops at the endpoint's first unleased pending row in due order
-- (deliveries_endpoint_due): for an endpoint with only leases in flight
-- it reads at most those, bounded by its cap.
CREATE OR REPLACE FUNCTION endpoint_queues_wake_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('herald.claiming', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
    SELECT e.endpoint_id, '-infinity'::timestamptz
    FROM (SELECT DISTINCT endpoint_id FROM changed) e
    WHERE EXISTS (SELECT 1 FROM deliveries d
        WHERE d.endpoint_id = e.endpoint_id AND d.state = 'pending' AND d.lease_token IS NULL);
    RETURN NULL;
END
$$;
