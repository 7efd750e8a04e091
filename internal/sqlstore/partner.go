package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

var (
	qPartnerInsert          = query("PartnerInsert")
	qPartnerGet             = query("PartnerGet")
	qPartnerGetByClientID   = query("PartnerGetByClientID")
	qPartnerList            = query("PartnerList")
	qPartnerDelete          = query("PartnerDelete")
	qPartnerTokenInsert     = query("PartnerTokenInsert")
	qPartnerTokenGet        = query("PartnerTokenGet")
	qPartnerTokenPurgeBatch = query("PartnerTokenPurgeBatch")
)

// The partners columns every partner statement reads, in this order:
// id, customer_id, name, client_id, secret_hash, secret_hint, created_at.
func (s *Store) scanPartner(r Row) (*herald.Partner, error) {
	p := &herald.Partner{}
	err := r.Scan(&p.ID, &p.CustomerID, &p.Name, &p.ClientID, &p.SecretHash, &p.SecretHint, s.d.ScanTime(&p.CreatedAt))
	return p, err
}

// PartnerCreate implements herald.PlatformStore.
func (s *Store) PartnerCreate(ctx context.Context, p *herald.Partner) error {
	if err := p.Validate(); err != nil {
		return err
	}
	now := s.now()
	if p.ID == "" {
		p.ID = herald.NewID(herald.IDPrefixPartner, now)
	}
	_, err := s.write.Exec(ctx, s.sql(qPartnerInsert),
		p.ID, p.CustomerID, p.Name, p.ClientID, p.SecretHash, p.SecretHint, s.d.Time(now))
	switch {
	case errors.Is(err, ErrForeignKey):
		return herald.NotFound("customer", p.CustomerID)
	case errors.Is(err, storerules.ErrDuplicate):
		return herald.PartnerExists(p.ID)
	case err != nil:
		return fmt.Errorf("create partner: %w", err)
	}
	p.CreatedAt = now
	return nil
}

// PartnerGet implements herald.PlatformStore.
func (s *Store) PartnerGet(ctx context.Context, customerID, id string) (*herald.Partner, error) {
	p, err := s.scanPartner(s.read.QueryRow(ctx, s.sql(qPartnerGet), customerID, id))
	if err != nil {
		return nil, wrapOp("get partner", notFound(err, "partner", id))
	}
	return p, nil
}

// PartnerGetByClientID implements herald.PlatformStore.
func (s *Store) PartnerGetByClientID(ctx context.Context, clientID string) (*herald.Partner, error) {
	p, err := s.scanPartner(s.read.QueryRow(ctx, s.sql(qPartnerGetByClientID), clientID))
	if err != nil {
		return nil, wrapOp("get partner", notFound(err, "client id", clientID))
	}
	return p, nil
}

// PartnerList implements herald.PlatformStore.
func (s *Store) PartnerList(ctx context.Context, customerID string) ([]*herald.Partner, error) {
	rows, err := s.read.Query(ctx, s.sql(qPartnerList), customerID)
	out, err := collect(rows, err, s.scanPartner)
	return out, wrapOp("list partners", err)
}

// PartnerDelete implements herald.PlatformStore. The tokens go with it
// (ON DELETE CASCADE).
func (s *Store) PartnerDelete(ctx context.Context, customerID, id string) error {
	n, err := s.write.Exec(ctx, s.sql(qPartnerDelete), customerID, id)
	return wrapOp("delete partner", rowsChanged(n, err, "partner", id))
}

// PartnerTokenCreate implements herald.PlatformStore. The statement copies
// the customer from the partner, so a token can never name a customer its
// partner does not belong to.
func (s *Store) PartnerTokenCreate(ctx context.Context, t *herald.PartnerToken) error {
	now := s.now()
	var customerID string
	err := s.write.QueryRow(ctx, s.sql(qPartnerTokenInsert),
		t.TokenHash, s.d.Time(t.ExpiresAt), s.d.Time(now), t.PartnerID).Scan(&customerID)
	if err != nil {
		return wrapOp("create partner token", notFound(err, "partner", t.PartnerID))
	}
	t.CustomerID, t.CreatedAt = customerID, now
	return nil
}

// PartnerTokenGet implements herald.PlatformStore.
func (s *Store) PartnerTokenGet(ctx context.Context, tokenHash []byte, now time.Time) (*herald.PartnerToken, error) {
	t := &herald.PartnerToken{TokenHash: tokenHash}
	err := s.read.QueryRow(ctx, s.sql(qPartnerTokenGet), tokenHash, s.d.Time(now)).
		Scan(&t.PartnerID, &t.CustomerID, s.d.ScanTime(&t.ExpiresAt), s.d.ScanTime(&t.CreatedAt))
	if errors.Is(err, storerules.ErrNotFound) {
		return nil, herald.PartnerTokenNotFound()
	}
	if err != nil {
		return nil, wrapOp("get partner token", err)
	}
	return t, nil
}

// partnerTokenPurgeBatch is how many tokens one purge statement deletes,
// so each transaction stays short: SQLite has one writer, and PostgreSQL's
// holds a row lock for each token it deletes.
const partnerTokenPurgeBatch = 1000

// PartnerTokenPurge implements herald.PartnerTokenPurger.
func (s *Store) PartnerTokenPurge(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, err := s.write.Exec(ctx, s.sql(qPartnerTokenPurgeBatch), s.d.Time(now), partnerTokenPurgeBatch)
		if err != nil {
			return total, wrapOp("purge partner tokens", err)
		}
		total += int(n)
		if n < partnerTokenPurgeBatch {
			return total, nil
		}
	}
}
