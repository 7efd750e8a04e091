-- 019_customer_state_partial: deliveries_customer_state leaves out
-- delivered deliveries.
--
-- It finds a customer's deliveries in a state: the pending ones a queue
-- depth sample counts, and the failed, dead, rejected or pending ones the
-- delivery explorer and replay filter by. Delivered is most deliveries and
-- the end of the usual path, so the index's entry for it was written by
-- nearly every attempt record: a page of the index for each customer a
-- commit touched (herald bench: a seventh of the bytes a delivery wrote).
-- A filter on delivered reads deliveries_customer_id_id instead, where
-- delivered deliveries are most of what it passes. The queries that use
-- the index say state <> 'delivered', as SQLite needs to use a partial
-- index.
DROP INDEX deliveries_customer_state;
CREATE INDEX deliveries_customer_state ON deliveries (customer_id, state, endpoint_id)
    WHERE state <> 'delivered';
