-- 006_retention: per-customer retention, and the index the purge walks.
--
-- retention_days is the customer's retention period; 0 means the server's
-- default (herald serve --retention). See herald.RetentionStore.
ALTER TABLE customers ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 0;

-- The purge reads one customer's oldest events in (created_at, id) order, a
-- batch at a time, resuming after the last one it saw. Without this index
-- each batch would scan the whole events table.
CREATE INDEX events_customer_id_created_at ON events (customer_id, created_at, id);
