-- 018_endpoint_queue_rows: every endpoint has its endpoint_queues row.
--
-- A publish leases deliveries only at endpoints whose queue row it can
-- lock (EventPublishLeased), and until now the row was made by the first
-- claim's fold after a delivery was left pending there, so the first
-- events to a new endpoint waited for a claim rather than going out from
-- the publish. EndpointInsert now makes the row with the endpoint; this
-- gives one to the endpoints made before. next_due NULL says nothing is
-- pending, which is what the claims' partial index
-- (endpoint_queues_next_due) leaves out.
INSERT INTO endpoint_queues (endpoint_id, next_due)
SELECT id, NULL FROM endpoints
ON CONFLICT DO NOTHING;
