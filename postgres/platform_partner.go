package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

const partnerColumns = `id, customer_id, name, client_id, secret_hash, secret_hint, created_at`

func scanPartner(r pgx.Row) (*herald.Partner, error) {
	p := &herald.Partner{}
	var created time.Time
	if err := r.Scan(&p.ID, &p.CustomerID, &p.Name, &p.ClientID, &p.SecretHash, &p.SecretHint, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = created.UTC()
	return p, nil
}

// PartnerCreate implements herald.PlatformStore.
func (s *Store) PartnerCreate(ctx context.Context, p *herald.Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := s.nowUTC()
	if p.ID == "" {
		p.ID = herald.NewID(herald.IDPrefixPartner, now)
	}
	_, err := s.pool.Exec(ctx, `INSERT INTO partners (`+partnerColumns+`) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		p.ID, p.CustomerID, p.Name, p.ClientID, p.SecretHash, p.SecretHint, now)
	switch {
	case isForeignKeyViolation(err):
		return herald.NotFound("customer", p.CustomerID)
	case isUniqueViolation(err):
		return herald.PartnerExists(p.ID)
	case err != nil:
		return fmt.Errorf("create partner: %w", err)
	}
	p.CreatedAt = now
	return nil
}

// PartnerGet implements herald.PlatformStore.
func (s *Store) PartnerGet(ctx context.Context, customerID, id string) (*herald.Partner, error) {
	p, err := scanPartner(s.pool.QueryRow(ctx, `SELECT `+partnerColumns+` FROM partners
		WHERE customer_id = $1 AND id = $2`, customerID, id))
	if err != nil {
		return nil, wrapOp("get partner", notFound(err, "partner", id))
	}
	return p, nil
}

// PartnerGetByClientID implements herald.PlatformStore.
func (s *Store) PartnerGetByClientID(ctx context.Context, clientID string) (*herald.Partner, error) {
	p, err := scanPartner(s.pool.QueryRow(ctx, `SELECT `+partnerColumns+` FROM partners
		WHERE client_id = $1`, clientID))
	if err != nil {
		return nil, wrapOp("get partner", notFound(err, "client id", clientID))
	}
	return p, nil
}

// PartnerList implements herald.PlatformStore.
func (s *Store) PartnerList(ctx context.Context, customerID string) ([]*herald.Partner, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+partnerColumns+` FROM partners
		WHERE customer_id = $1 ORDER BY created_at, id`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	defer rows.Close()
	out := []*herald.Partner{}
	for rows.Next() {
		p, err := scanPartner(rows)
		if err != nil {
			return nil, fmt.Errorf("list partners: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list partners: %w", err)
	}
	return out, nil
}

// PartnerDelete implements herald.PlatformStore. The tokens go with it
// (ON DELETE CASCADE).
func (s *Store) PartnerDelete(ctx context.Context, customerID, id string) error {
	res, err := s.pool.Exec(ctx, `DELETE FROM partners WHERE customer_id = $1 AND id = $2`, customerID, id)
	if err != nil {
		return fmt.Errorf("delete partner: %w", err)
	}
	if res.RowsAffected() == 0 {
		return herald.NotFound("partner", id)
	}
	return nil
}

// PartnerTokenCreate implements herald.PlatformStore.
func (s *Store) PartnerTokenCreate(ctx context.Context, t *herald.PartnerToken) error {
	now := s.nowUTC()
	// The customer is copied from the partner, so a token can never name
	// a customer its partner does not belong to.
	var customerID string
	err := s.pool.QueryRow(ctx, `INSERT INTO partner_tokens (token_hash, partner_id, customer_id, expires_at, created_at)
		SELECT $1, id, customer_id, $2, $3 FROM partners WHERE id = $4
		RETURNING customer_id`,
		t.TokenHash, t.ExpiresAt, now, t.PartnerID).Scan(&customerID)
	if err != nil {
		return wrapOp("create partner token", notFound(err, "partner", t.PartnerID))
	}
	t.CustomerID, t.CreatedAt = customerID, now
	return nil
}

// PartnerTokenGet implements herald.PlatformStore.
func (s *Store) PartnerTokenGet(ctx context.Context, tokenHash []byte, now time.Time) (*herald.PartnerToken, error) {
	t := &herald.PartnerToken{TokenHash: tokenHash}
	var expires, created time.Time
	err := s.pool.QueryRow(ctx, `SELECT partner_id, customer_id, expires_at, created_at FROM partner_tokens
		WHERE token_hash = $1 AND expires_at > $2`, tokenHash, now).
		Scan(&t.PartnerID, &t.CustomerID, &expires, &created)
	if err != nil {
		return nil, wrapOp("get partner token", notFoundAs(err, herald.PartnerTokenNotFound()))
	}
	t.ExpiresAt, t.CreatedAt = expires.UTC(), created.UTC()
	return t, nil
}

// partnerTokenPurgeBatch is how many tokens one purge transaction deletes,
// so no transaction holds many row locks for long.
const partnerTokenPurgeBatch = 1000

// PartnerTokenPurge implements herald.PartnerTokenPurger.
func (s *Store) PartnerTokenPurge(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		// SKIP LOCKED: nodes purging at once take different rows.
		tag, err := s.pool.Exec(ctx, `DELETE FROM partner_tokens WHERE token_hash IN (
			SELECT token_hash FROM partner_tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`,
			now, partnerTokenPurgeBatch)
		if err != nil {
			return total, wrapOp("purge partner tokens", err)
		}
		n := int(tag.RowsAffected())
		total += n
		if n < partnerTokenPurgeBatch {
			return total, nil
		}
	}
}
