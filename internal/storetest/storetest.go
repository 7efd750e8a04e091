// Package storetest is the conformance suite of herald.Store: what every
// backend (sqlite, postgres) promises, checked the same way against each
// (River's riverdrivertest). A new Store method gets its case here first.
//
// The suite speaks only through the herald.Store interface and makes its
// fixtures with testfactory, so it is backend-neutral. Time is injected
// through the methods' parameters (claim Now, LeaseUntil, retry now), so
// nothing sleeps: a lease expires because the next call passes a later Now.
//
// It is imported by _test.go files only.
package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

// exercise runs the whole suite. newStore must return a new, empty, migrated
// store for each call and close it when t ends; every subtest calls it, so
// subtests run in parallel without sharing rows.
func exercise(t *testing.T, newStore func(t *testing.T) herald.Store) {
	t.Helper()
	setup := func(t *testing.T) (context.Context, herald.Store) {
		t.Helper()
		return t.Context(), newStore(t)
	}
	t.Run("Customer", func(t *testing.T) { t.Parallel(); exerciseCustomer(t, setup) })
	t.Run("CustomerRenameDelete", func(t *testing.T) { t.Parallel(); exerciseCustomerRenameDelete(t, setup) })
	t.Run("Endpoint", func(t *testing.T) { t.Parallel(); exerciseEndpoint(t, setup) })
	t.Run("EndpointControls", func(t *testing.T) { t.Parallel(); exerciseEndpointControls(t, setup) })
	t.Run("Event", func(t *testing.T) { t.Parallel(); exerciseEvent(t, setup) })
	t.Run("DeliveryClaimDue", func(t *testing.T) { t.Parallel(); exerciseDeliveryClaimDue(t, setup) })
	t.Run("DeliveryClaimIDs", func(t *testing.T) { t.Parallel(); exerciseDeliveryClaimIDs(t, setup) })
	t.Run("DeliveryRecordAttempts", func(t *testing.T) { t.Parallel(); exerciseDeliveryRecordAttempts(t, setup) })
	t.Run("DeliveryRelease", func(t *testing.T) { t.Parallel(); exerciseDeliveryRelease(t, setup) })
	t.Run("DeliveryRetry", func(t *testing.T) { t.Parallel(); exerciseDeliveryRetry(t, setup) })
	t.Run("DeliveryGet", func(t *testing.T) { t.Parallel(); exerciseDeliveryGet(t, setup) })
	t.Run("DeliveryList", func(t *testing.T) { t.Parallel(); exerciseDeliveryList(t, setup) })
	t.Run("DeliveryQueueStats", func(t *testing.T) { t.Parallel(); exerciseDeliveryQueueStats(t, setup) })
	t.Run("QueueDepth", func(t *testing.T) { t.Parallel(); exerciseQueueDepth(t, setup) })
	t.Run("RetryPolicy", func(t *testing.T) { t.Parallel(); exerciseRetryPolicy(t, setup) })
	t.Run("DispatchConfig", func(t *testing.T) { t.Parallel(); exerciseDispatchConfig(t, setup) })
	t.Run("TraceContext", func(t *testing.T) { t.Parallel(); exerciseTraceContext(t, setup) })
	t.Run("Ordered", func(t *testing.T) { t.Parallel(); exerciseOrdered(t, setup) })
	t.Run("PublishLeased", func(t *testing.T) { t.Parallel(); exercisePublishLeased(t, setup) })
}

// setupFunc gives a subtest its context and its own empty store.
type setupFunc func(t *testing.T) (context.Context, herald.Store)

// base is the suite's clock: a fixed instant, on a millisecond, so every
// backend stores it exactly. Tests add to it; nothing reads the real clock.
var base = time.Date(2026, 3, 14, 9, 26, 53, 589_000_000, time.UTC)

// requireCode fails t unless err carries the herald error code want.
func requireCode(t *testing.T, err error, want string) {
	t.Helper()
	if got := herald.ErrorCode(err); got != want {
		t.Fatalf("error code = %q (err %v), want %q", got, err, want)
	}
	var he *herald.Error
	if !errors.As(err, &he) {
		t.Fatalf("error %v is not a *herald.Error", err)
	}
}

// requireNoDiff fails t if got and want differ; what names the value.
func requireNoDiff(t *testing.T, what string, got, want any) {
	t.Helper()
	if d := diff(got, want); d != "" {
		t.Fatalf("%s differs:\n%s", what, d)
	}
}

func requireNoError(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}
