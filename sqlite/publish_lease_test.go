package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
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

// A publish that runs again in its shared transaction (a later write of its
// group failed, hotWriter.undo) hands out what its last run leased, each
// delivery once, and Take is asked once.
func TestPublishLeasedThatRunsAgainHandsOutItsLastRun(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	ctx := t.Context()
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
