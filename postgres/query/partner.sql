-- Partners and their access tokens (internal/sqlstore/partner.go).
-- The partner statements read id, customer_id, name, client_id,
-- secret_hash, secret_hint, created_at.

-- name: PartnerInsert
INSERT INTO partners (id, customer_id, name, client_id, secret_hash, secret_hint, created_at)
VALUES ($1, $2, $3, $4, $5, $6, $7);

-- name: PartnerGet
SELECT id, customer_id, name, client_id, secret_hash, secret_hint, created_at FROM partners
WHERE customer_id = $1 AND id = $2;

-- name: PartnerGetByClientID
SELECT id, customer_id, name, client_id, secret_hash, secret_hint, created_at FROM partners
WHERE client_id = $1;

-- name: PartnerList
SELECT id, customer_id, name, client_id, secret_hash, secret_hint, created_at FROM partners
WHERE customer_id = $1 ORDER BY created_at, id;

-- name: PartnerDelete
DELETE FROM partners WHERE customer_id = $1 AND id = $2;

-- name: PartnerTokenInsert
INSERT INTO partner_tokens (token_hash, partner_id, customer_id, expires_at, created_at)
SELECT $1, id, customer_id, $2, $3 FROM partners WHERE id = $4
RETURNING customer_id;

-- name: PartnerTokenGet
SELECT partner_id, customer_id, expires_at, created_at FROM partner_tokens
WHERE token_hash = $1 AND expires_at > $2;

-- name: PartnerTokenPurgeBatch
-- SKIP LOCKED: nodes purging at once take different rows.
DELETE FROM partner_tokens WHERE token_hash IN (
    SELECT token_hash FROM partner_tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED);
