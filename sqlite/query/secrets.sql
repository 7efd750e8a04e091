-- Endpoint secrets, as a whole (internal/sqlstore/secrets.go).

-- name: SecretsList
SELECT id, auth FROM endpoints;

-- The write transaction holds the database's lock already.
-- name: SecretsListForReseal
SELECT id, auth FROM endpoints;

-- name: SecretsReseal
UPDATE endpoints SET auth = ? WHERE id = ?;
