package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// exercisePublishToDisabled checks that an event makes every disabled
// endpoint subscribed to it a failed delivery with no attempt, which no
// claim takes, and which a retry or a replay makes pending once the
// endpoint is enabled again: what it missed while disabled can be sent.
func exercisePublishToDisabled(t *testing.T, setup setupFunc) {
	t.Run("FailedWithReason", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		ep := func(opts testfactory.EndpointOpts) *herald.Endpoint {
			opts.CustomerID = cust.ID
			return testfactory.Endpoint(ctx, t, store, &opts)
		}
		on := ep(testfactory.EndpointOpts{})
		off := ep(testfactory.EndpointOpts{Disabled: true, DisabledReason: "no successful delivery for 120h1m0s"})
		byHand := ep(testfactory.EndpointOpts{Disabled: true})
		// Disabled and not subscribed to the event: nothing.
		ep(testfactory.EndpointOpts{Disabled: true, EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}})

		res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: cust.ID, Type: wire.EventTypeAssessment, CreatedAt: base})
		if len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != on.ID || res.Deliveries[0].State != herald.DeliveryStatePending {
			t.Fatalf("result deliveries = %+v, want the one pending to the enabled endpoint", res.Deliveries)
		}
		stored, err := store.DeliveryListForEvent(ctx, res.Event.ID)
		requireNoError(t, "list deliveries of event", err)
		if len(stored) != 3 {
			t.Fatalf("%d deliveries stored for endpoints %v, want 3", len(stored), endpointIDs(stored))
		}
		wantError := map[string]string{
			off.ID:    "endpoint disabled: no successful delivery for 120h1m0s",
			byHand.ID: "endpoint disabled",
		}
		var failed []string
		for _, d := range stored {
			if d.EndpointID == on.ID {
				requireNoDiff(t, "pending delivery", d, res.Deliveries[0])
				continue
			}
			msg, ok := wantError[d.EndpointID]
			if !ok {
				t.Fatalf("delivery to endpoint %s, which is not subscribed", d.EndpointID)
			}
			want := &herald.Delivery{
				ID: d.ID, EventID: res.Event.ID, EndpointID: d.EndpointID, CustomerID: cust.ID, EventType: wire.EventTypeAssessment,
				State: herald.DeliveryStateFailed, LastError: msg, NextAttemptAt: base, CreatedAt: base, UpdatedAt: base,
			}
			requireNoDiff(t, "failed delivery", d, want)
			got, err := store.DeliveryGet(ctx, d.ID)
			requireNoError(t, "get failed delivery", err)
			if got.Attempts != 0 || len(got.AttemptLog) != 0 {
				t.Fatalf("failed delivery has attempts: %d, log %v", got.Attempts, got.AttemptLog)
			}
			failed = append(failed, d.ID)
		}

		// No work for a dispatcher: neither claim takes them, so they
		// are never attempted and hold no lease against a cap.
		later := base.Add(time.Hour)
		if cs := claim(ctx, t, store, later, 10); len(cs) != 1 || cs[0].EndpointID != on.ID {
			t.Fatalf("claimed %d (%v), want only the enabled endpoint's delivery", len(cs), claimedIDs(cs))
		}
		if cs := claimIDs(ctx, t, store, later, failed...); len(cs) != 0 {
			t.Fatalf("interactive claim took %d failed deliveries", len(cs))
		}
	})

	t.Run("StatusTriggers", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		off := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{Disabled: true, DisabledReason: "410 Gone",
			EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange}, StatusTriggers: []string{"Hired"}})
		for _, tc := range []struct {
			status string
			want   int
		}{{"Rejected", 0}, {"Hired", 1}} {
			res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: off.CustomerID,
				Type: wire.EventTypeWorkFlowStatusChange, NewStatus: tc.status, CreatedAt: base})
			stored, err := store.DeliveryListForEvent(ctx, res.Event.ID)
			requireNoError(t, "list deliveries of event", err)
			if len(res.Deliveries) != 0 || len(stored) != tc.want {
				t.Fatalf("%s: %d returned, %d stored, want 0 and %d", tc.status, len(res.Deliveries), len(stored), tc.want)
			}
			if tc.want == 1 && (stored[0].State != herald.DeliveryStateFailed || stored[0].LastError != "endpoint disabled: 410 Gone") {
				t.Fatalf("%s: stored %+v, want failed for the disabled endpoint", tc.status, stored[0])
			}
		}
	})

	t.Run("RedriveAfterEnable", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		off := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{Disabled: true, DisabledReason: "410 Gone"})
		var missed []*herald.Delivery
		for i := range 2 {
			res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: off.CustomerID, CreatedAt: base.Add(time.Duration(i+1) * time.Second)})
			ds, err := store.DeliveryListForEvent(ctx, res.Event.ID)
			requireNoError(t, "list deliveries of event", err)
			if len(ds) != 1 || ds[0].State != herald.DeliveryStateFailed {
				t.Fatalf("event %d: deliveries %+v, want one failed", i, ds)
			}
			missed = append(missed, ds[0])
		}
		upd := *off
		upd.Enabled = true
		upd.DisabledReason = ""
		requireNoError(t, "enable", store.EndpointUpdate(ctx, &upd))

		// A retry by hand.
		retryAt := base.Add(time.Hour)
		d, err := store.DeliveryRetry(ctx, missed[0].ID, retryAt)
		requireNoError(t, "retry", err)
		if d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(retryAt) {
			t.Fatalf("retried: state %s due %v, want pending due %v", d.State, d.NextAttemptAt, retryAt)
		}
		if cs := claim(ctx, t, store, retryAt, 10); len(cs) != 1 || cs[0].ID != missed[0].ID {
			t.Fatalf("claimed %v, want the retried delivery", claimedIDs(cs))
		}

		// A replay job over what the endpoint missed (the filter of
		// GET .../endpoints/{id}/missed).
		rs, ok := store.(herald.ReplayStore)
		if !ok {
			return
		}
		f := herald.DeliveryFilter{CustomerID: off.CustomerID, EndpointID: off.ID,
			States: []herald.DeliveryState{herald.DeliveryStateFailed, herald.DeliveryStateDead}, ChangedSince: base}
		page, err := rs.DeliveryFind(ctx, &f, "", 0)
		requireNoError(t, "find missed", err)
		if got := deliveryIDs(page.Deliveries); len(got) != 1 || got[0] != missed[1].ID {
			t.Fatalf("missed = %v, want %s", got, missed[1].ID)
		}
		replayAt := base.Add(2 * time.Hour)
		j := createJob(ctx, t, rs, f, replayAt)
		if j.Total != 1 {
			t.Fatalf("replay job total = %d, want 1", j.Total)
		}
		step(ctx, t, rs, j.ID, replayAt, 10)
		d, err = store.DeliveryGet(ctx, missed[1].ID)
		requireNoError(t, "get replayed", err)
		if d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(replayAt) {
			t.Fatalf("replayed: state %s due %v, want pending due %v", d.State, d.NextAttemptAt, replayAt)
		}
	})

	t.Run("PlatformAction", func(t *testing.T) {
		t.Parallel()
		ctx, s := setup(t)
		store, ok := s.(PlatformStore)
		if !ok {
			t.Skip("the store has no platform actions")
		}
		f := NewPlatformFixture(ctx, t, store)
		off := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: f.Customer.ID,
			Disabled: true, DisabledReason: "410 Gone", EventTypes: []wire.EventType{wire.EventTypeAssessment}})
		res, err := store.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{
			CustomerID: f.Customer.ID, PersonID: f.Candidate.ID, JobID: f.Posted.ID, PublicURL: PlatformPublicURL})
		requireNoError(t, "complete application", err)
		if len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != f.Endpoint.ID {
			t.Fatalf("action deliveries = %v, want the pending one to %s", endpointIDs(res.Deliveries), f.Endpoint.ID)
		}
		stored, err := store.DeliveryListForEvent(ctx, res.Event.ID)
		requireNoError(t, "list deliveries of event", err)
		if len(stored) != 2 {
			t.Fatalf("%d deliveries stored, want 2", len(stored))
		}
		for _, d := range stored {
			if d.EndpointID == off.ID && (d.State != herald.DeliveryStateFailed || d.LastError != "endpoint disabled: 410 Gone" ||
				!d.UpdatedAt.Equal(res.Event.CreatedAt)) {
				t.Fatalf("delivery to the disabled endpoint = %+v, want failed", d)
			}
		}
	})
}
