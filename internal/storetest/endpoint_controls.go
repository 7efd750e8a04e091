package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// exerciseEndpointControls checks the rate limit and circuit breaker
// settings of an endpoint, and the record the dispatcher writes when an
// open circuit puts a delivery back without attempting it.
func exerciseEndpointControls(t *testing.T, setup setupFunc) {
	t.Run("RoundTrip", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		e := &herald.Endpoint{
			CustomerID:       cust.ID,
			URL:              "https://partner.example.com/hooks",
			EventTypes:       []wire.EventType{wire.EventTypeAssessment},
			Auth:             herald.Auth{Type: herald.AuthTypeNone},
			Enabled:          true,
			RateLimit:        2.5,
			RateBurst:        7,
			CircuitThreshold: 12,
			CircuitCooldown:  90*time.Second + 250*time.Millisecond,
		}
		requireNoError(t, "create endpoint", store.EndpointCreate(ctx, e))
		got, err := store.EndpointGet(ctx, e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "created endpoint", got, e)

		e.RateLimit, e.RateBurst, e.CircuitThreshold, e.CircuitCooldown = 0, 0, 0, 0
		requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, e))
		got, err = store.EndpointGet(ctx, e.ID)
		requireNoError(t, "get endpoint", err)
		requireNoDiff(t, "updated endpoint", got, e)

		e.RateLimit, e.CircuitCooldown = 0.01, herald.MaxCircuitCooldown
		requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, e))
		list, err := store.EndpointList(ctx, cust.ID)
		requireNoError(t, "list endpoints", err)
		if len(list) != 1 {
			t.Fatalf("listed %d endpoints, want 1", len(list))
		}
		requireNoDiff(t, "listed endpoint", list[0], e)
	})

	t.Run("RefusesInvalid", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		for _, mutate := range []func(*herald.Endpoint){
			func(e *herald.Endpoint) { e.RateLimit = -1 },
			func(e *herald.Endpoint) { e.RateBurst = -1 },
			func(e *herald.Endpoint) { e.CircuitThreshold = herald.MaxCircuitThreshold + 1 },
			func(e *herald.Endpoint) { e.CircuitCooldown = -time.Second },
		} {
			e := &herald.Endpoint{
				CustomerID: cust.ID, URL: "https://partner.example.com/hooks",
				EventTypes: []wire.EventType{wire.EventTypeAssessment},
				Auth:       herald.Auth{Type: herald.AuthTypeNone}, Enabled: true,
			}
			mutate(e)
			requireCode(t, store.EndpointCreate(ctx, e), herald.EINVALID)
		}
	})

	// An open circuit hands a delivery back due later, with no attempt:
	// a pending record without an Attempt. Nothing is counted against the
	// partner, and the reason shows as the last error.
	t.Run("DeferWithoutAttempt", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		later := base.Add(time.Minute)
		record(ctx, t, store, &herald.AttemptRecord{
			Lease: c.Lease, State: herald.DeliveryStatePending, NextAttemptAt: later,
			Error: "circuit open",
		})
		d := getDelivery(ctx, t, store, c.ID)
		if d.State != herald.DeliveryStatePending || d.Attempts != 0 || d.ScheduleAttempts != 0 || len(d.AttemptLog) != 0 {
			t.Fatalf("deferred delivery: state %s, attempts %d/%d, log %d; want pending with no attempt",
				d.State, d.Attempts, d.ScheduleAttempts, len(d.AttemptLog))
		}
		if !d.NextAttemptAt.Equal(later) || d.LastError != "circuit open" {
			t.Fatalf("deferred delivery: due %v, last error %q; want %v, %q", d.NextAttemptAt, d.LastError, later, "circuit open")
		}
		if cs := claim(ctx, t, store, later.Add(-time.Millisecond), 10); len(cs) != 0 {
			t.Fatalf("claimed %d deliveries before the deferred one is due", len(cs))
		}
		if cs := claim(ctx, t, store, later, 10); len(cs) != 1 {
			t.Fatalf("claimed %d deliveries when the deferred one is due, want 1", len(cs))
		}
	})
}
