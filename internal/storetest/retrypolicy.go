package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// policyStore returns store's herald.RetryPolicyStore, or skips t.
func policyStore(t *testing.T, store herald.Store) herald.RetryPolicyStore {
	t.Helper()
	ps, ok := store.(herald.RetryPolicyStore)
	if !ok {
		t.Skip("the store does not implement herald.RetryPolicyStore")
	}
	return ps
}

func exerciseRetryPolicy(t *testing.T, setup setupFunc) {

	t.Run("SetGetListReplaceDelete", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		ps := policyStore(t, store)
		cust := testfactory.Customer(ctx, t, store, nil)
		other := testfactory.Customer(ctx, t, store, nil)

		def := &herald.CustomerRetryPolicy{
			CustomerID: cust.ID,
			Schedule:   []time.Duration{time.Second, 90 * time.Second, 2*time.Hour + 500*time.Millisecond},
		}
		typed := &herald.CustomerRetryPolicy{
			CustomerID:        cust.ID,
			EventType:         wire.EventTypeAssessment,
			MaxAttempts:       4,
			MaxWindow:         36 * time.Hour,
			PermanentStatuses: []int{400, 422, 501},
		}
		for _, p := range []*herald.CustomerRetryPolicy{typed, def} {
			requireNoError(t, "set retry policy", ps.RetryPolicySet(ctx, p))
			if p.CreatedAt.IsZero() || !p.UpdatedAt.Equal(p.CreatedAt) {
				t.Fatalf("CreatedAt %v, UpdatedAt %v: want both set, equal", p.CreatedAt, p.UpdatedAt)
			}
		}
		got, err := ps.RetryPolicyGet(ctx, cust.ID, wire.EventTypeAssessment)
		requireNoError(t, "get retry policy", err)
		requireNoDiff(t, "typed policy", got, typed)
		got, err = ps.RetryPolicyGet(ctx, cust.ID, "")
		requireNoError(t, "get default policy", err)
		requireNoDiff(t, "default policy", got, def)

		_, err = ps.RetryPolicyGet(ctx, other.ID, "")
		requireCode(t, err, herald.ENOTFOUND)
		_, err = ps.RetryPolicyGet(ctx, cust.ID, wire.EventTypeJobPostToWeb)
		requireCode(t, err, herald.ENOTFOUND)

		list, err := ps.RetryPolicyList(ctx, cust.ID)
		requireNoError(t, "list retry policies", err)
		requireNoDiff(t, "policies, default first", list, []*herald.CustomerRetryPolicy{def, typed})
		list, err = ps.RetryPolicyList(ctx, other.ID)
		requireNoError(t, "list retry policies", err)
		if list == nil || len(list) != 0 {
			t.Fatalf("other customer's policies = %#v, want empty, not nil", list)
		}

		// Set again replaces every field and keeps CreatedAt.
		replaced := &herald.CustomerRetryPolicy{CustomerID: cust.ID, EventType: wire.EventTypeAssessment, MaxAttempts: 2}
		requireNoError(t, "replace retry policy", ps.RetryPolicySet(ctx, replaced))
		if !replaced.CreatedAt.Equal(typed.CreatedAt) {
			t.Fatalf("CreatedAt after replace = %v, want %v", replaced.CreatedAt, typed.CreatedAt)
		}
		got, err = ps.RetryPolicyGet(ctx, cust.ID, wire.EventTypeAssessment)
		requireNoError(t, "get replaced policy", err)
		requireNoDiff(t, "replaced policy", got, replaced)

		requireNoError(t, "delete retry policy", ps.RetryPolicyDelete(ctx, cust.ID, wire.EventTypeAssessment))
		requireCode(t, ps.RetryPolicyDelete(ctx, cust.ID, wire.EventTypeAssessment), herald.ENOTFOUND)
		list, err = ps.RetryPolicyList(ctx, cust.ID)
		requireNoError(t, "list retry policies", err)
		requireNoDiff(t, "policies after delete", list, []*herald.CustomerRetryPolicy{def})
	})

	t.Run("RefusesInvalidAndUnknownCustomer", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		ps := policyStore(t, store)
		cust := testfactory.Customer(ctx, t, store, nil)
		requireCode(t, ps.RetryPolicySet(ctx, &herald.CustomerRetryPolicy{CustomerID: "no-such-customer"}), herald.ENOTFOUND)
		for _, p := range []*herald.CustomerRetryPolicy{
			{CustomerID: cust.ID, EventType: "NoSuchEvent"},
			{CustomerID: cust.ID, Schedule: []time.Duration{time.Millisecond}},
			{CustomerID: cust.ID, MaxAttempts: -1},
			{CustomerID: cust.ID, PermanentStatuses: []int{410}},
			{CustomerID: cust.ID, PermanentStatuses: []int{200}},
		} {
			requireCode(t, ps.RetryPolicySet(ctx, p), herald.EINVALID)
		}
	})
}
