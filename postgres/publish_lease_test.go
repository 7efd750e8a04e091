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
	stores := make([]*postgres.Store, nodes)
	for i := range stores {
		stores[i] = openStore(t, connURL)
	}
	ctx := t.Context()
	e := testfactory.Endpoint(ctx, t, stores[0], &testfactory.EndpointOpts{MaxConcurrency: cap})
	// The endpoint's queue row exists once a delivery has been pending and
	// claimed; publishes lease only where it does.
	warm := testfactory.Event(ctx, t, stores[0], &testfactory.EventOpts{CustomerID: e.CustomerID})
	now := time.Now().UTC()
	cs, err := stores[0].DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 1, LeaseUntil: now.Add(time.Minute), Owner: "warm"})
	if err != nil || len(cs) != 1 {
		t.Fatalf("warm-up claim: %d (%v)", len(cs), err)
	}
	if err := stores[0].DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{{Lease: cs[0].Lease, State: herald.DeliveryStateDelivered,
		Attempt: &herald.Attempt{DeliveryID: warm.Deliveries[0].ID, Number: 1, At: now, StatusCode: 200}}}); err != nil {
		t.Fatal(err)
	}

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
