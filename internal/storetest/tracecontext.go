package storetest

import (
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// traceContext is a W3C trace context as Event.TraceContext holds it.
const traceContext = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01\nrojo=00f067aa0ba902b7,congo=t61rcWkgMzE"

// exerciseTraceContext checks that an event keeps the publisher's trace
// context and that every claim returns it with the delivery, so attempts
// made from the queue join the publish's trace; and that an endpoint keeps
// its traceparent switch.
func exerciseTraceContext(t *testing.T, setup setupFunc) {
	t.Run("EventKeepsItThroughClaims", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		traced := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		traced.TraceContext = traceContext
		untraced := testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
		res, err := store.EventPublish(ctx, []*herald.Event{traced, untraced})
		requireNoError(t, "publish", err)
		if res[0].Err != nil || res[1].Err != nil {
			t.Fatalf("publish results: %v, %v", res[0].Err, res[1].Err)
		}
		if res[0].Event.TraceContext != traceContext {
			t.Fatalf("published event's trace context = %q, want %q", res[0].Event.TraceContext, traceContext)
		}
		got, err := store.EventGet(ctx, traced.ID)
		requireNoError(t, "get event", err)
		if got.TraceContext != traceContext {
			t.Fatalf("stored trace context = %q, want %q", got.TraceContext, traceContext)
		}
		want := map[string]string{res[0].Deliveries[0].ID: traceContext, res[1].Deliveries[0].ID: ""}

		cs := claim(ctx, t, store, base, 10)
		if len(cs) != 2 {
			t.Fatalf("claimed %d deliveries, want 2", len(cs))
		}
		for _, c := range cs {
			if c.TraceContext != want[c.ID] {
				t.Fatalf("claimed due delivery %s: trace context %q, want %q", c.ID, c.TraceContext, want[c.ID])
			}
		}
		// The interactive claim, once the leases above have run out.
		later := base.Add(2 * lease)
		cs = claimIDs(ctx, t, store, later, res[0].Deliveries[0].ID, res[1].Deliveries[0].ID)
		if len(cs) != 2 {
			t.Fatalf("claimed %d deliveries by id, want 2", len(cs))
		}
		for _, c := range cs {
			if c.TraceContext != want[c.ID] {
				t.Fatalf("claimed delivery %s by id: trace context %q, want %q", c.ID, c.TraceContext, want[c.ID])
			}
		}
	})

	t.Run("EndpointSwitch", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		for _, on := range []bool{true, false} {
			e := &herald.Endpoint{CustomerID: cust.ID, URL: "https://partner.example.com/events",
				EventTypes: wire.EventTypes, Auth: herald.Auth{Type: herald.AuthTypeNone}, Enabled: true, TraceContext: on}
			requireNoError(t, "create endpoint", store.EndpointCreate(ctx, e))
			got, err := store.EndpointGet(ctx, e.ID)
			requireNoError(t, "get endpoint", err)
			if got.TraceContext != on {
				t.Fatalf("created with TraceContext %v, read back %v", on, got.TraceContext)
			}
			got.TraceContext = !on
			requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, got))
			got, err = store.EndpointGet(ctx, e.ID)
			requireNoError(t, "get endpoint", err)
			if got.TraceContext != !on {
				t.Fatalf("updated to TraceContext %v, read back %v", !on, got.TraceContext)
			}
		}
	})
}

// exerciseActionTraceContext checks that a platform action's event keeps
// the trace context of the request that made the action.
func exerciseActionTraceContext(t *testing.T, setup platformSetupFunc) {
	t.Parallel()
	ctx, store := setup(t)
	f := NewPlatformFixture(ctx, t, store)
	ctx = herald.NewContextWithTraceContext(ctx, traceContext)
	res, err := store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
		CustomerID: f.Customer.ID, PersonID: f.Candidate.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
	requireNoError(t, "complete application", err)
	if res.Event.TraceContext != traceContext {
		t.Fatalf("action's event trace context = %q, want %q", res.Event.TraceContext, traceContext)
	}
	got, err := store.EventGet(ctx, res.Event.ID)
	requireNoError(t, "get event", err)
	if got.TraceContext != traceContext {
		t.Fatalf("stored trace context = %q, want %q", got.TraceContext, traceContext)
	}
}
