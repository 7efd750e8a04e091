-- 009_web_users: administrators of a customer who sign in to the web UI,
-- and the sessions of signed-in browsers (operators' included).

-- username is unique across customers, so the login form needs no
-- customer id. password_hash is a PHC string made by the web package.
CREATE TABLE web_users (
    id            TEXT    PRIMARY KEY,
    customer_id   TEXT    NOT NULL REFERENCES customers (id),
    username      TEXT    NOT NULL UNIQUE,
    password_hash TEXT    NOT NULL,
    person_id     TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL
) STRICT;

CREATE INDEX web_users_customer ON web_users (customer_id, created_at);

-- id_hash is the SHA-256 of the cookie's random id, never the id itself.
-- user_id is NULL for an operator's session; a user's sessions go with
-- the user (ON DELETE CASCADE needs foreign_keys=ON, which Open sets).
CREATE TABLE web_sessions (
    id_hash     BLOB    PRIMARY KEY,
    user_id     TEXT    REFERENCES web_users (id) ON DELETE CASCADE,
    customer_id TEXT    NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

-- WebSessionCreate deletes expired sessions by expires_at.
CREATE INDEX web_sessions_expires ON web_sessions (expires_at);
CREATE INDEX web_sessions_user ON web_sessions (user_id);
