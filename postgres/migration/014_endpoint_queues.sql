-- 014: claims that cost O(batch), whatever the backlog and the number of
-- endpoints (see Store.DeliveryClaimDue in delivery.go and docs/scaling.md).
--
-- endpoint_queues holds one row per endpoint that has (or had) pending
-- deliveries. next_due is a lower bound on when the endpoint next has work
-- a claim can take:
--
--   invariant: for every pending delivery d of the endpoint,
--              min(next_due, its wakeups' due) <= d.next_attempt_at
--
-- (NULL: nothing pending), or, when a claim found the endpoint at its
-- concurrency cap, the end of its earliest lease (a record frees a slot
-- sooner, and wakes it).
--
-- A claim first folds the wakeups into endpoint_queues (claimFoldSQL),
-- then reads the endpoints whose next_due has come, oldest first, through
-- endpoint_queues_next_due, and locks their rows (FOR UPDATE SKIP LOCKED):
-- that row lock is what keeps an endpoint's cap across nodes. It then sets
-- next_due exactly, from deliveries_endpoint_due, one index seek per
-- endpoint. Only a claim holding the row raises next_due.
--
-- Everything that makes a delivery due (a publish, a retry scheduled by a
-- record, a release, a manual retry, a replay, a predecessor finishing) or
-- frees a slot (a record) or may lift a cap (an endpoint edit) inserts a
-- wakeup, through the statement-level triggers below, so no code path can
-- forget to. A wakeup is a plain INSERT in the writer's own transaction:
-- it locks nothing another transaction holds, so publishes and records
-- never wait on claims or on each other for it, and it commits with the
-- change that made it, so a node killed at any moment leaves nothing
-- un-woken. (Lowering endpoint_queues after a publish's commit, the first
-- design, lost the lowering when a node died in between.)
CREATE TABLE endpoint_queues (
    endpoint_id text        PRIMARY KEY,
    next_due    timestamptz
);

CREATE INDEX endpoint_queues_next_due ON endpoint_queues (next_due) WHERE next_due IS NOT NULL;

CREATE TABLE endpoint_queue_wakeups (
    id          bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    endpoint_id text        NOT NULL,
    due         timestamptz NOT NULL
);

-- A claim's settle consumes the wakeups of the endpoints it holds.
CREATE INDEX endpoint_queue_wakeups_endpoint_id ON endpoint_queue_wakeups (endpoint_id);

-- An endpoint's pending deliveries in due order: the claim takes an
-- endpoint's first due rows here, and next_due is one seek.
CREATE INDEX deliveries_endpoint_due ON deliveries (endpoint_id, next_attempt_at) WHERE state = 'pending';

-- The due-order index served the claim that walked every endpoint's due
-- rows in one order. Nothing reads it now (the queue stats count pending
-- rows through deliveries_endpoint_due as well), and every pending insert,
-- lease and record paid to keep it: one index for another.
DROP INDEX deliveries_due;

INSERT INTO endpoint_queues (endpoint_id, next_due)
SELECT endpoint_id, min(next_attempt_at) FROM deliveries WHERE state = 'pending' GROUP BY endpoint_id;

-- New deliveries: wake each endpoint at its earliest new pending one.
CREATE FUNCTION endpoint_queues_wake_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
    SELECT endpoint_id, min(next_attempt_at) FROM changed
    WHERE state = 'pending'
    GROUP BY endpoint_id;
    RETURN NULL;
END
$$;

-- Changed deliveries: a record, release or retry frees a slot or makes a
-- delivery due, so each endpoint needs a look at once. '-infinity' says
-- "now" without comparing the database's clock with the nodes' (claims
-- pass their own now). A claim sets herald.claiming for its transaction: it only moves
-- next_attempt_at later (a lease) and sets next_due itself.
CREATE FUNCTION endpoint_queues_wake_updated() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('herald.claiming', true) = 'on' THEN
        RETURN NULL;
    END IF;
    INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
    SELECT DISTINCT endpoint_id, '-infinity'::timestamptz FROM changed;
    RETURN NULL;
END
$$;

CREATE TRIGGER deliveries_wake_inserted AFTER INSERT ON deliveries
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_queues_wake_inserted();

CREATE TRIGGER deliveries_wake_updated AFTER UPDATE ON deliveries
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_queues_wake_updated();

-- An endpoint edit (a raised cap, a re-enabled endpoint) may make work
-- claimable that a claim had put off.
CREATE FUNCTION endpoint_queues_wake_endpoint() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
    SELECT id, '-infinity'::timestamptz FROM changed;
    RETURN NULL;
END
$$;

CREATE TRIGGER endpoints_wake_queue AFTER UPDATE ON endpoints
    REFERENCING NEW TABLE AS changed
    FOR EACH STATEMENT EXECUTE FUNCTION endpoint_queues_wake_endpoint();
