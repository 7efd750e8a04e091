package postgres_test

import (
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/postgres"
)

// openStores opens n stores on one schema: n nodes.
func openStores(t *testing.T, connURL string, n int) []*postgres.Store {
	t.Helper()
	stores := make([]*postgres.Store, n)
	for i := range stores {
		stores[i] = openStore(t, connURL)
	}
	return stores
}

// leasableEndpoint makes an endpoint with the cap. A publish leases only
// where it can lock the endpoint's queue row, which the endpoint has from
// its creation (TestPublishLeasesAtANewEndpoint).
func leasableEndpoint(t *testing.T, s *postgres.Store, cap int) *herald.Endpoint {
	t.Helper()
	return testfactory.Endpoint(t.Context(), t, s, &testfactory.EndpointOpts{MaxConcurrency: cap})
}

// TestPublishLeasesAtANewEndpoint: the first events to an endpoint just
// made go out from the publish, up to its cap, rather than waiting for a
// claim: the endpoint's queue row, which the publish's lease locks, is
// made with it.
func TestPublishLeasesAtANewEndpoint(t *testing.T) {
	t.Parallel()
	s := openStore(t, dbtest.NewPostgresSchema(t))
	ctx := t.Context()
	e := testfactory.Endpoint(ctx, t, s, &testfactory.EndpointOpts{MaxConcurrency: 2})
	var evs []*herald.Event
	for range 3 {
		evs = append(evs, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID}))
	}
	now := time.Now().UTC()
	_, got, err := s.EventPublishLeased(ctx, evs, &herald.PublishLease{Owner: "node", Now: now,
		LeaseUntil: now.Add(time.Minute), Take: func(*herald.Delivery) bool { return true }})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 {
		t.Fatalf("the first publish to a new endpoint with a cap of 2 leased %d of 3 deliveries, want 2", len(got))
	}
}

