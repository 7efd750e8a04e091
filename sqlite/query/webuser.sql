-- Web users and their browser sessions (internal/sqlstore/webuser.go).
-- The user statements read id, customer_id, username, password_hash,
-- person_id, created_at.

-- name: WebUserInsert
INSERT INTO web_users (id, customer_id, username, password_hash, person_id, created_at)
VALUES (?, ?, ?, ?, ?, ?);

-- name: WebUserGetByUsername
SELECT id, customer_id, username, password_hash, person_id, created_at
FROM web_users WHERE username = ?;

-- name: WebUserGet
SELECT id, customer_id, username, password_hash, person_id, created_at
FROM web_users WHERE customer_id = ? AND id = ?;

-- name: WebUserList
SELECT id, customer_id, username, password_hash, person_id, created_at
FROM web_users WHERE customer_id = ? ORDER BY created_at, id;

-- name: WebUserSetPassword
UPDATE web_users SET password_hash = ? WHERE customer_id = ? AND id = ?;

-- name: WebUserDelete
DELETE FROM web_users WHERE customer_id = ? AND id = ?;

-- name: WebSessionDeleteOfUser
DELETE FROM web_sessions WHERE user_id = ?;

-- name: WebSessionDeleteExpired
DELETE FROM web_sessions WHERE expires_at <= ?;

-- name: WebSessionInsert
INSERT INTO web_sessions (id_hash, user_id, customer_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?);

-- name: WebSessionGet
SELECT id_hash, user_id, customer_id, created_at, expires_at
FROM web_sessions WHERE id_hash = ? AND expires_at > ?;

-- name: WebSessionDelete
DELETE FROM web_sessions WHERE id_hash = ?;
