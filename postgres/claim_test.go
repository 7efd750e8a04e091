package postgres_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/postgres"
)

// publish publishes n events for the endpoint's customer, all due at at,
// in one batch, and returns how many deliveries were made.
func publish(t *testing.T, store herald.Store, e *herald.Endpoint, n int, at time.Time) int {
	t.Helper()
	var batch []*herald.Event
	for range n {
		batch = append(batch, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: at}))
	}
	res, err := store.EventPublish(t.Context(), batch)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	total := 0
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("publish: %v", r.Err)
		}
		total += len(r.Deliveries)
	}
	return total
}

// TestClaimConcurrentNodes runs several nodes (Stores with pools of their
// own on one schema) claiming and recording as fast as they can for one
// endpoint with a cap of 3, and checks that no more than 3 unexpired leases
// ever exist at once, that no delivery is leased twice, and that all are
// delivered.
func TestClaimConcurrentNodes(t *testing.T) {
	t.Parallel()
	connURL := dbtest.NewPostgresSchema(t)
	const (
		nodes      = 6
		cap        = 3
		deliveries = 150
	)
	stores := openStores(t, connURL, nodes)
	ctx := t.Context()
	e := testfactory.Endpoint(ctx, t, stores[0], &testfactory.EndpointOpts{MaxConcurrency: cap})
	// Another endpoint, uncapped in practice, so claims also have rows
	// they may take while e is at its cap.
	testfactory.Endpoint(ctx, t, stores[0], &testfactory.EndpointOpts{CustomerID: e.CustomerID,
		MaxConcurrency: herald.MaxEndpointConcurrency})
	start := time.Now().UTC().Add(-time.Second)
	if n := publish(t, stores[0], e, deliveries, start); n != 2*deliveries {
		t.Fatalf("%d deliveries, want %d", n, 2*deliveries)
	}

	// inFlight counts e's leases as the nodes see them: up right after a
	// claim returns (the lease is committed before), down right before
	// its record is sent (the lease ends after). So it never exceeds the
	// number of unexpired leases in the database.
	var (
		inFlight, maxInFlight atomic.Int32
		mu                    sync.Mutex
		claims                = map[string]int{}
		wg                    sync.WaitGroup
		errs                  = make(chan error, nodes+1)
		done                  = make(chan struct{})
	)
	for i, store := range stores {
		wg.Go(func() {
			for {
				now := time.Now().UTC()
				cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
					Now: now, Limit: 4, LeaseUntil: now.Add(time.Minute), Owner: "node-" + string(rune('a'+i)),
				})
				if err != nil {
					errs <- err
					return
				}
				mu.Lock()
				total := len(claims)
				for _, c := range cs {
					claims[c.ID]++
				}
				total += len(cs)
				mu.Unlock()
				if len(cs) == 0 {
					if total == 2*deliveries {
						return
					}
					continue
				}
				var mine int32
				for _, c := range cs {
					if c.EndpointID == e.ID {
						mine++
					}
				}
				n := inFlight.Add(mine)
				for m := maxInFlight.Load(); n > m && !maxInFlight.CompareAndSwap(m, n); m = maxInFlight.Load() {
				}
				var recs []*herald.AttemptRecord
				for _, c := range cs {
					recs = append(recs, &herald.AttemptRecord{
						Lease:   c.Lease,
						Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: time.Now().UTC(), StatusCode: 200},
						State:   herald.DeliveryStateDelivered,
					})
				}
				inFlight.Add(-mine)
				if err := store.DeliveryRecordAttempts(ctx, recs); err != nil {
					errs <- err
					return
				}
			}
		})
	}

	// An observer counts e's unexpired leases in the database itself, in
	// one snapshot per query, while the nodes run.
	var maxLeased atomic.Int32
	obs := openStore(t, connURL)
	var owg sync.WaitGroup
	owg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			n, err := postgres.Leases(ctx, obs, e.ID)
			if err != nil {
				errs <- err
				return
			}
			if n > maxLeased.Load() {
				maxLeased.Store(n)
			}
		}
	})
	wg.Wait()
	close(done)
	owg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("node: %v", err)
	}

	if m := maxInFlight.Load(); m > cap {
		t.Errorf("nodes held %d leases of the endpoint at once, cap %d", m, cap)
	}
	if m := maxLeased.Load(); m > cap {
		t.Errorf("database showed %d unexpired leases of the endpoint at once, cap %d", m, cap)
	}
	for id, n := range claims {
		if n != 1 {
			t.Errorf("delivery %s leased %d times", id, n)
		}
	}
	if len(claims) != 2*deliveries {
		t.Errorf("%d deliveries leased, want %d", len(claims), 2*deliveries)
	}
	t.Logf("max leases at once: %d seen by nodes, %d seen in the database (cap %d)", maxInFlight.Load(), maxLeased.Load(), cap)
}

