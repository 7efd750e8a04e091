-- 006_web_users: administrators of a customer who sign in to the web UI,
-- and the sessions of signed-in browsers (operators' included).

-- username is unique across customers, so the login form needs no
-- customer id. password_hash is a PHC string made by the web package.
CREATE TABLE web_users (
    id            text        PRIMARY KEY,
    customer_id   text        NOT NULL REFERENCES customers (id),
    username      text        NOT NULL UNIQUE,
    password_hash text        NOT NULL,
    person_id     text        NOT NULL DEFAULT '',
    created_at    timestamptz NOT NULL
);

CREATE INDEX web_users_customer ON web_users (customer_id, created_at);

-- id_hash is the SHA-256 of the cookie's random id, never the id itself.
-- user_id is NULL for an operator's session; a user's sessions go with
-- the user.
CREATE TABLE web_sessions (
    id_hash     bytea       PRIMARY KEY,
    user_id     text        REFERENCES web_users (id) ON DELETE CASCADE,
    customer_id text        NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL
);

-- WebSessionCreate deletes expired sessions by expires_at.
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
