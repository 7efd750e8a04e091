package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

const partnerColumns = `id, customer_id, name, client_id, secret_hash, secret_hint, created_at`

func scanPartner(r rowScanner) (*herald.Partner, error) {
	p := &herald.Partner{}
	var created int64
	if err := r.Scan(&p.ID, &p.CustomerID, &p.Name, &p.ClientID, &p.SecretHash, &p.SecretHint, &created); err != nil {
		return nil, err
	}
	p.CreatedAt = fromMillis(created)
	return p, nil
}

// PartnerCreate implements herald.PlatformStore.
func (s *Store) PartnerCreate(ctx context.Context, p *herald.Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := fromMillis(s.now().UnixMilli())
	if p.ID == "" {
		p.ID = herald.NewID(herald.IDPrefixPartner, now)
	}
	_, err := s.write.ExecContext(ctx, `INSERT INTO partners (`+partnerColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		p.ID, p.CustomerID, p.Name, p.ClientID, p.SecretHash, p.SecretHint, toMillis(now))
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
	p, err := scanPartner(s.read.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners
		WHERE customer_id = ? AND id = ?`, customerID, id))
	if err != nil {
		return nil, wrapOp("get partner", notFound(err, "partner", id))
	}
	return p, nil
}

// PartnerGetByClientID implements herald.PlatformStore.
func (s *Store) PartnerGetByClientID(ctx context.Context, clientID string) (*herald.Partner, error) {
	p, err := scanPartner(s.read.QueryRowContext(ctx, `SELECT `+partnerColumns+` FROM partners
		WHERE client_id = ?`, clientID))
	if err != nil {
		return nil, wrapOp("get partner", notFound(err, "client id", clientID))
	}
	return p, nil
}

// PartnerList implements herald.PlatformStore.
func (s *Store) PartnerList(ctx context.Context, customerID string) ([]*herald.Partner, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+partnerColumns+` FROM partners
		WHERE customer_id = ? ORDER BY created_at, rowid`, customerID)
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
	res, err := s.write.ExecContext(ctx, `DELETE FROM partners WHERE customer_id = ? AND id = ?`, customerID, id)
	if err != nil {
		return fmt.Errorf("delete partner: %w", err)
	}
	return notFoundIfNone(res, "partner", id)
}

// PartnerTokenCreate implements herald.PlatformStore.
func (s *Store) PartnerTokenCreate(ctx context.Context, t *herald.PartnerToken) error {
	now := fromMillis(s.now().UnixMilli())
	// The customer is copied from the partner, so a token can never name
	// a customer its partner does not belong to.
	var customerID string
	err := s.write.QueryRowContext(ctx, `INSERT INTO partner_tokens (token_hash, partner_id, customer_id, expires_at, created_at)
		SELECT ?, id, customer_id, ?, ? FROM partners WHERE id = ?
		RETURNING customer_id`,
		t.TokenHash, toMillis(t.ExpiresAt), toMillis(now), t.PartnerID).Scan(&customerID)
	if err != nil {
		return wrapOp("create partner token", notFound(err, "partner", t.PartnerID))
	}
	t.CustomerID, t.CreatedAt = customerID, now
	return nil
}

// PartnerTokenGet implements herald.PlatformStore.
func (s *Store) PartnerTokenGet(ctx context.Context, tokenHash []byte, now time.Time) (*herald.PartnerToken, error) {
	t := &herald.PartnerToken{TokenHash: tokenHash}
	var expires, created int64
	err := s.read.QueryRowContext(ctx, `SELECT partner_id, customer_id, expires_at, created_at FROM partner_tokens
		WHERE token_hash = ? AND expires_at > ?`, tokenHash, toMillis(now)).
		Scan(&t.PartnerID, &t.CustomerID, &expires, &created)
	if err != nil {
		return nil, wrapOp("get partner token", notFoundAs(err, herald.PartnerTokenNotFound()))
	}
	t.ExpiresAt, t.CreatedAt = fromMillis(expires), fromMillis(created)
	return t, nil
}

// partnerTokenPurgeBatch is how many tokens one purge transaction deletes:
// SQLite has one writer, so each transaction stays short.
const partnerTokenPurgeBatch = 1000

// PartnerTokenPurge implements herald.PartnerTokenPurger.
func (s *Store) PartnerTokenPurge(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		res, err := s.write.ExecContext(ctx, `DELETE FROM partner_tokens WHERE rowid IN (
			SELECT rowid FROM partner_tokens WHERE expires_at <= ? LIMIT ?)`, toMillis(now), partnerTokenPurgeBatch)
		if err != nil {
			return total, wrapOp("purge partner tokens", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return total, wrapOp("purge partner tokens", err)
		}
		total += int(n)
		if n < partnerTokenPurgeBatch {
			return total, nil
		}
	}
}
