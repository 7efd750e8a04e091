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

// DeliveryClaimIDs implements herald.Store: one UPDATE by primary key, then
// the event bodies, in one write transaction. It neither walks the due order
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

	var cs map[string]*herald.ClaimedDelivery
	err := s.hotWrites.run(ctx, func(ctx context.Context, tx *sql.Tx) error {
		rows, err := s.txQuery(ctx, tx, claimIDsSQL, toMillis(leaseUntil), p.Owner, token, jsonArray(ids), toMillis(p.Now))
		if err != nil {
			return err
		}
		ds, err := scanDeliveries(rows)
		if err != nil {
			return err
		}
		if len(ds) == 0 {
			return nil
		}

		cs = make(map[string]*herald.ClaimedDelivery, len(ds))
		byEvent := map[string][]*herald.ClaimedDelivery{}
		var eventIDs []string
		for _, d := range ds {
			c := &herald.ClaimedDelivery{
				Delivery:   *d,
				Lease:      herald.DeliveryLease{DeliveryID: d.ID, Token: token},
				LeaseUntil: leaseUntil,
			}
			cs[d.ID] = c
			if _, ok := byEvent[d.EventID]; !ok {
				eventIDs = append(eventIDs, d.EventID)
			}
			byEvent[d.EventID] = append(byEvent[d.EventID], c)
		}
		// The event bodies, once per event (deliveries of one event share it).
		rows, err = s.txQuery(ctx, tx, claimBodiesSQL, jsonArray(eventIDs))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, linkHeader, traceContext string
			var bodyGzip []byte
			if err := rows.Scan(&id, &bodyGzip, &linkHeader, &traceContext); err != nil {
				return err
			}
			for _, c := range byEvent[id] {
				c.BodyGzip, c.LinkHeader, c.TraceContext = bodyGzip, linkHeader, traceContext
			}
		}
		if err := rows.Err(); err != nil {
			return err
		}
		if err := rows.Close(); err != nil {
			return err
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries by id: %w", err)
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