// TestPublishLeasesKeepTheCapAcrossNodes: several nodes publish to one
// endpoint with a cap of 3, each leasing what it may at publish, while
// each also claims; nothing is recorded, so every lease stays. At the end
// the endpoint holds exactly 3 unexpired leases, however the publishes and
// claims interleaved, and each delivery is leased at most once.
func TestPublishLeasesKeepTheCapAcrossNodes(t *testing.T) {
	t.Parallel()
	connURL := dbtest.NewPostgresSchema(t)
	const (
		nodes  = 4
		cap    = 3
		rounds = 8
	)
	stores := openStores(t, connURL, nodes)
	ctx := t.Context()
	e := leasableEndpoint(t, stores[0], cap)

	var (
		mu      sync.Mutex
		leased  = map[string]int{}
		handed  int
		wg      sync.WaitGroup
		errs    = make(chan error, nodes)
		publish = func(s *postgres.Store, owner string) error {
			var batch []*herald.Event
			for range 3 {
				batch = append(batch, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID}))
			}
			now := time.Now().UTC()
			_, got, err := s.EventPublishLeased(ctx, batch, &herald.PublishLease{Owner: owner, Now: now,
				LeaseUntil: now.Add(time.Minute), Take: func(*herald.Delivery) bool { return true }})
			mu.Lock()
			defer mu.Unlock()
			for _, c := range got {
				leased[c.ID]++
				handed++
			}
			return err
		}
	)
	for i, s := range stores {
		owner := "node-" + string(rune('a'+i))
		wg.Go(func() {
			for range rounds {
				if err := publish(s, owner); err != nil {
					errs <- err
					return
				}
				now := time.Now().UTC()
				cs, err := s.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 4, LeaseUntil: now.Add(time.Minute), Owner: owner})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				for _, c := range cs {
					leased[c.ID]++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for id, n := range leased {
		if n > 1 {
			t.Errorf("delivery %s leased %d times", id, n)
		}
	}
	if len(leased) != cap {
		t.Errorf("%d deliveries leased (%d at publish), want the cap, %d", len(leased), handed, cap)
	}
	if handed == 0 {
		t.Log("no publish leased: the claims took every slot first (allowed, but the test then proves less)")
	}
}

// TestPublishLeasesRaceForTheLastSlots: nodes that publish to one endpoint
// at the same moment, each wanting every slot, lease no more than its cap
// between them. Each round starts them together on a fresh endpoint, where
// nobody holds a lease yet: the moment a publish that counted leases
// before another's committed would take slots twice.
func TestPublishLeasesRaceForTheLastSlots(t *testing.T) {
	t.Parallel()
	connURL := dbtest.NewPostgresSchema(t)
	const (
		nodes  = 4
		cap    = 2
		rounds = 15
	)
	stores := openStores(t, connURL, nodes)
	ctx := t.Context()
	for round := range rounds {
		e := leasableEndpoint(t, stores[0], cap)

		var (
			wg     sync.WaitGroup
			mu     sync.Mutex
			leased int
			start  = make(chan struct{})
			errs   = make(chan error, nodes)
		)
		for i, s := range stores {
			batch := []*herald.Event{
				testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID}),
				testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID}),
			}
			wg.Go(func() {
				<-start
				now := time.Now().UTC()
				_, got, err := s.EventPublishLeased(ctx, batch, &herald.PublishLease{Owner: "node-" + string(rune('a'+i)), Now: now,
					LeaseUntil: now.Add(time.Minute), Take: func(*herald.Delivery) bool { return true }})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				leased += len(got)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		if leased > cap {
			t.Fatalf("round %d: the publishes leased %d deliveries of an endpoint whose cap is %d", round, leased, cap)
		}
	}
}

// TestRecordsWakeOnlyEndpointsWithWorkLeft: recording a leased delivery
// wakes its endpoint (a wake-up row for the claims' fold) only if a
// pending delivery no lease holds is left there for a claim.
func TestRecordsWakeOnlyEndpointsWithWorkLeft(t *testing.T) {
	t.Parallel()
	s := openStore(t, dbtest.NewPostgresSchema(t))
	ctx := t.Context()
	record := func(c *herald.ClaimedDelivery) {
		t.Helper()
		if err := s.DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{{Lease: c.Lease, State: herald.DeliveryStateDelivered,
			Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: time.Now().UTC(), StatusCode: 200}}}); err != nil {
			t.Fatal(err)
		}
	}
	publish := func(e *herald.Endpoint, n int, take bool) []*herald.ClaimedDelivery {
		t.Helper()
		var evs []*herald.Event
		for range n {
			evs = append(evs, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID}))
		}
		now := time.Now().UTC()
		_, got, err := s.EventPublishLeased(ctx, evs, &herald.PublishLease{Owner: "node", Now: now,
			LeaseUntil: now.Add(time.Minute), Take: func(*herald.Delivery) bool { return take }})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	wakeups := func(e *herald.Endpoint) int {
		t.Helper()
		n, err := postgres.Wakeups(ctx, s, e.ID)
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Nothing else waits: the record wakes nobody.
	idle := leasableEndpoint(t, s, 2)
	leased := publish(idle, 1, true)
	if len(leased) != 1 {
		t.Fatalf("leased %d at publish, want 1", len(leased))
	}
	before := wakeups(idle)
	record(leased[0])
	if got := wakeups(idle); got != before {
		t.Errorf("a record at an endpoint with nothing waiting added %d wake-ups", got-before)
	}

	// A delivery waits unleased (its publish took none): the record that
	// frees a slot wakes the endpoint.
	busy := leasableEndpoint(t, s, 2)
	leased = publish(busy, 1, true)
	publish(busy, 1, false)
	before = wakeups(busy)
	record(leased[0])
	if got := wakeups(busy); got != before+1 {
		t.Errorf("a record at an endpoint with a delivery waiting added %d wake-ups, want 1", got-before)
	}
}

// TestPublishSeesEndpointEditsOfAnotherNode: a node keeps its customers'
// endpoints between publish batches, and an endpoint another node adds,
// disables or deletes applies to its next batch all the same (the
// insert's check of endpoints_version, migration 019).
func TestPublishSeesEndpointEditsOfAnotherNode(t *testing.T) {
	t.Parallel()
	stores := openStores(t, dbtest.NewPostgresSchema(t), 2)
	publisher, editor := stores[0], stores[1]
	ctx := t.Context()
	first := testfactory.Endpoint(ctx, t, editor, nil)
	wantDeliveries := func(step string, want int) {
		t.Helper()
		res := testfactory.Event(ctx, t, publisher, &testfactory.EventOpts{CustomerID: first.CustomerID})
		if len(res.Deliveries) != want {
			t.Fatalf("%s: %d deliveries, want %d", step, len(res.Deliveries), want)
		}
	}
	wantDeliveries("one endpoint", 1)
	wantDeliveries("one endpoint, from the cache", 1)
	second := testfactory.Endpoint(ctx, t, editor, &testfactory.EndpointOpts{CustomerID: first.CustomerID})
	wantDeliveries("an endpoint added on the other node", 2)
	if err := editor.EndpointDisable(ctx, second.ID, "", time.Now()); err != nil {
		t.Fatal(err)
	}
	wantDeliveries("an endpoint disabled on the other node", 1)
	if err := editor.EndpointDelete(ctx, first.CustomerID, first.ID); err != nil {
		t.Fatal(err)
	}
	wantDeliveries("an endpoint deleted on the other node", 0)
}
