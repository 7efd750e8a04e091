package storetest

import (
	"context"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// lease is how long the suite's claims lease deliveries for.
const lease = 30 * time.Second

// claim claims up to limit deliveries due at now, leased for lease.
func claim(ctx context.Context, t *testing.T, store herald.Store, now time.Time, limit int, exclude ...string) []*herald.ClaimedDelivery {
	t.Helper()
	cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
		Now: now, Limit: limit, LeaseUntil: now.Add(lease), Owner: "node-1", ExcludeEndpointIDs: exclude,
	})
	requireNoError(t, "claim due deliveries", err)
	return cs
}

// publishAt publishes one event per time in ats for the endpoint's customer
// and returns its deliveries, in order.
func publishAt(ctx context.Context, t *testing.T, store herald.Store, e *herald.Endpoint, ats ...time.Time) []*herald.Delivery {
	t.Helper()
	var out []*herald.Delivery
	for _, at := range ats {
		res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: at})
		out = append(out, res.Deliveries...)
	}
	return out
}

func claimedIDs(cs []*herald.ClaimedDelivery) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

func deliveryIDs(ds []*herald.Delivery) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.ID)
	}
	slices.Sort(out)
	return out
}

func requireIDs(t *testing.T, what string, got, want []string) {
	t.Helper()
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("%s: got %v, want %v", what, got, want)
	}
}

