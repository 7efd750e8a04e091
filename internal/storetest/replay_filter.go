package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// exerciseReplayJobStoredFilter: a job keeps every field of its filter as
// it was given (the stores encode it themselves), and its steps replay by
// the filter read back from storage, not by the caller's copy.
func exerciseReplayJobStoredFilter(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeAssessment, wire.EventTypeRemoteLogin}})
	ds := publishAt(ctx, t, store, e, base, base.Add(time.Minute), base.Add(2*time.Minute), base.Add(3*time.Minute))
	login := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, Type: wire.EventTypeRemoteLogin,
		CreatedAt: base.Add(2 * time.Minute)}).Deliveries[0]
	finishAs(ctx, t, store, base.Add(10*time.Minute), herald.DeliveryStateFailed, ds[1])
	finishAs(ctx, t, store, base.Add(time.Hour), herald.DeliveryStateFailed, ds[2], ds[3], login)
	finishAs(ctx, t, store, base.Add(time.Hour), herald.DeliveryStateDead, ds[0])

	// Of them all, only ds[2] matches: ds[0] is dead and too early, ds[1]
	// changed too early, ds[3] is too late, login is of another type.
	f := herald.DeliveryFilter{CustomerID: e.CustomerID, EndpointID: e.ID, EventType: ds[2].EventType,
		States: []herald.DeliveryState{herald.DeliveryStateFailed, herald.DeliveryStateRejected},
		Since:  base.Add(time.Minute), Until: base.Add(3 * time.Minute), ChangedSince: base.Add(30 * time.Minute)}
	now := base.Add(2 * time.Hour)
	j := createJob(ctx, t, store, f, now)
	if j.Total != 1 {
		t.Fatalf("total = %d, want 1", j.Total)
	}
	stored, err := store.ReplayJobGet(ctx, j.ID)
	requireNoError(t, "get job", err)
	requireNoDiff(t, "stored filter", stored.Filter, f)
	unfinished, err := store.ReplayJobListUnfinished(ctx)
	requireNoError(t, "list unfinished jobs", err)
	if len(unfinished) != 1 {
		t.Fatalf("%d unfinished jobs, want 1", len(unfinished))
	}
	requireNoDiff(t, "unfinished job", unfinished[0], stored)

	if res := step(ctx, t, store, j.ID, now, 10); res.Replayed != 1 || !res.Job.Finished() {
		t.Fatalf("step = %+v, replayed %d, want 1 and finished", res.Job, res.Replayed)
	}
	if got := getDelivery(ctx, t, store, ds[2].ID); got.State != herald.DeliveryStatePending {
		t.Fatalf("matching delivery is %s, want pending", got.State)
	}
	for _, d := range []*herald.Delivery{ds[0], ds[1], ds[3], login} {
		if got := getDelivery(ctx, t, store, d.ID); got.State == herald.DeliveryStatePending {
			t.Fatalf("delivery %s, which the filter does not match, was replayed", d.ID)
		}
	}
}
