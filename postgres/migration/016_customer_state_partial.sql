-- 016_customer_state_partial: deliveries_customer_state leaves out
-- delivered deliveries (see the sqlite migration 019). The record's update
-- of a delivery is not HOT (its state is indexed), so it wrote the
-- delivered entry into this index for nearly every delivery. The queries
-- that filter by state say state <> 'delivered' when they can use it.
DROP INDEX deliveries_customer_state;
CREATE INDEX deliveries_customer_state ON deliveries (customer_id, state, endpoint_id)
    WHERE state <> 'delivered';
