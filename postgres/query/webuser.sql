-- Web users and their browser sessions (internal/sqlstore/webuser.go).
-- The user statements read id, customer_id, username, password_hash,
-- person_id, created_at.

-- name: WebUserInsert
INSERT INTO web_users (id, customer_id, username, password_hash, person_id, created_at)
VALUES ($1, $2, $3, $4, $5, $6);

-- name: WebUserGetByUsername
SELECT id, customer_id, username, password_hash, person_id, created_at
FROM web_users WHERE username = $1;

-- name: WebUserGet
SELECT id, customer_id, username, password_hash, person_id, created_at
FROM web_users WHERE customer_id = $1 AND id = $2;

-- name: WebUserList
SELECT id, customer_id, username, password_hash, person_id, created_at
FROM web_users WHERE customer_id = $1 ORDER BY created_at, id;

-- name: WebUserSetPassword
UPDATE web_users SET password_hash = $1 WHERE customer_id = $2 AND id = $3;

-- name: WebUserDelete
DELETE FROM web_users WHERE customer_id = $1 AND id = $2;

-- name: WebSessionDeleteOfUser
DELETE FROM web_sessions WHERE user_id = $1;

-- name: WebSessionDeleteExpired
DELETE FROM web_sessions WHERE expires_at <= $1;

-- name: WebSessionInsert
INSERT INTO web_sessions (id_hash, user_id, customer_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5);

-- name: WebSessionGet
SELECT id_hash, user_id, customer_id, created_at, expires_at
FROM web_sessions WHERE id_hash = $1 AND expires_at > $2;

-- name: WebSessionDelete
DELETE FROM web_sessions WHERE id_hash = $1;
