package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// takeAll is a lease that takes every delivery it is offered and notes
// them, as a dispatcher with room does.
func takeAll(now time.Time, offered *[]*herald.Delivery) *herald.PublishLease {
	return &herald.PublishLease{Owner: "node-a", Now: now, LeaseUntil: now.Add(time.Minute),
		Take: func(d *herald.Delivery) bool {
			if offered != nil {
				*offered = append(*offered, d)
			}
			return true
		}}
}

// A publish leases the deliveries its lease takes up to each endpoint's
// cap, counting the leases claims hold, and stores the rest pending for a
// claim; what it leased comes back claimed, with the event's body, and a
// claim counts those leases toward the cap.
func TestPublishLeasedLeasesUpToTheCap(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	ctx := t.Context()
	cust := testfactory.Customer(ctx, t, s, nil)
	capped := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID, MaxConcurrency: 2})
	roomy := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID, MaxConcurrency: 10})

	// One lease of the capped endpoint, held by a claim.
	testfactory.Event(ctx, t, s, &testfactory.EventOpts{CustomerID: cust.ID})
	now := time.Now().UTC()
	held, err := s.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 10, LeaseUntil: now.Add(time.Minute), Owner: "node-a"})
	if err != nil || len(held) != 2 {
		t.Fatalf("claimed %d (%v), want the first event's 2 deliveries", len(held), err)
	}

	events := make([]*herald.Event, 3)
	for i := range events {
		events[i] = testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID})
	}
	now = time.Now().UTC()
	lease := takeAll(now, nil)
	results, claimed, err := s.EventPublishLeased(ctx, events, lease)
	if err != nil {
		t.Fatal(err)
	}
	perEndpoint := map[string]int{}
	leasedIDs := map[string]bool{}
	until := lease.LeaseUntil.Truncate(time.Millisecond)
	for _, c := range claimed {
		perEndpoint[c.EndpointID]++
		leasedIDs[c.ID] = true
		ev := events[0]
		for _, e := range events {
			if e.ID == c.EventID {
				ev = e
			}
		}
		if !bytes.Equal(c.BodyGzip, ev.BodyGzip) || c.LinkHeader != ev.LinkHeader || c.EventID != ev.ID {
			t.Errorf("claimed %s carries another event's body or link", c.ID)
		}
		if !c.LeaseUntil.Equal(until) || !c.NextAttemptAt.Equal(until) || c.Lease.DeliveryID != c.ID || c.Lease.Token == "" {
			t.Errorf("claimed %s: lease %+v until %v, next attempt %v; want until %v", c.ID, c.Lease, c.LeaseUntil, c.NextAttemptAt, until)
		}
	}
	// The capped endpoint had one slot left; the roomy one takes all three.
	if perEndpoint[capped.ID] != 1 || perEndpoint[roomy.ID] != 3 {
		t.Fatalf("leased %v by endpoint, want 1 of %s and 3 of %s", perEndpoint, capped.ID, roomy.ID)
	}
	for _, r := range results {
		for _, d := range r.Deliveries {
			stored, err := s.DeliveryGet(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if !stored.NextAttemptAt.Equal(d.NextAttemptAt) {
				t.Errorf("result %s: next attempt %v, stored %v", d.ID, d.NextAttemptAt, stored.NextAttemptAt)
			}
			if leasedIDs[d.ID] != stored.NextAttemptAt.Equal(until) {
				t.Errorf("delivery %s: leased %v but due %v", d.ID, leasedIDs[d.ID], stored.NextAttemptAt)
			}
		}
	}

	// Both endpoints' caps count the publish's leases: the capped one is
	// full, so its two pending deliveries wait.
	again, err := s.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 10, LeaseUntil: now.Add(time.Minute), Owner: "node-a"})
	if err != nil || len(again) != 0 {
		t.Fatalf("a claim took %d (%v), want none: the capped endpoint is full", len(again), err)
	}
	// A publish lease is a lease like a claim's: releasing it makes the
	// delivery due, and then the claim takes it.
	var release []herald.DeliveryLease
	for _, c := range claimed {
		if c.EndpointID == capped.ID {
			release = append(release, c.Lease)
		}
	}
	if err := s.DeliveryRelease(ctx, release, now); err != nil {
		t.Fatal(err)
	}
	again, err = s.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 10, LeaseUntil: now.Add(time.Minute), Owner: "node-a"})
	if err != nil || len(again) != 1 || again[0].EndpointID != capped.ID {
		t.Fatalf("after the release a claim took %d (%v), want the capped endpoint's one free slot", len(again), err)
	}
}

