package storetest

import (
	"context"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// claimIDs claims the listed deliveries at now, leased for lease.
func claimIDs(ctx context.Context, t *testing.T, store herald.Store, now time.Time, ids ...string) []*herald.ClaimedDelivery {
	t.Helper()
	cs, err := store.DeliveryClaimIDs(ctx, ids, &herald.DeliveryClaimParams{
		Now: now, LeaseUntil: now.Add(lease), Owner: "node-interactive",
	})
	requireNoError(t, "claim deliveries by id", err)
	return cs
}

// claimedInOrder is the ids of cs in the order returned, unlike claimedIDs.
func claimedInOrder(cs []*herald.ClaimedDelivery) []string {
	out := []string{}
	for _, c := range cs {
		out = append(out, c.ID)
	}
	return out
}

// exerciseDeliveryClaimIDs checks DeliveryClaimIDs, the claim of
// interactive delivery: it takes the listed deliveries that no live lease
// holds, due or not, past their endpoint's cap, and what it takes is leased
// like anything DeliveryClaimDue returns.
func exerciseDeliveryClaimIDs(t *testing.T, setup setupFunc) {
	t.Run("PendingNotYetDue", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		later := base.Add(time.Hour)
		ds := publishAt(ctx, t, store, e, later, later)

		now := base
		cs := claimIDs(ctx, t, store, now, ds[0].ID, ds[1].ID)
		if got, want := claimedInOrder(cs), []string{ds[0].ID, ds[1].ID}; !slices.Equal(got, want) {
			t.Fatalf("claimed %v, want %v though not due until %v", got, want, later)
		}
		for i, c := range cs {
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
			// Everything else is the delivery as stored, which shows
			// the lease end as its due time.
			d := getDelivery(ctx, t, store, c.ID)
			d.AttemptLog = nil
			requireNoDiff(t, "claimed delivery", &c.Delivery, d)
			want := *ds[i]
			want.NextAttemptAt, want.AttemptLog = now.Add(lease), nil
			requireNoDiff(t, "claimed delivery against the published one", &c.Delivery, &want)
		}
	})

	t.Run("SkipsFinalLeasedAndUnknown", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishN(ctx, t, store, e, 4, base) // due in this order
		now := base.Add(time.Second)

		final := claimIDs(ctx, t, store, now, ds[0].ID)
		record(ctx, t, store, &herald.AttemptRecord{
			Lease:   final[0].Lease,
			Attempt: &herald.Attempt{DeliveryID: ds[0].ID, Number: 1, At: now, StatusCode: 400},
			State:   herald.DeliveryStateRejected,
		})
		byID := claimIDs(ctx, t, store, now, ds[1].ID)
		byDue := claim(ctx, t, store, now, 1) // the oldest of the other two
		requireIDs(t, "claim due", claimedIDs(byDue), []string{ds[2].ID})

		unknown := herald.NewID(herald.IDPrefixDelivery, now)
		cs := claimIDs(ctx, t, store, now.Add(time.Second), ds[0].ID, unknown, ds[1].ID, ds[2].ID, ds[3].ID, "")
		if got, want := claimedInOrder(cs), []string{ds[3].ID}; !slices.Equal(got, want) {
			t.Fatalf("claimed %v, want only %v: the others are final, leased or unknown", got, want)
		}
		// The leases it passed over are untouched.
		for _, c := range []*herald.ClaimedDelivery{byID[0], byDue[0]} {
			if d := getDelivery(ctx, t, store, c.ID); !d.NextAttemptAt.Equal(c.LeaseUntil) {
				t.Fatalf("leased delivery %s due %v after a claim by id, want its lease end %v", c.ID, d.NextAttemptAt, c.LeaseUntil)
			}
		}
		if d := getDelivery(ctx, t, store, ds[0].ID); d.State != herald.DeliveryStateRejected {
			t.Fatalf("final delivery is %s after a claim by id, want rejected", d.State)
		}
		if cs := claimIDs(ctx, t, store, now); len(cs) != 0 {
			t.Fatalf("claimed %d deliveries for no ids", len(cs))
		}
	})

	t.Run("TakesOverExpiredLease", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base)
		first := claim(ctx, t, store, base, 10)
		requireIDs(t, "claim due", claimedIDs(first), deliveryIDs(ds))

		for _, at := range []time.Duration{0, time.Second, lease - time.Millisecond} {
			if cs := claimIDs(ctx, t, store, base.Add(at), ds[0].ID); len(cs) != 0 {
				t.Fatalf("claimed by id a delivery %v into its lease", at)
			}
		}
		now := base.Add(lease)
		second := claimIDs(ctx, t, store, now, ds[0].ID)
		if len(second) != 1 || second[0].Lease.Token == first[0].Lease.Token {
			t.Fatalf("claim by id after expiry: %d deliveries, want 1 with a new lease token", len(second))
		}
		// The old holder lost it: its record logs the attempt and
		// changes nothing else.
		record(ctx, t, store, &herald.AttemptRecord{
			Lease:   first[0].Lease,
			Attempt: &herald.Attempt{DeliveryID: ds[0].ID, Number: 1, At: now, StatusCode: 200},
			State:   herald.DeliveryStateDelivered,
		})
		d := getDelivery(ctx, t, store, ds[0].ID)
		if d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(second[0].LeaseUntil) {
			t.Fatalf("after the expired lease's record: %s due %v, want pending due %v", d.State, d.NextAttemptAt, second[0].LeaseUntil)
		}
	})

	t.Run("IgnoresCap", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 1})
		ds := publishN(ctx, t, store, e, 4, base)
		now := base.Add(time.Second)
		requireIDs(t, "claim due", claimedIDs(claim(ctx, t, store, now, 10)), deliveryIDs(ds[:1]))
		if cs := claim(ctx, t, store, now, 10); len(cs) != 0 {
			t.Fatalf("claimed %d deliveries of an endpoint at its cap", len(cs))
		}

		// A person is waiting: the cap, for background traffic, does
		// not apply.
		cs := claimIDs(ctx, t, store, now, ds[1].ID, ds[2].ID)
		requireIDs(t, "claim by id at the cap", claimedIDs(cs), deliveryIDs(ds[1:3]))
		// Its leases count: the endpoint is over its cap, so a claim due
		// takes nothing more of it until they end.
		if cs := claim(ctx, t, store, now.Add(lease-time.Millisecond), 10); len(cs) != 0 {
			t.Fatalf("claim due took %d deliveries of an endpoint over its cap", len(cs))
		}
	})

	t.Run("OrderOfIDs", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: a.CustomerID})
		// Two deliveries per event, due at different times.
		ds := publishAt(ctx, t, store, a, base.Add(3*time.Second), base, base.Add(time.Second))
		if len(ds) != 6 {
			t.Fatalf("published %d deliveries, want 6", len(ds))
		}
		unknown := herald.NewID(herald.IDPrefixDelivery, base)
		ids := []string{ds[3].ID, ds[0].ID, unknown, ds[5].ID, ds[1].ID, ds[3].ID, ds[4].ID, ds[2].ID, ds[0].ID}
		cs := claimIDs(ctx, t, store, base.Add(time.Minute), ids...)
		// Each once, at its first place.
		want := []string{ds[3].ID, ds[0].ID, ds[5].ID, ds[1].ID, ds[4].ID, ds[2].ID}
		if got := claimedInOrder(cs); !slices.Equal(got, want) {
			t.Fatalf("claimed in order %v, want %v", got, want)
		}
		for _, c := range cs {
			if c.EndpointID != a.ID && c.EndpointID != b.ID {
				t.Fatalf("claimed delivery %s of endpoint %s", c.ID, c.EndpointID)
			}
		}
	})

	t.Run("ClaimDueSkipsThemUntilLeaseUntil", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base, base, base)
		byID := claimIDs(ctx, t, store, base, ds[0].ID, ds[1].ID)
		requireIDs(t, "claim by id", claimedIDs(byID), deliveryIDs(ds[:2]))

		// (Leased a second later, so that lease outlives theirs.)
		requireIDs(t, "claim due while leased by id", claimedIDs(claim(ctx, t, store, base.Add(time.Second), 10)), deliveryIDs(ds[2:]))
		if cs := claim(ctx, t, store, base.Add(lease-time.Millisecond), 10); len(cs) != 0 {
			t.Fatalf("claim due took %v, leased by id until %v", claimedIDs(cs), byID[0].LeaseUntil)
		}
		requireIDs(t, "claim due once the leases end", claimedIDs(claim(ctx, t, store, byID[0].LeaseUntil, 10)), deliveryIDs(ds[:2]))
	})

	t.Run("RecordAndReleaseWithItsLease", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base.Add(time.Hour), base.Add(time.Hour))
		now := base
		cs := claimIDs(ctx, t, store, now, ds[0].ID, ds[1].ID)
		if len(cs) != 2 {
			t.Fatalf("claimed %d deliveries, want 2", len(cs))
		}

		at := now.Add(time.Second)
		record(ctx, t, store, &herald.AttemptRecord{
			Lease:    cs[0].Lease,
			Attempt:  &herald.Attempt{DeliveryID: cs[0].ID, Number: 1, At: at, StatusCode: 303, Location: "https://partner.example/go"},
			State:    herald.DeliveryStateDelivered,
			Location: "https://partner.example/go",
		})
		d := getDelivery(ctx, t, store, cs[0].ID)
		if d.State != herald.DeliveryStateDelivered || d.Attempts != 1 || d.Location != "https://partner.example/go" || len(d.AttemptLog) != 1 {
			t.Fatalf("after record: %s, %d attempts, location %q, %d logged; want delivered, 1, the 303's, 1",
				d.State, d.Attempts, d.Location, len(d.AttemptLog))
		}

		// Released unattempted, it is due at once, for anyone.
		requireNoError(t, "release", store.DeliveryRelease(ctx, []herald.DeliveryLease{cs[1].Lease}, at))
		requireIDs(t, "claim due after release", claimedIDs(claim(ctx, t, store, at, 10)), []string{cs[1].ID})
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base)

		_, err := store.DeliveryClaimIDs(ctx, []string{ds[0].ID}, &herald.DeliveryClaimParams{Now: base, LeaseUntil: base, Owner: "node-1"})
		requireCode(t, err, herald.EINVALID)

		ids := make([]string, herald.MaxDeliveryClaimIDs+1)
		for i := range ids {
			ids[i] = herald.NewID(herald.IDPrefixDelivery, base)
		}
		ids[len(ids)-1] = ds[0].ID
		p := &herald.DeliveryClaimParams{Now: base, LeaseUntil: base.Add(lease), Owner: "node-1"}
		_, err = store.DeliveryClaimIDs(ctx, ids, p)
		requireCode(t, err, herald.EINVALID)
		if d := getDelivery(ctx, t, store, ds[0].ID); !d.NextAttemptAt.Equal(base) {
			t.Fatalf("a refused claim by id leased %s", ds[0].ID)
		}

		// The most allowed is fine.
		cs, err := store.DeliveryClaimIDs(ctx, ids[1:], p)
		requireNoError(t, "claim the most ids allowed", err)
		requireIDs(t, "claimed", claimedIDs(cs), deliveryIDs(ds))
	})

	t.Run("ConcurrentWithClaimDueNeverOverlap", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 2})
		testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: a.CustomerID})
		var ids []string
		for _, d := range publishN(ctx, t, store, a, 40, base) {
			evDs, err := store.DeliveryListForEvent(ctx, d.EventID)
			requireNoError(t, "list deliveries", err)
			for _, d := range evDs {
				ids = append(ids, d.ID)
			}
		}
		if len(ids) != 80 {
			t.Fatalf("published %d deliveries, want 80", len(ids))
		}

		// Claimers by id each ask for all of them, in their own order
		// (a store that locks rows must not deadlock on that), while
		// claimers by due order take what they can. Leases never
		// expire, so each delivery is claimed once, and every one is
		// claimed: a claim by id leaves none of its ids unleased.
		const claimers = 4
		var (
			mu      sync.Mutex
			claimed = map[string]int{}
			wg      sync.WaitGroup
			errs    = make(chan error, 2*claimers)
		)
		now := base.Add(time.Second)
		p := &herald.DeliveryClaimParams{Now: now, Limit: 5, LeaseUntil: now.Add(time.Hour), Owner: "node-1"}
		count := func(cs []*herald.ClaimedDelivery) {
			mu.Lock()
			defer mu.Unlock()
			for _, c := range cs {
				claimed[c.ID]++
			}
		}
		for g := range claimers {
			mine := slices.Clone(ids)
			rand.New(rand.NewPCG(uint64(g), 1)).Shuffle(len(mine), func(i, j int) { mine[i], mine[j] = mine[j], mine[i] })
			wg.Go(func() {
				cs, err := store.DeliveryClaimIDs(ctx, mine, p)
				if err != nil {
					errs <- err
					return
				}
				count(cs)
			})
			wg.Go(func() {
				for {
					cs, err := store.DeliveryClaimDue(ctx, p)
					if err != nil {
						errs <- err
						return
					}
					if len(cs) == 0 {
						return
					}
					count(cs)
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
		}
		if len(claimed) != len(ids) {
			t.Fatalf("claimed %d deliveries, want all %d", len(claimed), len(ids))
		}
	})
}
