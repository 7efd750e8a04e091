package storetest

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

func exerciseDispatchConfig(t *testing.T, setup setupFunc) {
	configStore := func(t *testing.T, store herald.Store) herald.DispatchConfigStore {
		t.Helper()
		cs, ok := store.(herald.DispatchConfigStore)
		if !ok {
			t.Skip("the store does not implement herald.DispatchConfigStore")
		}
		return cs
	}

	// The dispatcher trusts what it read for as long as the version has
	// not moved, so every change to what it reads must move it, and the
	// delivery path must not, or nothing would stay cached.
	t.Run("VersionMovesWithEveryChange", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cs := configStore(t, store)
		ps := policyStore(t, store)
		last, err := cs.ConfigVersion(ctx)
		requireNoError(t, "read config version", err)
		step := func(what string, moves bool, change func()) {
			t.Helper()
			change()
			v, err := cs.ConfigVersion(ctx)
			requireNoError(t, "read config version", err)
			if (v != last) != moves {
				t.Fatalf("%s: version %d after %d; want it to move: %v", what, v, last, moves)
			}
			last = v
		}
		var cust *herald.Customer
		var e *herald.Endpoint
		step("customer created", true, func() { cust = testfactory.Customer(ctx, t, store, nil) })
		step("endpoint created", true, func() { e = testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID}) })
		step("endpoint updated", true, func() {
			e.URL = "https://partner.example.com/moved"
			requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, e))
		})
		step("retry policy set", true, func() {
			requireNoError(t, "set retry policy", ps.RetryPolicySet(ctx, &herald.CustomerRetryPolicy{CustomerID: cust.ID, MaxAttempts: 3}))
		})
		step("retry policy replaced", true, func() {
			requireNoError(t, "set retry policy", ps.RetryPolicySet(ctx, &herald.CustomerRetryPolicy{CustomerID: cust.ID, MaxAttempts: 4}))
		})
		step("event published, claimed and delivered", false, func() {
			publishAt(ctx, t, store, e, base)
			c := claim(ctx, t, store, base, 1)
			if len(c) != 1 {
				t.Fatalf("claimed %d deliveries, want 1", len(c))
			}
			record(ctx, t, store, &herald.AttemptRecord{Lease: c[0].Lease, Attempt: fullAttempt(c[0].ID, 1, base, 200), State: herald.DeliveryStateDelivered})
		})
		step("retry policy deleted", true, func() {
			requireNoError(t, "delete retry policy", ps.RetryPolicyDelete(ctx, cust.ID, ""))
		})
		step("endpoint disabled", true, func() {
			requireNoError(t, "disable endpoint", store.EndpointDisable(ctx, e.ID, "410 Gone", base))
		})
		step("endpoint deleted", true, func() {
			requireNoError(t, "delete endpoint", store.EndpointDelete(ctx, cust.ID, e.ID))
		})
		step("customer deleted", true, func() {
			requireNoError(t, "delete customer", store.CustomerDelete(ctx, cust.ID))
		})
	})

	t.Run("EndpointGetMany", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cs := configStore(t, store)
		cust := testfactory.Customer(ctx, t, store, nil)
		signed := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID, Auth: &herald.Auth{
			Type: herald.AuthTypeHMAC, Username: "icims-6269", Secret: "hmac-shared-secret-value",
		}})
		plain := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: cust.ID, Disabled: true, DisabledReason: "paused"})
		elsewhere := testfactory.Endpoint(ctx, t, store, nil)

		got, err := cs.EndpointGetMany(ctx, []string{plain.ID, "ep_missing", signed.ID, elsewhere.ID, signed.ID})
		requireNoError(t, "get endpoints", err)
		slices.SortFunc(got, func(a, b *herald.Endpoint) int { return strings.Compare(a.ID, b.ID) })
		var want []*herald.Endpoint
		for _, id := range []string{signed.ID, plain.ID, elsewhere.ID} {
			e, err := store.EndpointGet(ctx, id)
			requireNoError(t, "get endpoint", err)
			want = append(want, e)
		}
		slices.SortFunc(want, func(a, b *herald.Endpoint) int { return strings.Compare(a.ID, b.ID) })
		// What EndpointGet returns, secrets opened; an unknown id is left
		// out and an id asked twice comes once.
		requireNoDiff(t, "endpoints", got, want)

		got, err = cs.EndpointGetMany(ctx, nil)
		requireNoError(t, "get no endpoints", err)
		if len(got) != 0 {
			t.Fatalf("no ids: %d endpoints", len(got))
		}
		_, err = cs.EndpointGetMany(ctx, make([]string, herald.MaxConfigReadIDs+1))
		requireCode(t, err, herald.EINVALID)
	})

	t.Run("RetryPolicyListMany", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cs := configStore(t, store)
		ps := policyStore(t, store)
		a := testfactory.Customer(ctx, t, store, nil)
		b := testfactory.Customer(ctx, t, store, nil)
		none := testfactory.Customer(ctx, t, store, nil)
		unasked := testfactory.Customer(ctx, t, store, nil)
		for _, p := range []*herald.CustomerRetryPolicy{
			{CustomerID: b.ID, EventType: wire.EventTypeAssessment, MaxAttempts: 2},
			{CustomerID: a.ID, Schedule: []time.Duration{time.Second, time.Minute}},
			{CustomerID: b.ID, MaxWindow: time.Hour},
			{CustomerID: a.ID, EventType: wire.EventTypeJobPostToWeb, PermanentStatuses: []int{422}},
			{CustomerID: unasked.ID, MaxAttempts: 9},
		} {
			requireNoError(t, "set retry policy", ps.RetryPolicySet(ctx, p))
		}
		var want []*herald.CustomerRetryPolicy
		ids := []string{a.ID, b.ID}
		slices.Sort(ids)
		for _, id := range ids {
			l, err := ps.RetryPolicyList(ctx, id)
			requireNoError(t, "list retry policies", err)
			want = append(want, l...)
		}
		got, err := cs.RetryPolicyListMany(ctx, []string{none.ID, b.ID, a.ID, "cust_missing"})
		requireNoError(t, "list retry policies of many", err)
		requireNoDiff(t, "policies by customer, then as RetryPolicyList", got, want)

		_, err = cs.RetryPolicyListMany(ctx, make([]string, herald.MaxConfigReadIDs+1))
		requireCode(t, err, herald.EINVALID)
	})
}