// What a publish does not lease: what Take refuses, an interactive event's
// deliveries (not even offered: DeliverNow takes them), a delivery due
// later, and one that waits for an earlier delivery of its subject.
func TestPublishLeasedLeavesTheRestForClaims(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	ctx := t.Context()
	cust := testfactory.Customer(ctx, t, s, nil)
	ordered := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID, Ordered: true,
		EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	plain := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID,
		EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange}})

	now := time.Now().UTC().Truncate(time.Millisecond)
	// Two events of one subject for the ordered endpoint: the second
	// waits for the first.
	first := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, SystemID: "42", CreatedAt: now})
	second := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, SystemID: "42", CreatedAt: now})
	refused := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, Type: wire.EventTypeWorkFlowStatusChange, CreatedAt: now})
	interactive := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, Type: wire.EventTypeWorkFlowStatusChange, CreatedAt: now})
	interactive.Interactive = true
	later := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID, Type: wire.EventTypeWorkFlowStatusChange, CreatedAt: now.Add(time.Hour)})

	var offered []string
	lease := &herald.PublishLease{Owner: "node-a", Now: now, LeaseUntil: now.Add(time.Minute),
		Take: func(d *herald.Delivery) bool {
			offered = append(offered, d.EventID)
			return d.EventID != refused.ID
		}}
	_, claimed, err := s.EventPublishLeased(ctx, []*herald.Event{first, second, refused, interactive, later}, lease)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{first.ID, second.ID, refused.ID}; len(offered) != len(want) || offered[0] != want[0] || offered[1] != want[1] || offered[2] != want[2] {
		t.Errorf("offered the deliveries of %v, want those of %v (not the interactive event's, nor the later one's)", offered, want)
	}
	if len(claimed) != 1 || claimed[0].EventID != first.ID || claimed[0].EndpointID != ordered.ID {
		t.Fatalf("leased %d deliveries, want only the first event's to %s", len(claimed), ordered.ID)
	}
	// The rest are pending and unleased: the ones due now go to a claim,
	// in the order of their subject for the ordered endpoint.
	for _, ev := range []*herald.Event{second, refused, interactive, later} {
		ds, err := s.DeliveryListForEvent(ctx, ev.ID)
		if err != nil || len(ds) != 1 {
			t.Fatalf("event %s: %d deliveries (%v), want 1", ev.ID, len(ds), err)
		}
		if d := ds[0]; d.State != herald.DeliveryStatePending || d.NextAttemptAt.Equal(lease.LeaseUntil.Truncate(time.Millisecond)) {
			t.Errorf("event %s: delivery %s %s due %v, want pending and not leased", ev.ID, d.ID, d.State, d.NextAttemptAt)
		}
	}
	claimable, err := s.DeliveryClaimIDs(ctx, []string{mustOnlyDelivery(t, s, interactive.ID)}, &herald.DeliveryClaimParams{
		Now: now, LeaseUntil: now.Add(time.Minute), Owner: "node-b"})
	if err != nil || len(claimable) != 1 || claimable[0].EndpointID != plain.ID {
		t.Fatalf("DeliverNow's claim of the interactive delivery took %d (%v), want it", len(claimable), err)
	}
}

func mustOnlyDelivery(t *testing.T, s *Store, eventID string) string {
	t.Helper()
	ds, err := s.DeliveryListForEvent(t.Context(), eventID)
	if err != nil || len(ds) != 1 {
		t.Fatalf("event %s: %d deliveries (%v), want 1", eventID, len(ds), err)
	}
	return ds[0].ID
}

// A publish that runs again in its shared transaction (a later write of its
// group failed, hotWriter.undo) hands out what its last run leased, each
// delivery once, and Take is asked once.
func TestPublishLeasedThatRunsAgainHandsOutItsLastRun(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	ctx := t.Context()
	w := s.hotWrites
	w.maxAge = time.Hour
	cust := testfactory.Customer(ctx, t, s, nil)
	testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID})
	testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{CustomerID: cust.ID})

	release := make(chan struct{})
	first := startHeldWrite(t, w, 1, release)
	var offered []*herald.Delivery
	type published struct {
		claimed []*herald.ClaimedDelivery
		err     error
	}
	pub := make(chan published, 1)
	go func() {
		events := []*herald.Event{testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID}),
			testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: cust.ID})}
		_, claimed, err := s.EventPublishLeased(ctx, events, takeAll(time.Now().UTC(), &offered))
		pub <- published{claimed, err}
	}()
	waitForWaiting(t, w, 1)
	failing := errors.New("refused")
	third := make(chan error, 1)
	go func() { third <- w.run(ctx, func(context.Context, *sql.Tx) error { return failing }) }()
	waitForWaiting(t, w, 2)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if err := <-third; !errors.Is(err, failing) {
		t.Fatalf("the failing write: %v", err)
	}
	p := <-pub
	if p.err != nil {
		t.Fatal(p.err)
	}
	if len(offered) != 4 {
		t.Errorf("Take was asked %d times, want once per delivery (4)", len(offered))
	}
	var leased int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM deliveries WHERE lease_token = ?`, p.claimed[0].Lease.Token).Scan(&leased); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range p.claimed {
		if seen[c.ID] {
			t.Errorf("delivery %s handed out twice", c.ID)
		}
		seen[c.ID] = true
	}
	if len(p.claimed) != 4 || leased != 4 {
		t.Fatalf("handed out %d, %d leased in the store; want 4 and 4", len(p.claimed), leased)
	}
}
