-- 001_initial: customers, endpoints, events, deliveries and their attempts.
--
-- Times are timestamptz (UTC, microseconds). A time that has not happened
-- yet (last_attempt_at before the first attempt) is NULL. Tables are created
-- unqualified, in the first schema of the connection's search_path, so a
-- deployment (or a test) can keep Herald in a schema of its own.

CREATE TABLE customers (
    id         text        PRIMARY KEY,
    name       text        NOT NULL,
    created_at timestamptz NOT NULL
);

-- auth is a JSON object, secrets included. Secrets are stored in clear for
-- now: encrypting them at rest (an envelope key from the config) is a later
-- step, as in the sqlite store.
CREATE TABLE endpoints (
    id              text        PRIMARY KEY,
    customer_id     text        NOT NULL REFERENCES customers (id),
    url             text        NOT NULL,
    event_types     text[]      NOT NULL,
    auth            jsonb       NOT NULL,
    gzip            boolean     NOT NULL,
    enabled         boolean     NOT NULL,
    disabled_reason text        NOT NULL DEFAULT '',
    status_triggers text[]      NOT NULL DEFAULT '{}',
    max_concurrency integer     NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

-- EndpointList (oldest first) and EventPublish (every endpoint of a customer).
CREATE INDEX endpoints_customer_id_created_at ON endpoints (customer_id, created_at);

-- An event keeps its body gzip'd only: it is compressed once at publish time
-- and sent as is (or gunzip'd once) by every delivery and retry.
CREATE TABLE events (
    id          text        PRIMARY KEY,
    customer_id text        NOT NULL REFERENCES customers (id),
    type        text        NOT NULL,
    new_status  text        NOT NULL DEFAULT '',
    body_gzip   bytea       NOT NULL,
    link_header text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);

-- endpoint_id has no foreign key on purpose: deleting an endpoint keeps its
-- deliveries for the record. customer_id and event_type are copied from the
-- event so that DeliveryList filters without a join.
--
-- While a delivery is leased, next_attempt_at is the end of the lease, so a
-- leased row is not due and an expired lease makes it due again without any
-- sweeper. lease_token is NULL when no claim holds the delivery; an expired
-- lease keeps its token until the next claim or record replaces it.
--
-- UNIQUE (event_id, endpoint_id): one delivery per event and endpoint, so no
-- race between nodes can ever send an event twice to one endpoint by
-- creating a second row. Its index also serves DeliveryListForEvent.
CREATE TABLE deliveries (
    id                text        PRIMARY KEY,
    event_id          text        NOT NULL REFERENCES events (id),
    endpoint_id       text        NOT NULL,
    customer_id       text        NOT NULL,
    event_type        text        NOT NULL,
    state             text        NOT NULL
        CHECK (state IN ('pending', 'delivered', 'rejected', 'failed', 'dead')),
    attempts          integer     NOT NULL DEFAULT 0,
    schedule_attempts integer     NOT NULL DEFAULT 0,
    next_attempt_at   timestamptz NOT NULL,
    last_attempt_at   timestamptz,
    last_status_code  integer     NOT NULL DEFAULT 0,
    last_error        text        NOT NULL DEFAULT '',
    location          text        NOT NULL DEFAULT '',
    lease_owner       text,
    lease_token       text,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    UNIQUE (event_id, endpoint_id)
);

-- A queue table: every delivery is updated at least twice (claim, record),
-- and each update leaves a dead row version and dead entries in
-- deliveries_due and deliveries_leased that claims step over until VACUUM
-- removes them. Vacuum (and analyze) after 2 % of the rows changed rather
-- than the default 20 %, so a large table does not gather millions of dead
-- entries in its hot indexes between vacuums.
ALTER TABLE deliveries SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

-- The claim walks this index in due order. It is partial: final deliveries,
-- which soon outnumber pending ones by far, are not in it, so a claim costs
-- the same however much history the table holds.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';

-- Counting each endpoint's leases (the per-endpoint concurrency cap): only
-- rows a claim has touched are in it, a few per endpoint, so the count reads
-- a handful of index entries whatever the backlog of due or retrying rows.
CREATE INDEX deliveries_leased ON deliveries (endpoint_id, next_attempt_at)
    WHERE state = 'pending' AND lease_token IS NOT NULL;

-- DeliveryList: one customer's deliveries, newest first, keyset on id (ids
-- are time-ordered).
CREATE INDEX deliveries_customer_id_id ON deliveries (customer_id, id);

-- An attempt has its own id: a delivery may log two attempts with the same
-- number (a node that lost its lease records its attempt anyway), so
-- (delivery_id, number) cannot be the key. request_headers is a JSON object.
CREATE TABLE attempts (
    id                  bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id         text        NOT NULL REFERENCES deliveries (id),
    number              integer     NOT NULL,
    at                  timestamptz NOT NULL,
    status_code         integer     NOT NULL DEFAULT 0,
    location            text        NOT NULL DEFAULT '',
    user_message        text        NOT NULL DEFAULT '',
    debug_error_message text        NOT NULL DEFAULT '',
    error               text        NOT NULL DEFAULT '',
    latency_ns          bigint      NOT NULL DEFAULT 0,
    response_body       text        NOT NULL DEFAULT '',
    request_headers     jsonb       NOT NULL DEFAULT '{}'
);

CREATE INDEX attempts_delivery_id ON attempts (delivery_id, at);
