-- 005: indexes for the per-endpoint concurrency cap of DeliveryClaimDue
-- (see Store.DeliveryClaimDue in claim.go).

-- An endpoint's pending deliveries in due order. The claim reads an
-- endpoint's first few due rows here without passing over other endpoints'
-- rows, and steps from one endpoint to the next (a loose index scan) when
-- a capped endpoint's backlog fills the head of deliveries_due.
CREATE INDEX deliveries_endpoint_due ON deliveries (endpoint_id, next_attempt_at) WHERE state = 'pending';

-- Counting an endpoint's unexpired leases. Only rows a claim holds are in
-- it (a record or release clears lease_token), a few per endpoint, so the
-- count reads a handful of entries whatever the endpoint's backlog.
CREATE INDEX deliveries_leased ON deliveries (endpoint_id, next_attempt_at) WHERE state = 'pending' AND lease_token <> '';
