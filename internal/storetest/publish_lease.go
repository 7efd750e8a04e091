package storetest

import (
	"bytes"
	"context"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// exercisePublishLeased checks herald.PublishLeaser, for the stores that
// implement it: a publish leases what its lease takes, up to each
// endpoint's cap, counting the leases claims hold, and leaves the rest for
// claims.
func exercisePublishLeased(t *testing.T, setup setupFunc) {
	leaser := func(t *testing.T) (context.Context, herald.Store, herald.PublishLeaser) {
		t.Helper()
		ctx, store := setup(t)
		l, ok := store.(herald.PublishLeaser)
		if !ok {
			t.Skip("the store does not lease at publish")
		}
		return ctx, store, l
	}
	// warm publishes an event to the customer's endpoints and claims and
	// records its deliveries, as a running node would have: afterwards
	// every endpoint has had a delivery pending, and holds no lease.
	warm := func(ctx context.Context, t *testing.T, store herald.Store, customerID string, types ...wire.EventType) {
		t.Helper()
		for _, typ := range types {
			testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: customerID, Type: typ, CreatedAt: base})
		}
		var records []*herald.AttemptRecord
		for _, c := range claim(ctx, t, store, base, 100) {
			records = append(records, &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateDelivered,
				Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: base, StatusCode: 200}})
		}
		requireNoError(t, "record the warm-up", store.DeliveryRecordAttempts(ctx, records))
	}

	t.Run("UpToTheCap", func(t *testing.T) {
		t.Parallel()
		ctx, store, l := leaser(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		capped := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID, MaxConcurrency: 2})
		roomy := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID, MaxConcurrency: 10})
		warm(ctx, t, store, cust.ID, wire.EventTypeAssessment)
		// One lease of the capped endpoint, held by a claim.
		publishN(ctx, t, store, capped, 1, base.Add(time.Second))
		held := claim(ctx, t, store, base.Add(time.Second), 10)
		if got := perEndpoint(held); got[capped.ID] != 1 || got[roomy.ID] != 1 {
			t.Fatalf("claimed %v, want one delivery of each endpoint", got)
		}
		var records []*herald.AttemptRecord
		for _, c := range held {
			if c.EndpointID == roomy.ID {
				records = append(records, &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateDelivered,
					Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: base, StatusCode: 200}})
			}
		}
		requireNoError(t, "record", store.DeliveryRecordAttempts(ctx, records))

		now := base.Add(3 * time.Second)
		events := make([]*herald.Event, 3)
		for i := range events {
			events[i] = testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, CreatedAt: base.Add(2 * time.Second)})
		}
		lease := &herald.PublishLease{Owner: "node-a", Now: now, LeaseUntil: now.Add(lease),
			Take: func(*herald.Delivery) bool { return true }}
		results, claimed, err := l.EventPublishLeased(ctx, events, lease)
		requireNoError(t, "publish", err)
		// The capped endpoint had one slot left; the roomy one takes all
		// three.
		if got := perEndpoint(claimed); got[capped.ID] != 1 || got[roomy.ID] != 3 || len(got) != 2 {
			t.Fatalf("leased %v by endpoint, want 1 of %s and 3 of %s", got, capped.ID, roomy.ID)
		}
		leased := map[string]bool{}
		for _, c := range claimed {
			leased[c.ID] = true
			i := slices.IndexFunc(events, func(e *herald.Event) bool { return e.ID == c.EventID })
			if i < 0 || !bytes.Equal(c.BodyGzip, events[i].BodyGzip) || c.LinkHeader != events[i].LinkHeader {
				t.Errorf("claimed %s does not carry its event's body and link", c.ID)
			}
			if !c.LeaseUntil.Equal(lease.LeaseUntil) || !c.NextAttemptAt.Equal(lease.LeaseUntil) ||
				c.Lease.DeliveryID != c.ID || c.Lease.Token == "" {
				t.Errorf("claimed %s: lease %+v until %v, next attempt %v; want until %v",
					c.ID, c.Lease, c.LeaseUntil, c.NextAttemptAt, lease.LeaseUntil)
			}
		}
		for _, r := range results {
			for _, d := range r.Deliveries {
				stored, err := store.DeliveryGet(ctx, d.ID)
				requireNoError(t, "get", err)
				if !stored.NextAttemptAt.Equal(d.NextAttemptAt) || leased[d.ID] != d.NextAttemptAt.Equal(lease.LeaseUntil) {
					t.Errorf("delivery %s: leased %v, result due %v, stored due %v",
						d.ID, leased[d.ID], d.NextAttemptAt, stored.NextAttemptAt)
				}
			}
		}
		// The caps count the publish's leases: the capped endpoint is
		// full, so its two pending deliveries wait for a slot.
		if cs := claim(ctx, t, store, now, 10); len(cs) != 0 {
			t.Fatalf("a claim took %d deliveries, want none: the capped endpoint is full", len(cs))
		}
		// A publish's lease is a lease like a claim's: released, its slot
		// goes to a claim.
		var release []herald.DeliveryLease
		for _, c := range claimed {
			if c.EndpointID == capped.ID {
				release = append(release, c.Lease)
			}
		}
		requireNoError(t, "release", store.DeliveryRelease(ctx, release, now))
		if got := perEndpoint(claim(ctx, t, store, now, 10)); got[capped.ID] != 1 || len(got) != 1 {
			t.Fatalf("after the release a claim took %v, want one delivery of %s", got, capped.ID)
		}
	})

	// A node that dies leaves its publish's leases unrecorded: once they
	// run out, a claim (any node's) takes the deliveries again, as it
	// takes those of an expired claim; a store may look for expired
	// leases only every few seconds (PostgreSQL: every 5), so the claim
	// here comes 10 s after. Claims before the end take nothing.
	t.Run("ExpiredLeasesAreClaimedAgain", func(t *testing.T) {
		t.Parallel()
		ctx, store, l := leaser(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		ep := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID})
		warm(ctx, t, store, cust.ID, wire.EventTypeAssessment)
		// Past the warm-up's lease, a claim finds the endpoint idle: no
		// trace of the warm-up can bring a later claim to it.
		now := base.Add(lease + 2*time.Second)
		if cs := claim(ctx, t, store, now, 10); len(cs) != 0 {
			t.Fatalf("a claim after the warm-up took %d deliveries", len(cs))
		}
		events := []*herald.Event{
			testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, CreatedAt: now}),
			testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, CreatedAt: now}),
		}
		pl := &herald.PublishLease{Owner: "node-dead", Now: now, LeaseUntil: now.Add(lease),
			Take: func(*herald.Delivery) bool { return true }}
		_, leased, err := l.EventPublishLeased(ctx, events, pl)
		requireNoError(t, "publish", err)
		if len(leased) != 2 {
			t.Fatalf("the publish leased %d deliveries, want 2", len(leased))
		}
		for _, at := range []time.Duration{time.Second, 10 * time.Second, lease - time.Second} {
			if cs := claim(ctx, t, store, now.Add(at), 10); len(cs) != 0 {
				t.Fatalf("a claim %v into the lease took %d deliveries, want none", at, len(cs))
			}
		}
		again := claim(ctx, t, store, now.Add(lease+10*time.Second), 10)
		requireIDs(t, "claimed once the lease ran out", claimedIDs(again), claimedIDs(leased))
		for _, c := range again {
			if c.EndpointID != ep.ID || c.Lease.Token == leased[0].Lease.Token {
				t.Fatalf("claimed %s of %s with token %q: want a new lease of %s", c.ID, c.EndpointID, c.Lease.Token, ep.ID)
			}
		}
	})

	// What a publish does not lease: what Take refuses, an interactive
	// event's deliveries (not even offered: DeliverNow takes them), a
	// delivery due later, and one that waits for an earlier delivery of
	// its subject.
	t.Run("LeavesTheRestForClaims", func(t *testing.T) {
		t.Parallel()
		ctx, store, l := leaser(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		ordered := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID, Ordered: true,
			EventTypes: []wire.EventType{wire.EventTypeAssessment}})
		plain := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID,
			EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange}})
		warm(ctx, t, store, cust.ID, wire.EventTypeAssessment, wire.EventTypeWorkFlowStatusChange)

		at := base.Add(2 * time.Second)
		now := at.Add(time.Second)
		first := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, SystemID: "42", CreatedAt: at})
		second := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, SystemID: "42", CreatedAt: at})
		refused := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, Type: wire.EventTypeWorkFlowStatusChange, CreatedAt: at})
		interactive := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, Type: wire.EventTypeWorkFlowStatusChange, CreatedAt: at})
		interactive.Interactive = true
		later := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, Type: wire.EventTypeWorkFlowStatusChange, CreatedAt: now.Add(time.Hour)})

		var offered []string
		lease := &herald.PublishLease{Owner: "node-a", Now: now, LeaseUntil: now.Add(lease),
			Take: func(d *herald.Delivery) bool {
				offered = append(offered, d.EventID)
				return d.EventID != refused.ID
			}}
		results, claimed, err := l.EventPublishLeased(ctx, []*herald.Event{first, second, refused, interactive, later}, lease)
		requireNoError(t, "publish", err)
		if want := []string{first.ID, second.ID, refused.ID}; !slices.Equal(offered, want) {
			t.Errorf("offered the deliveries of %v, want those of %v (not the interactive event's, nor the later one's)", offered, want)
		}
		if len(claimed) != 1 || claimed[0].EventID != first.ID || claimed[0].EndpointID != ordered.ID {
			t.Fatalf("leased %d deliveries, want only the first event's, to %s", len(claimed), ordered.ID)
		}
		// The rest are pending and not leased.
		for _, r := range results[1:] {
			if r.Err != nil || len(r.Deliveries) != 1 {
				t.Fatalf("event %v: %d deliveries, want 1", r.Err, len(r.Deliveries))
			}
			d := r.Deliveries[0]
			if d.State != herald.DeliveryStatePending || d.NextAttemptAt.Equal(lease.LeaseUntil) {
				t.Errorf("event %s: delivery %s due %v, want pending and not leased", d.EventID, d.State, d.NextAttemptAt)
			}
		}
		// DeliverNow takes the interactive event's.
		cs := claimIDs(ctx, t, store, now, results[3].Deliveries[0].ID)
		if len(cs) != 1 || cs[0].EndpointID != plain.ID {
			t.Fatalf("the interactive delivery: claimed %d by id, want it", len(cs))
		}
	})
}
