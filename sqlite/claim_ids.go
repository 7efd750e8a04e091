package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/heraldhq/herald"
)

// claimIDsSQL leases the deliveries in the JSON array ?4 that are pending
// and not under an unexpired lease (no token, or a lease that ended by ?5,
// now), by primary key. Like DeliveryClaimDue it moves next_attempt_at to
// the lease's end, so a claim due passes over them until then. A delivery
// waiting for an earlier one of its subject is left out (order.go).
const claimIDsSQL = `UPDATE deliveries
	SET next_attempt_at = ?1, lease_owner = ?2, lease_token = ?3
	WHERE id IN (SELECT value FROM json_each(?4))
		AND state = 'pending' AND (lease_token = '' OR next_attempt_at <= ?5)
		AND waiting_for = ''
	RETURNING ` + deliveryColumns

// DeliveryClaimIDs implements herald.Store: one UPDATE by primary key, a
// write of a shared hot transaction (hottx.go), then the event bodies from
// the read pool once it has committed (claimedDeliveries). It neither walks the due order
// nor counts leases against the cap, which is the point: it runs on the
// single writer connection like any claim, so it cannot take a delivery
// that a claim due is taking, and the leases it makes count toward the cap
// for the claims after it.
func (s *Store) DeliveryClaimIDs(ctx context.Context, ids []string, p *herald.DeliveryClaimParams) ([]*herald.ClaimedDelivery, error) {
	if err := herald.ValidateClaimIDs(ids, p.Now, p.LeaseUntil); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []*herald.ClaimedDelivery{}, nil
	}
	token := newLeaseToken()
	leaseUntil := fromMillis(p.LeaseUntil.UnixMilli())

	var claimed []*herald.Delivery
	err := s.hotWrites.run(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := s.txQuery(ctx, tx, claimIDsSQL, toMillis(leaseUntil), p.Owner, token, jsonArray(ids), toMillis(p.Now))
		if err != nil {
			return err
		}
		claimed, err = scanDeliveries(rows)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries by id: %w", err)
	}
	out, err := s.claimedDeliveries(ctx, claimed, token, leaseUntil)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries by id: %w", err)
	}
	cs := make(map[string]*herald.ClaimedDelivery, len(out))
	for _, c := range out {
		cs[c.ID] = c
	}
	return inIDOrder(ids, cs), nil
}

// inIDOrder returns the claimed deliveries in the order of ids, each once,
// at the first place its id is listed: RETURNING gives rows in no set order.
func inIDOrder(ids []string, cs map[string]*herald.ClaimedDelivery) []*herald.ClaimedDelivery {
	out := make([]*herald.ClaimedDelivery, 0, len(cs))
	for _, id := range ids {
		if c, ok := cs[id]; ok {
			out = append(out, c)
			delete(cs, id)
		}
	}
	return out
}
