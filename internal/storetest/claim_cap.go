package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// publishN publishes n events in one batch for the endpoint's customer, the
// i-th due at at+i ms, and returns the endpoint's deliveries, oldest first.
func publishN(ctx context.Context, t *testing.T, store herald.Store, e *herald.Endpoint, n int, at time.Time) []*herald.Delivery {
	t.Helper()
	var batch []*herald.Event
	for i := range n {
		batch = append(batch, testfactory.NewEvent(t, &testfactory.EventOpts{
			CustomerID: e.CustomerID, CreatedAt: at.Add(time.Duration(i) * time.Millisecond),
		}))
	}
	res, err := store.EventPublish(ctx, batch)
	requireNoError(t, "publish", err)
	var out []*herald.Delivery
	for _, r := range res {
		if r.Err != nil {
			t.Fatalf("publish: %v", r.Err)
		}
		for _, d := range r.Deliveries {
			if d.EndpointID == e.ID {
				out = append(out, d)
			}
		}
	}
	return out
}

// perEndpoint counts claimed deliveries by endpoint.
func perEndpoint(cs []*herald.ClaimedDelivery) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		out[c.EndpointID]++
	}
	return out
}

// exerciseDeliveryClaimDueCap checks the per-endpoint concurrency cap of
// DeliveryClaimDue: no claim leaves an endpoint with more unexpired leases
// than its Concurrency(), and an endpoint at its cap does not keep others'
// due deliveries from being claimed.
func exerciseDeliveryClaimDueCap(t *testing.T, setup setupFunc) {
	t.Run("CapWithinOneClaim", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 3})
		ds := publishN(ctx, t, store, e, 10, base)
		// The cap, not the limit, bounds the claim; and it takes the
		// endpoint's oldest.
		cs := claim(ctx, t, store, base.Add(time.Second), 100)
		requireIDs(t, "claimed", claimedIDs(cs), deliveryIDs(ds[:3]))
		for i, c := range cs {
			if c.ID != ds[i].ID {
				t.Fatalf("claimed[%d] = %s, want %s: a claim hands out oldest due first", i, c.ID, ds[i].ID)
			}
		}
	})

	t.Run("CapAcrossClaims", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 3})
		ds := publishN(ctx, t, store, e, 10, base)
		now := base.Add(time.Second)
		first := claim(ctx, t, store, now, 2)
		requireIDs(t, "first claim", claimedIDs(first), deliveryIDs(ds[:2]))
		// One slot left, whatever the limit.
		second := claim(ctx, t, store, now, 5)
		requireIDs(t, "second claim", claimedIDs(second), deliveryIDs(ds[2:3]))
		if cs := claim(ctx, t, store, now.Add(lease/2), 5); len(cs) != 0 {
			t.Fatalf("claimed %d deliveries of an endpoint at its cap", len(cs))
		}

		// A record frees a slot, and so does a release.
		requireNoError(t, "record", store.DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{{
			Lease:   first[0].Lease,
			Attempt: &herald.Attempt{DeliveryID: first[0].ID, Number: 1, At: now, StatusCode: 200},
			State:   herald.DeliveryStateDelivered,
		}}))
		requireIDs(t, "claim after a record", claimedIDs(claim(ctx, t, store, now, 5)), deliveryIDs(ds[3:4]))
		requireNoError(t, "release", store.DeliveryRelease(ctx, []herald.DeliveryLease{first[1].Lease}, now))
		// The released delivery is due again at now, after the five
		// never claimed, so the slot goes to the oldest of those.
		requireIDs(t, "claim after a release", claimedIDs(claim(ctx, t, store, now, 5)), deliveryIDs(ds[4:5]))
		if cs := claim(ctx, t, store, now, 5); len(cs) != 0 {
			t.Fatalf("claimed %d deliveries of an endpoint at its cap", len(cs))
		}
	})

	t.Run("LeaseExpiryFreesSlots", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 2})
		ds := publishN(ctx, t, store, e, 5, base)
		now := base.Add(time.Second)
		requireIDs(t, "first claim", claimedIDs(claim(ctx, t, store, now, 10)), deliveryIDs(ds[:2]))
		if cs := claim(ctx, t, store, now.Add(lease-time.Millisecond), 10); len(cs) != 0 {
			t.Fatalf("claimed %d deliveries while the cap's leases ran", len(cs))
		}
		// Expired leases hold no slot. Their deliveries are due again at
		// the lease's end, after the three never claimed.
		requireIDs(t, "claim after expiry", claimedIDs(claim(ctx, t, store, now.Add(lease), 10)), deliveryIDs(ds[2:4]))
	})

	t.Run("CappedBacklogDoesNotHideOthers", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		// One customer per endpoint, so each publish feeds one endpoint.
		capped := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 2})
		other := testfactory.Endpoint(ctx, t, store, nil)                   // default cap 8
		publishN(ctx, t, store, capped, 40, base)                           // an older backlog, ten times the limit
		otherDs := publishN(ctx, t, store, other, 5, base.Add(time.Minute)) // newer

		now := base.Add(time.Hour)
		// The 4 oldest due rows are capped's; it may take 2, and the
		// claim fills up from other.
		if got := perEndpoint(claim(ctx, t, store, now, 4)); got[capped.ID] != 2 || got[other.ID] != 2 {
			t.Fatalf("first claim per endpoint %v, want 2 of %s and 2 of %s", got, capped.ID, other.ID)
		}
		// capped is at its cap: its backlog, still at the head, does not
		// hide other's last 3.
		cs := claim(ctx, t, store, now, 10)
		requireIDs(t, "second claim", claimedIDs(cs), deliveryIDs(otherDs[2:]))
		if cs := claim(ctx, t, store, now, 10); len(cs) != 0 {
			t.Fatalf("third claim took %v, want nothing: both endpoints at their cap or empty", perEndpoint(cs))
		}
		// Once the leases expire capped's slots are free again.
		if got := perEndpoint(claim(ctx, t, store, now.Add(lease), 10)); got[capped.ID] != 2 {
			t.Fatalf("claim after the leases expired %v, want 2 of %s", got, capped.ID)
		}
		// Excluding an endpoint is the caller's own cap: nothing of it
		// is taken, though its slots are free again.
		got := perEndpoint(claim(ctx, t, store, now.Add(2*lease), 10, capped.ID))
		if got[capped.ID] != 0 || got[other.ID] != 5 {
			t.Fatalf("claim excluding %s: %v, want only the 5 of %s", capped.ID, got, other.ID)
		}
	})

	t.Run("MaxConcurrencyPerEndpoint", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		var eps []*herald.Endpoint
		for _, c := range []int{1, 5, 0, herald.MaxEndpointConcurrency} {
			eps = append(eps, testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID, MaxConcurrency: c}))
		}
		publishN(ctx, t, store, eps[0], herald.MaxEndpointConcurrency+6, base)
		now := base.Add(time.Second)
		got := perEndpoint(claim(ctx, t, store, now, 500))
		for _, e := range eps {
			if got[e.ID] != e.Concurrency() {
				t.Errorf("claimed %d of endpoint %s, want its cap %d", got[e.ID], e.ID, e.Concurrency())
			}
		}
		if got[eps[2].ID] != herald.DefaultEndpointConcurrency {
			t.Errorf("MaxConcurrency 0 gave a cap of %d, want the default %d", got[eps[2].ID], herald.DefaultEndpointConcurrency)
		}
		// The cap is read at each claim: raising it frees slots at once.
		upd := *eps[0]
		upd.MaxConcurrency = 4
		requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, &upd))
		got = perEndpoint(claim(ctx, t, store, now, 500))
		if len(got) != 1 || got[upd.ID] != 3 {
			t.Fatalf("claim after raising %s's cap to 4: %v, want 3 of it", upd.ID, got)
		}
	})

	t.Run("DeletedEndpointDefaultCap", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{MaxConcurrency: 2})
		publishN(ctx, t, store, e, herald.DefaultEndpointConcurrency+2, base)
		requireNoError(t, "delete endpoint", store.EndpointDelete(ctx, e.CustomerID, e.ID))
		// Its deliveries are still claimed, so the dispatcher can fail
		// them, at the default cap (its own went with it).
		cs := claim(ctx, t, store, base.Add(time.Second), 100)
		if len(cs) != herald.DefaultEndpointConcurrency {
			t.Fatalf("claimed %d deliveries of a deleted endpoint, want %d (the default cap)", len(cs), herald.DefaultEndpointConcurrency)
		}
	})
}
