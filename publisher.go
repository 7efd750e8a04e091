package herald

import (
	"context"
	"time"
)

// Publisher commits one event with its deliveries and returns once they are
// durable. Implementations batch concurrent calls into one transaction and
// tell the dispatcher that work is due. A refused event (unknown customer)
// comes back as the result's Err, not as the error, which is for failures
// of the publisher itself.
type Publisher interface {
	Publish(ctx context.Context, e *Event) (*EventPublishResult, error)
}

// PublishLeaser is a Store that can lease the deliveries a publish makes to
// the node that publishes them, in the publish's own transaction, so that
// the node attempts them at once, without claiming them: a claim is a
// write of its own for every delivery, and waits for the next claim round.
// A store implements it where a lease taken at insert can respect each
// endpoint's cap as DeliveryClaimDue does: SQLite, whose single writer
// orders every lease, and PostgreSQL, under the lock of the endpoint's
// queue row that claims take. The dispatch package uses it when the store
// does.
type PublishLeaser interface {
	// EventPublishLeased is EventPublish, except that a pending delivery
	// lease.Take takes is stored leased to lease.Owner until
	// lease.LeaseUntil, as DeliveryClaimDue would have leased it, if its
	// endpoint is below its cap (counting unexpired leases, and the ones
	// this publish makes) and it does not wait for an earlier delivery of
	// its subject. Those it leased come back as claimed, with their
	// events' bodies, in publish order; in the results their
	// NextAttemptAt is the lease's end, as stored. A taken delivery that
	// is not leased is stored pending as EventPublish stores it, for a
	// claim to find; a store may also leave one to claims where it cannot
	// lease it without waiting (another node holds its endpoint). Events marked Interactive are never offered to Take:
	// their deliveries are left for DeliverNow to lease.
	EventPublishLeased(ctx context.Context, events []*Event, lease *PublishLease) ([]*EventPublishResult, []*ClaimedDelivery, error)
}

// PublishLease is the lease EventPublishLeased offers the deliveries it
// makes.
type PublishLease struct {
	// Owner names the node, as DeliveryClaimParams.Owner does.
	Owner string
	// Now is the time leases are counted at: one is unexpired while its
	// end is after Now.
	Now time.Time
	// LeaseUntil is when the leases end, as DeliveryClaimParams.LeaseUntil.
	LeaseUntil time.Time
	// Take is asked once for each pending delivery due at once, in
	// publish order, before anything is written, whether the node takes
	// it; true reserves its room in the node. It must be quick: it runs
	// on the publish path.
	Take func(d *Delivery) bool
}

// Validate checks an EventPublishLeased call's lease: Take is set, and the
// lease ends after Now.
func (l *PublishLease) Validate() error {
	if l == nil || l.Take == nil {
		return Errorf(EINVALID, "a lease with Take is required")
	}
	return ValidateLease(l.Now, l.LeaseUntil)
}

// Offer asks Take about each delivery a store may lease at publish, once,
// in publish order, and returns those it took: the pending deliveries of
// the stored results, due at Now, of events that are not Interactive.
// Stores call it before they write.
func (l *PublishLease) Offer(results []*EventPublishResult) map[*Delivery]bool {
	var taken map[*Delivery]bool
	for _, r := range results {
		if r.Err != nil || r.Event.Interactive {
			continue
		}
		for _, d := range r.Deliveries {
			if d.State != DeliveryStatePending || d.NextAttemptAt.After(l.Now) || !l.Take(d) {
				continue
			}
			if taken == nil {
				taken = map[*Delivery]bool{}
			}
			taken[d] = true
		}
	}
	return taken
}
