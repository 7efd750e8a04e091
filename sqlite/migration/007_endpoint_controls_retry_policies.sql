-- 007: per-endpoint rate limit and circuit breaker settings, and retry
-- policies per customer and event type.

-- rate_limit is requests per second (0: unlimited); rate_burst the token
-- bucket's size (0: default); circuit_threshold the retryable failures in a
-- row that open the circuit (0: default); circuit_cooldown how long it stays
-- open, in milliseconds (0: default). See herald.Endpoint.
ALTER TABLE endpoints ADD COLUMN rate_limit REAL NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN rate_burst INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN circuit_threshold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE endpoints ADD COLUMN circuit_cooldown INTEGER NOT NULL DEFAULT 0;

-- One row per customer and event type; event_type '' is the customer-wide
-- policy. schedule is a JSON array of waits in milliseconds ([] : the
-- default schedule); permanent_statuses a JSON array of statuses ([]: the
-- default, 400). max_window is milliseconds, 0 for none. The customer's
-- rows are read together (one per event type at most), so the primary key
-- serves every query.
CREATE TABLE retry_policies (
    customer_id        TEXT    NOT NULL REFERENCES customers (id),
    event_type         TEXT    NOT NULL,
    schedule           TEXT    NOT NULL,
    max_attempts       INTEGER NOT NULL,
    max_window         INTEGER NOT NULL,
    permanent_statuses TEXT    NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (customer_id, event_type)
) STRICT;
