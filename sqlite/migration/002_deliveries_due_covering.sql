-- 002: the due index also holds endpoint_id, so the claim's
-- "endpoint_id NOT IN (excluded)" test reads the index entry alone. Before,
-- it fetched the table row of every due delivery it passed over: a claim
-- behind a 50,000-delivery backlog of an excluded endpoint (a slow partner
-- whose lane is full) took about 16 ms, holding the only writer.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, endpoint_id) WHERE state = 'pending';
