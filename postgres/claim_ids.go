package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

// claimIDsSQL leases the deliveries with the ids $1 that are pending and
// not under an unexpired lease (no token, or a lease that ended by $2, now),
// and returns each with its event's body and Link header.
//
// locked takes the row locks first, in id order, and waits for them: FOR
// UPDATE without SKIP LOCKED. A row another transaction holds is most
// likely being leased by a claim due, and once that commits READ COMMITTED
// re-checks the WHERE on the new row version and leaves it out, as it
// must. But a claim due also locks rows it then passes over (those beyond
// its endpoint's free slots, the very ones a claim by id exists for), and
// skipping those would leave out deliveries that nobody leased. Waiting
// costs at most one short claim transaction. Claims due never wait on row
// locks (SKIP LOCKED), and claims by id lock in one order, so neither can
// deadlock with this.
//
// A delivery waiting for an earlier one of its subject is left out
// (order.go).
//
// Then the UPDATE leases what was locked, moving next_attempt_at to the
// lease's end so claims due pass over it until then, and the outer SELECT
// joins the bodies. The deliveries of one interactive event share its body,
// so it comes back once per delivery; they are few (one per endpoint of a
// customer), which is cheaper than a second round trip. deliveries.event_id
// references events, so the join loses no row.
//
// No endpoint lock (compare claimRound): a claim by id ignores the cap. A
// claim due that counted an endpoint's leases just before this commits
// leases what it would have leased had it run first; its rows and these
// are disjoint, by the row locks.
var claimIDsSQL = `WITH locked AS (
		SELECT id FROM deliveries
		WHERE id = ANY($1) AND state = 'pending' AND (lease_token IS NULL OR next_attempt_at <= $2)
			AND waiting_for = ''
		ORDER BY id
		FOR UPDATE
	),
	claimed AS (
		UPDATE deliveries d
		SET next_attempt_at = $3, lease_owner = $4, lease_token = $5
		FROM locked
		WHERE d.id = locked.id
		RETURNING ` + deliveryColumns + `
	)
	SELECT ` + deliveryColumns + `, e.body_gzip, e.link_header, e.trace_context
	FROM claimed d JOIN events e ON e.id = d.event_id`

// DeliveryClaimIDs implements herald.Store in one statement, so one
// transaction and one round trip (see claimIDsSQL).
func (s *Store) DeliveryClaimIDs(ctx context.Context, ids []string, p *herald.DeliveryClaimParams) ([]*herald.ClaimedDelivery, error) {
	if err := herald.ValidateClaimIDs(ids, p.Now, p.LeaseUntil); err != nil {
		return nil, err
	}
	if len(ids) == 0 {
		return []*herald.ClaimedDelivery{}, nil
	}
	now, leaseUntil := dbTime(p.Now), dbTime(p.LeaseUntil)
	token := newLeaseToken()

	rows, err := s.pool.Query(ctx, claimIDsSQL, ids, now, leaseUntil, p.Owner, token)
	if err != nil {
		return nil, fmt.Errorf("claim deliveries by id: %w", err)
	}
	claimed, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.ClaimedDelivery, error) {
		c := &herald.ClaimedDelivery{LeaseUntil: leaseUntil}
		d, err := scanDelivery(trailingColumns{r, []any{&c.BodyGzip, &c.LinkHeader, &c.TraceContext}})
		if err != nil {
			return nil, err
		}
		c.Delivery = *d
		c.Lease = herald.DeliveryLease{DeliveryID: d.ID, Token: token}
		return c, nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim deliveries by id: %w", err)
	}

	// Rows come in no set order; hand them out in the order of ids, each
	// once, at the first place its id is listed.
	byID := make(map[string]*herald.ClaimedDelivery, len(claimed))
	for _, c := range claimed {
		byID[c.ID] = c
	}
	out := make([]*herald.ClaimedDelivery, 0, len(claimed))
	for _, id := range ids {
		if c, ok := byID[id]; ok {
			out = append(out, c)
			delete(byID, id)
		}
	}
	return out, nil
}

// trailingColumns scans more columns after the ones a scan function asks
// for.
type trailingColumns struct {
	pgx.Row
	dest []any
}

func (r trailingColumns) Scan(dest ...any) error { return r.Row.Scan(append(dest, r.dest...)...) }
