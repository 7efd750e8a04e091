-- Partners and their access tokens (internal/sqlstore/partner.go).
-- The partner statements read id, customer_id, name, client_id,
-- secret_hash, secret_hint, created_at.

-- name: PartnerInsert
INSERT INTO partners (id, customer_id, name, client_id, secret_hash, secret_hint, created_at)
VALUES (?, ?, ?, ?, ?, ?, ?);

-- name: PartnerGet
SELECT id, customer_id, name, client_id, secret_hash, secret_hint, created_at FROM partners
WHERE customer_id = ? AND id = ?;

-- name: PartnerGetByClientID
SELECT id, customer_id, name, client_id, secret_hash, secret_hint, created_at FROM partners
WHERE client_id = ?;

-- name: PartnerList
SELECT id, customer_id, name, client_id, secret_hash, secret_hint, created_at FROM partners
WHERE customer_id = ? ORDER BY created_at, rowid;

-- name: PartnerDelete
DELETE FROM partners WHERE customer_id = ? AND id = ?;

-- name: PartnerTokenInsert
INSERT INTO partner_tokens (token_hash, partner_id, customer_id, expires_at, created_at)
SELECT ?, id, customer_id, ?, ? FROM partners WHERE id = ?
RETURNING customer_id;

-- name: PartnerTokenGet
SELECT partner_id, customer_id, expires_at, created_at FROM partner_tokens
WHERE token_hash = ? AND expires_at > ?;

-- name: PartnerTokenPurgeBatch
DELETE FROM partner_tokens WHERE rowid IN (
    SELECT rowid FROM partner_tokens WHERE expires_at <= ? LIMIT ?);
