-- 004: per-endpoint rate limit and circuit breaker settings, and retry
-- policies per customer and event type.

-- rate_limit is requests per second (0: unlimited); rate_burst the token
-- bucket's size (0: default); circuit_threshold the retryable failures in a
-- row that open the circuit (0: default); circuit_cooldown_ms how long it
-- stays open (0: default). See herald.Endpoint.
ALTER TABLE endpoints
    ADD COLUMN rate_limit          double precision NOT NULL DEFAULT 0,
    ADD COLUMN rate_burst          integer          NOT NULL DEFAULT 0,
    ADD COLUMN circuit_threshold   integer          NOT NULL DEFAULT 0,
    ADD COLUMN circuit_cooldown_ms bigint           NOT NULL DEFAULT 0;

-- One row per customer and event type; event_type '' is the customer-wide
-- policy. schedule_ms holds the waits in milliseconds ('{}': the default
-- schedule); permanent_statuses '{}' means the default, 400. max_window_ms
-- 0 means none. The primary key serves every query.
CREATE TABLE retry_policies (
    customer_id        text        NOT NULL REFERENCES customers (id),
    event_type         text        NOT NULL,
    schedule_ms        bigint[]    NOT NULL,
    max_attempts       integer     NOT NULL,
    max_window_ms      bigint      NOT NULL,
    permanent_statuses integer[]   NOT NULL,
    created_at         timestamptz NOT NULL,
    updated_at         timestamptz NOT NULL,
    PRIMARY KEY (customer_id, event_type)
);