// TestClaimCapAndSaturation checks the cap within one claim and across
// claims, and that an endpoint at its cap does not hide other endpoints'
// due rows, even when its backlog is older.
func TestClaimCapAndSaturation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t)
	capped := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 2})
	// One customer per endpoint, so each publish feeds one endpoint.
	other := testfactory.Endpoint(ctx, t, store, nil) // default cap 8
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	publish(t, store, capped, 20, base)                // older backlog
	publish(t, store, other, 5, base.Add(time.Second)) // newer

	claimAt := func(now time.Time, limit int, exclude ...string) map[string]int {
		t.Helper()
		cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
			Now: now, Limit: limit, LeaseUntil: now.Add(time.Minute), Owner: "node-a", ExcludeEndpointIDs: exclude,
		})
		if err != nil {
			t.Fatalf("claim: %v", err)
		}
		per := map[string]int{}
		for _, c := range cs {
			per[c.EndpointID]++
		}
		return per
	}
	now := base.Add(time.Hour)
	// Limit 4 sees only capped's rows in its first round; the next round
	// passes over capped (at its cap) to other's.
	if got := claimAt(now, 4); got[capped.ID] != 2 || got[other.ID] != 2 {
		t.Fatalf("first claim per endpoint %v, want 2 of %s and 2 of %s", got, capped.ID, other.ID)
	}
	if got := claimAt(now, 10); got[capped.ID] != 0 || got[other.ID] != 3 {
		t.Fatalf("second claim per endpoint %v, want only the 3 left of %s", got, other.ID)
	}
	if got := claimAt(now, 10); len(got) != 0 {
		t.Fatalf("third claim %v, want nothing: both endpoints at cap or empty", got)
	}
	// Once the leases expire the capped endpoint's slots are free again.
	if got := claimAt(now.Add(time.Minute), 10); got[capped.ID] != 2 {
		t.Fatalf("claim after the leases expired %v, want 2 of %s", got, capped.ID)
	}
	// Excluding an endpoint is the caller's own cap: nothing of it is
	// taken, though its slots are free again.
	if got := claimAt(now.Add(2*time.Minute), 10, capped.ID); got[capped.ID] != 0 || got[other.ID] != 5 {
		t.Fatalf("claim excluding %s: %v, want only the 5 of %s", capped.ID, got, other.ID)
	}
}

// TestClaimDeletedEndpoint: deliveries of a deleted endpoint are still
// claimed (so the dispatcher can fail them), under the default cap.
func TestClaimDeletedEndpoint(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := newStore(t)
	e := testfactory.Endpoint(ctx, t, store, nil)
	base := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	publish(t, store, e, herald.DefaultEndpointConcurrency+2, base)
	if err := store.EndpointDelete(ctx, e.CustomerID, e.ID); err != nil {
		t.Fatalf("delete endpoint: %v", err)
	}
	now := base.Add(time.Second)
	cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
		Now: now, Limit: 100, LeaseUntil: now.Add(time.Minute), Owner: "node-a",
	})
	if err != nil {
		t.Fatalf("claim: %v", err)
	}
	if len(cs) != herald.DefaultEndpointConcurrency {
		t.Fatalf("claimed %d deliveries of a deleted endpoint, want %d (the default cap)", len(cs), herald.DefaultEndpointConcurrency)
	}
}
