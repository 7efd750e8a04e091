-- Endpoint secrets, as a whole (internal/sqlstore/secrets.go).

-- name: SecretsList
SELECT id, auth FROM endpoints;

-- The row locks hold endpoint updates off until the reseal commits, so
-- the auth read here overwrites none of them.
-- name: SecretsListForReseal
SELECT id, auth FROM endpoints FOR UPDATE;

-- name: SecretsReseal
UPDATE endpoints SET auth = $1 WHERE id = $2;
