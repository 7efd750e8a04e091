-- 010_ordered_delivery: ordered delivery per subject (herald.Endpoint.Ordered;
-- the rule is in the root order.go).

ALTER TABLE endpoints ADD COLUMN ordered boolean NOT NULL DEFAULT false;

-- subject and subject_seq are set on the deliveries of ordered endpoints
-- only; waiting_for is the id of the delivery this one waits for, '' when
-- none. A waiting delivery's next_attempt_at is herald.HoldUntil, so claims
-- (which read deliveries_due) pass over it without a predicate of their own.
-- Constant defaults: adding the columns rewrites nothing.
ALTER TABLE deliveries ADD COLUMN subject     text   NOT NULL DEFAULT '';
ALTER TABLE deliveries ADD COLUMN subject_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN waiting_for text   NOT NULL DEFAULT '';

-- A publish reads the tail of a subject's queue: its highest subject_seq
-- (any state) and its latest pending delivery, one seek each. Partial on
-- subject, so the deliveries of unordered endpoints cost nothing here.
CREATE INDEX deliveries_subject ON deliveries (endpoint_id, subject, subject_seq)
    WHERE subject <> '';
CREATE INDEX deliveries_subject_pending ON deliveries (endpoint_id, subject, subject_seq)
    WHERE subject <> '' AND state = 'pending';

-- A delivery that becomes final releases the one waiting for it: one seek.
CREATE INDEX deliveries_waiting_for ON deliveries (waiting_for) WHERE waiting_for <> '';

-- A delivery that becomes final (an attempt's record, or a failure without
-- one) releases the delivery waiting for it: due at once, waiting for
-- nothing, and every node is told work is due. A trigger, so that every path
-- that ends a delivery does it in its own transaction; its WHEN clause makes
-- it cost nothing for the deliveries of unordered endpoints (no subject).
-- The store takes the subject's advisory lock before such an update
-- (DeliveryRecordAttempts), so no publish of that subject is in flight: the
-- UPDATE below, with a snapshot of its own (READ COMMITTED), sees every
-- delivery that was placed behind this one.
CREATE FUNCTION herald_deliveries_release_next() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE deliveries SET waiting_for = '', next_attempt_at = NEW.updated_at
    -- waiting_for <> '' as a literal, so the planner may use
    -- deliveries_waiting_for (it cannot tell that NEW.id is not empty).
    WHERE waiting_for = NEW.id AND waiting_for <> '' AND state = 'pending';
    IF FOUND THEN
        PERFORM pg_notify('herald_work', current_schema());
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER deliveries_release_next AFTER UPDATE OF state ON deliveries
    FOR EACH ROW WHEN (OLD.state = 'pending' AND NEW.state <> 'pending' AND NEW.subject <> '')
    EXECUTE FUNCTION herald_deliveries_release_next();
