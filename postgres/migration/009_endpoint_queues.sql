-- 009: claims that cost O(batch), whatever the backlog and the number of
-- endpoints (see Store.DeliveryClaimDue in delivery.go and docs/scaling.md).
--
-- endpoint_queues holds one row per endpoint that has (or had) pending
-- deliveries. next_due is a lower bound on when the endpoint next has work
-- a claim can take:
--
--   invariant: for every pending delivery d of the endpoint,
--              next_due <= d.next_attempt_at (NULL: no pending delivery)
--
-- or, when a claim found the endpoint at its concurrency cap, the end of
-- its earliest lease (a record frees a slot sooner and lowers it again).
-- A claim reads the endpoints whose next_due has come, oldest first,
-- through endpoint_queues_next_due, and locks their rows (FOR UPDATE SKIP
-- LOCKED): that row lock is what keeps an endpoint's cap across nodes,
-- where advisory locks did before. It then sets next_due exactly, from
-- deliveries_endpoint_due, one index seek per endpoint.
--
-- Only claims ever raise next_due, and only while holding the row lock.
-- Everything that makes a delivery due (a publish, a retry scheduled by a
-- record, a release, a manual retry, a replay) or frees a slot (a record)
-- lowers it, through the statement-level triggers below, so no code path
-- can forget to: the trigger upserts with ON CONFLICT DO UPDATE, which
-- locks the row and so waits for a claim holding it, then lowers the value
-- that claim committed. Triggers lock rows in endpoint_id order.
CREATE TABLE endpoint_queues (
    endpoint_id text        PRIMARY KEY,
    next_due    timestamptz
);

CREATE INDEX endpoint_queues_next_due ON endpoint_queues (next_due) WHERE next_due IS NOT NULL;

-- An endpoint's pending deliveries in due order: the claim takes an
-- endpoint's first due rows here, and next_due is one seek.
CREATE INDEX deliveries_endpoint_due ON deliveries (endpoint_id, next_attempt_at) WHERE state = 'pending';

INSERT INTO endpoint_queues (endpoint_id, next_due)
SELECT endpoint_id, min(next_attempt_at) FROM deliveries WHERE state = 'pending' GROUP BY endpoint_id;

-- A claim sets herald.claiming for its transaction: it only moves
-- next_attempt_at later (a lease), which never lowers next_due, and it sets
-- next_due itself.
CREATE FUNCTION endpoint_queues_lower() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('herald.claiming', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO endpoint_queues AS q (endpoint_id, next_due)
    SELECT n.endpoint_id,
        (SELECT min(d.next_attempt_at) FROM deliveries d
         WHERE d.state = 'pending' AND d.endpoint_id = n.endpoint_id)
    FROM (SELECT DISTINCT endpoint_id FROM changed) n
    ORDER BY n.endpoint_id
    ON CONFLICT (endpoint_id) DO UPDATE SET next_due = LEAST(q.next_due, EXCLUDED.next_due);
    RETURN NULL;
END
$$;

-- EventPublish sets herald.publishing: it lowers next_due itself after its
-- commit (Store.lowerQueues), so concurrent publishes never hold the same
-- endpoint rows across their commits. Every other insert (platform
-- actions, replays) goes through this trigger.
CREATE FUNCTION endpoint_queues_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('herald.publishing', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO endpoint_queues AS q (endpoint_id, next_due)
    SELECT n.endpoint_id, n.due
    FROM (SELECT endpoint_id, min(next_attempt_at) AS due FROM changed
          WHERE state = 'pending' GROUP BY endpoint_id) n
    ORDER BY n.endpoint_id
    ON CONFLICT (endpoint_id) DO UPDATE SET next_due = LEAST(q.next_due, EXCLUDED.next_due);
    RETURN NULL;
END
$$;

CREATE TRIGGER deliveries_insert_queue AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_queues_insert();

CREATE TRIGGER deliveries_update_queue AFTER UPDATE ON deliveries
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_queues_lower();

-- An endpoint edit (a raised cap, a re-enabled endpoint) may make work
-- claimable that a claim had put off: lower next_due the same way.
CREATE FUNCTION endpoint_queues_endpoint_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE endpoint_queues q SET next_due = LEAST(q.next_due,
        (SELECT min(d.next_attempt_at) FROM deliveries d
         WHERE d.state = 'pending' AND d.endpoint_id = q.endpoint_id))
    WHERE q.endpoint_id IN (SELECT id FROM changed);
    RETURN NULL;
END
$$;

CREATE TRIGGER endpoints_update_queue AFTER UPDATE ON endpoints
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_queues_endpoint_changed();