func exerciseDeliveryClaimDue(t *testing.T, setup setupFunc) {
	t.Run("DueOnlyWithEverythingToSend", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base, base.Add(time.Minute), base.Add(2*time.Minute))

		if cs := claim(ctx, t, store, base.Add(-time.Millisecond), 10); len(cs) != 0 {
			t.Fatalf("claimed %d deliveries before any was due", len(cs))
		}
		now := base.Add(90 * time.Second)
		cs := claim(ctx, t, store, now, 10)
		requireIDs(t, "claimed", claimedIDs(cs), deliveryIDs(ds[:2]))

		for _, c := range cs {
			ev, err := store.EventGet(ctx, c.EventID)
			requireNoError(t, "get event", err)
			if string(c.BodyGzip) != string(ev.BodyGzip) || c.LinkHeader != ev.LinkHeader {
				t.Fatalf("claimed delivery %s lacks its event's body or Link header", c.ID)
			}
			if c.Lease.DeliveryID != c.ID || c.Lease.Token == "" {
				t.Fatalf("lease = %+v, want delivery %s and a token", c.Lease, c.ID)
			}
			if !c.LeaseUntil.Equal(now.Add(lease)) || !c.NextAttemptAt.Equal(now.Add(lease)) {
				t.Fatalf("LeaseUntil %v, NextAttemptAt %v; want both %v", c.LeaseUntil, c.NextAttemptAt, now.Add(lease))
			}
			if c.State != herald.DeliveryStatePending || c.EndpointID != e.ID || c.CustomerID != e.CustomerID || c.Attempts != 0 {
				t.Fatalf("claimed delivery %+v", c.Delivery)
			}
			// The stored delivery shows the lease end as its due time.
			d, err := store.DeliveryGet(ctx, c.ID)
			requireNoError(t, "get delivery", err)
			if !d.NextAttemptAt.Equal(now.Add(lease)) {
				t.Fatalf("stored NextAttemptAt %v while leased, want %v", d.NextAttemptAt, now.Add(lease))
			}
		}
	})

	t.Run("OldestDueFirstWithLimit", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		offsets := []time.Duration{4, 1, 3, 0, 2}
		var ats []time.Time
		for _, o := range offsets {
			ats = append(ats, base.Add(o*time.Second))
		}
		ds := publishAt(ctx, t, store, e, ats...)
		// ds[i] is due at base+offsets[i]s: in due order 3, 1, 4, 2, 0.
		now := base.Add(time.Minute)
		requireIDs(t, "first claim", claimedIDs(claim(ctx, t, store, now, 2)), []string{ds[3].ID, ds[1].ID})
		requireIDs(t, "second claim", claimedIDs(claim(ctx, t, store, now, 2)), []string{ds[4].ID, ds[2].ID})
		requireIDs(t, "third claim", claimedIDs(claim(ctx, t, store, now, 2)), []string{ds[0].ID})
		requireIDs(t, "fourth claim", claimedIDs(claim(ctx, t, store, now, 2)), []string{})
	})

	t.Run("ExcludeEndpointIDs", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: a.CustomerID})
		c := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: a.CustomerID})
		ds := publishAt(ctx, t, store, a, base, base.Add(time.Second))
		var forC []string
		for _, d := range ds {
			if d.EndpointID == c.ID {
				forC = append(forC, d.ID)
			}
		}
		cs := claim(ctx, t, store, base.Add(time.Minute), 100, a.ID, b.ID)
		requireIDs(t, "claimed", claimedIDs(cs), forC)
	})

	t.Run("FinalNotClaimable", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		publishAt(ctx, t, store, e, base, base)
		now := base.Add(time.Second)
		cs := claim(ctx, t, store, now, 10)
		var recs []*herald.AttemptRecord
		for i, c := range cs {
			recs = append(recs, &herald.AttemptRecord{
				Lease:   c.Lease,
				Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: now, StatusCode: []int{200, 400}[i]},
				State:   []herald.DeliveryState{herald.DeliveryStateDelivered, herald.DeliveryStateRejected}[i],
			})
		}
		requireNoError(t, "record", store.DeliveryRecordAttempts(ctx, recs))
		if cs := claim(ctx, t, store, now.Add(24*time.Hour), 10); len(cs) != 0 {
			t.Fatalf("claimed %d final deliveries", len(cs))
		}
	})

	t.Run("LeaseExpiry", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base)
		first := claim(ctx, t, store, base, 10)
		requireIDs(t, "first claim", claimedIDs(first), deliveryIDs(ds))

		// Not claimable while the lease runs, however often anyone asks.
		for _, at := range []time.Duration{0, time.Second, lease - time.Millisecond} {
			if cs := claim(ctx, t, store, base.Add(at), 10); len(cs) != 0 {
				t.Fatalf("claimed a leased delivery %v into its lease", at)
			}
		}
		// Due again once it has run out, with a new token.
		second := claim(ctx, t, store, base.Add(lease), 10)
		requireIDs(t, "claim after expiry", claimedIDs(second), deliveryIDs(ds))
		if second[0].Lease.Token == first[0].Lease.Token {
			t.Fatalf("a new claim reused the lease token %q", first[0].Lease.Token)
		}
	})

	t.Run("ConcurrentClaimsNeverOverlap", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		// Endpoints with caps from 1 to the most allowed, so claimers
		// meet both endpoints at their cap and endpoints with room.
		caps := []int{1, 3, 0, herald.MaxEndpointConcurrency}
		var eps []*herald.Endpoint
		for _, c := range caps {
			var cust string
			if len(eps) > 0 {
				cust = eps[0].CustomerID
			}
			eps = append(eps, testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust, MaxConcurrency: c}))
		}
		const events = 120 // one delivery per endpoint each
		var batch []*herald.Event
		for i := range events {
			batch = append(batch, testfactory.NewEvent(t, &testfactory.EventOpts{
				CustomerID: eps[0].CustomerID, CreatedAt: base.Add(time.Duration(i%17) * time.Millisecond),
			}))
		}
		res, err := store.EventPublish(ctx, batch)
		requireNoError(t, "publish", err)
		want := map[string]bool{}
		for _, r := range res {
			for _, d := range r.Deliveries {
				want[d.ID] = true
			}
		}
		if len(want) != len(caps)*events {
			t.Fatalf("%d deliveries, want %d", len(want), len(caps)*events)
		}

		// Claimers claim, then record what they claimed, until every
		// delivery is claimed. Leases never expire (now stays put), so
		// only records free an endpoint's slots. inFlight counts each
		// endpoint's leases as the claimers see them: up after a claim
		// returns, down before its record is sent, so never above the
		// unexpired leases in the store, which the cap bounds.
		const claimers = 8
		var (
			mu          sync.Mutex
			claimed     = map[string]int{}
			inFlight    = map[string]int{}
			maxInFlight = map[string]int{}
			wg          sync.WaitGroup
			errs        = make(chan error, claimers)
		)
		now := base.Add(time.Second)
		for g := range claimers {
			wg.Go(func() {
				for {
					cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
						Now: now, Limit: 7, LeaseUntil: now.Add(time.Hour), Owner: "node-" + string(rune('a'+g)),
					})
					if err != nil {
						errs <- err
						return
					}
					mu.Lock()
					for _, c := range cs {
						claimed[c.ID]++
						inFlight[c.EndpointID]++
						maxInFlight[c.EndpointID] = max(maxInFlight[c.EndpointID], inFlight[c.EndpointID])
					}
					all := len(claimed) >= len(want)
					mu.Unlock()
					if len(cs) == 0 {
						if all {
							return
						}
						// Every endpoint is at its cap or empty:
						// other claimers hold the rest and will
						// record them.
						runtime.Gosched()
						continue
					}
					var recs []*herald.AttemptRecord
					for _, c := range cs {
						recs = append(recs, &herald.AttemptRecord{
							Lease:   c.Lease,
							Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: now, StatusCode: 200},
							State:   herald.DeliveryStateDelivered,
						})
					}
					mu.Lock()
					for _, c := range cs {
						inFlight[c.EndpointID]--
					}
					mu.Unlock()
					if err := store.DeliveryRecordAttempts(ctx, recs); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("concurrent claim: %v", err)
		}
		for id, n := range claimed {
			if n != 1 {
				t.Fatalf("delivery %s claimed %d times", id, n)
			}
			if !want[id] {
				t.Fatalf("claimed unknown delivery %s", id)
			}
		}
		if len(claimed) != len(want) {
			t.Fatalf("claimed %d deliveries, want all %d", len(claimed), len(want))
		}
		for _, e := range eps {
			if m := maxInFlight[e.ID]; m > e.Concurrency() {
				t.Errorf("endpoint %s had %d leases at once, cap %d", e.ID, m, e.Concurrency())
			}
		}
	})

	exerciseDeliveryClaimDueCap(t, setup)
}
