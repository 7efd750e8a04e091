-- 001_initial: customers, endpoints, events, deliveries and their attempts.
--
-- Times are INTEGER unix milliseconds, UTC; 0 means "never" (a zero
-- time.Time). Integers index and compare faster than text timestamps and
-- cannot be written in two formats by mistake. Tables are STRICT so a value
-- of the wrong type is an error, not a silent conversion.

CREATE TABLE customers (
    id         TEXT    PRIMARY KEY,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- event_types and status_triggers are JSON arrays of strings; auth is a JSON
-- object, secrets included. Secrets are stored in clear for now: encrypting
-- them at rest (an envelope key from the config) is a later step.
CREATE TABLE endpoints (
    id              TEXT    PRIMARY KEY,
    customer_id     TEXT    NOT NULL REFERENCES customers (id),
    url             TEXT    NOT NULL,
    event_types     TEXT    NOT NULL,
    auth            TEXT    NOT NULL,
    gzip            INTEGER NOT NULL,
    enabled         INTEGER NOT NULL,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    status_triggers TEXT    NOT NULL DEFAULT '[]',
    max_concurrency INTEGER NOT NULL DEFAULT 0,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

-- EndpointList (oldest first) and EventPublish (every endpoint of a customer).
CREATE INDEX endpoints_customer_id_created_at ON endpoints (customer_id, created_at);

-- An event keeps its body gzip'd only: it is compressed once at publish time
-- and sent as is (or gunzip'd once) by every delivery and retry.
CREATE TABLE events (
    id          TEXT    PRIMARY KEY,
    customer_id TEXT    NOT NULL REFERENCES customers (id),
    type        TEXT    NOT NULL,
    new_status  TEXT    NOT NULL DEFAULT '',
    body_gzip   BLOB    NOT NULL,
    link_header TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL
) STRICT;

-- endpoint_id has no foreign key on purpose: deleting an endpoint keeps its
-- deliveries for the record. customer_id and event_type are copied from the
-- event so that DeliveryList filters without a join.
--
-- While a delivery is leased, next_attempt_at is the end of the lease, so a
-- leased row is not due and an expired lease makes it due again without any
-- sweep. lease_token is '' when no claim holds the delivery.
CREATE TABLE deliveries (
    id                TEXT    PRIMARY KEY,
    event_id          TEXT    NOT NULL REFERENCES events (id),
    endpoint_id       TEXT    NOT NULL,
    customer_id       TEXT    NOT NULL,
    event_type        TEXT    NOT NULL,
    state             TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    schedule_attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    last_attempt_at   INTEGER NOT NULL DEFAULT 0,
    last_status_code  INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT    NOT NULL DEFAULT '',
    location          TEXT    NOT NULL DEFAULT '',
    lease_owner       TEXT    NOT NULL DEFAULT '',
    lease_token       TEXT    NOT NULL DEFAULT '',
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
) STRICT;

-- The claim query walks this index in due order. It is partial: final
-- deliveries, which soon outnumber pending ones by far, are not in it, so a
-- claim costs the same however much history the table holds. Without it the
-- claim is a full scan (about 20 times slower, and getting slower).
CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE state = 'pending';

-- DeliveryList: one customer's deliveries, newest first, keyset on id (ids
-- are time-ordered).
CREATE INDEX deliveries_customer_id_id ON deliveries (customer_id, id);

-- DeliveryListForEvent.
CREATE INDEX deliveries_event_id ON deliveries (event_id);

-- An attempt's own id is the rowid: a delivery may log two attempts with the
-- same number (a node that lost its lease records its attempt anyway), so
-- (delivery_id, number) cannot be the key. latency is in nanoseconds;
-- request_headers is a JSON object.
CREATE TABLE attempts (
    id                  INTEGER PRIMARY KEY,
    delivery_id         TEXT    NOT NULL REFERENCES deliveries (id),
    number              INTEGER NOT NULL,
    at                  INTEGER NOT NULL,
    status_code         INTEGER NOT NULL DEFAULT 0,
    location            TEXT    NOT NULL DEFAULT '',
    user_message        TEXT    NOT NULL DEFAULT '',
    debug_error_message TEXT    NOT NULL DEFAULT '',
    error               TEXT    NOT NULL DEFAULT '',
    latency             INTEGER NOT NULL DEFAULT 0,
    response_body       TEXT    NOT NULL DEFAULT '',
    request_headers     TEXT    NOT NULL DEFAULT '{}'
) STRICT;

CREATE INDEX attempts_delivery_id ON attempts (delivery_id, at);
