package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// exerciseReplay runs the herald.ReplayStore suite. newStore must return a
// new, empty, migrated store for each call and close it when t ends.
func exerciseReplay(t *testing.T, newStore func(t *testing.T) RecoveryStore) {
	t.Helper()
	setup := func(t *testing.T) (context.Context, RecoveryStore) {
		t.Helper()
		return t.Context(), newStore(t)
	}
	t.Run("DeliveryFilter", func(t *testing.T) { t.Parallel(); exerciseDeliveryFilter(t, setup) })
	t.Run("ReplayJobLarge", func(t *testing.T) { t.Parallel(); exerciseReplayJobLarge(t, setup) })
	t.Run("ReplayJobStates", func(t *testing.T) { t.Parallel(); exerciseReplayJobStates(t, setup) })
	t.Run("ReplayJobSkipsLeased", func(t *testing.T) { t.Parallel(); exerciseReplayJobSkipsLeased(t, setup) })
	t.Run("ReplayJobErrors", func(t *testing.T) { t.Parallel(); exerciseReplayJobErrors(t, setup) })
	t.Run("ReplayJobOrdered", func(t *testing.T) { t.Parallel(); exerciseReplayJobOrdered(t, setup) })
	t.Run("ReplayJobStoredFilter", func(t *testing.T) { t.Parallel(); exerciseReplayJobStoredFilter(t, setup) })
}

// exerciseReplayJobOrdered: a replayed delivery that was waiting behind an
// earlier one of its subject is sent at once, out of order, and the one
// that waited for it waits for what it waited for (order.go).
func exerciseReplayJobOrdered(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{Ordered: true})
	a1 := publishSubject(ctx, t, store, e, "wf-a", base)
	a2 := publishSubject(ctx, t, store, e, "wf-a", base.Add(time.Minute))
	a3 := publishSubject(ctx, t, store, e, "wf-a", base.Add(2*time.Minute))
	requireWaiting(ctx, t, store, a2.ID, a1.ID)
	j := createJob(ctx, t, store, herald.DeliveryFilter{CustomerID: e.CustomerID,
		Since: base.Add(time.Minute), Until: base.Add(2 * time.Minute)}, base.Add(time.Hour))
	if res := step(ctx, t, store, j.ID, base.Add(time.Hour), 10); res.Replayed != 1 {
		t.Fatalf("replayed %d, want 1", res.Replayed)
	}
	requireWaiting(ctx, t, store, a2.ID, "")
	requireWaiting(ctx, t, store, a3.ID, a1.ID)
	cs := claim(ctx, t, store, base.Add(time.Hour), 100)
	requireIDs(t, "claimed after the replay", claimedIDs(cs), []string{a1.ID, a2.ID})
}

func createJob(ctx context.Context, t *testing.T, store herald.ReplayStore, f herald.DeliveryFilter, now time.Time) *herald.ReplayJob {
	t.Helper()
	j := &herald.ReplayJob{CustomerID: f.CustomerID, Filter: f}
	requireNoError(t, "create replay job", store.ReplayJobCreate(ctx, j, now))
	return j
}

func step(ctx context.Context, t *testing.T, store herald.ReplayStore, id string, now time.Time, batch int) *herald.ReplayJobStepResult {
	t.Helper()
	res, err := store.ReplayJobStep(ctx, id, now, batch)
	requireNoError(t, "replay job step", err)
	return res
}

// finishAs claims ds at at and records an attempt at at for each that
// leaves it in state (an attempt, so that its updated_at is at).
func finishAs(ctx context.Context, t *testing.T, store herald.Store, at time.Time, state herald.DeliveryState, ds ...*herald.Delivery) {
	t.Helper()
	ids := deliveryIDs(ds)
	for len(ids) > 0 {
		n := min(len(ids), herald.MaxDeliveryClaimIDs)
		cs := claimIDs(ctx, t, store, at, ids[:n]...)
		var recs []*herald.AttemptRecord
		for _, c := range cs {
			status := 503
			if state == herald.DeliveryStateDelivered {
				status = 200
			}
			recs = append(recs, &herald.AttemptRecord{Lease: c.Lease, State: state,
				Attempt: &herald.Attempt{DeliveryID: c.ID, Number: c.Attempts + 1, At: at, StatusCode: status}})
		}
		record(ctx, t, store, recs...)
		ids = ids[n:]
	}
}

func exerciseDeliveryFilter(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeAssessment, wire.EventTypeRemoteLogin}})
	testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID, EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	other := testfactory.Endpoint(ctx, t, store, nil)
	publishAt(ctx, t, store, other, base)
	ee := publishAt(ctx, t, store, e, base, base.Add(time.Minute), base.Add(2*time.Minute)) // 3 events: e and f each
	login := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, Type: wire.EventTypeRemoteLogin, CreatedAt: base.Add(3 * time.Minute)})
	var eDeliveries, fDeliveries []*herald.Delivery
	for _, d := range ee {
		if d.EndpointID == e.ID {
			eDeliveries = append(eDeliveries, d)
		} else {
			fDeliveries = append(fDeliveries, d)
		}
	}
	finishAs(ctx, t, store, base.Add(time.Hour), herald.DeliveryStateDead, eDeliveries[0], fDeliveries[0])
	finishAs(ctx, t, store, base.Add(2*time.Hour), herald.DeliveryStateFailed, eDeliveries[1])

	for _, tc := range []struct {
		name   string
		filter herald.DeliveryFilter
		want   map[herald.DeliveryState]int
	}{
		{"Customer", herald.DeliveryFilter{}, map[herald.DeliveryState]int{"dead": 2, "failed": 1, "pending": 4}},
		{"Endpoint", herald.DeliveryFilter{EndpointID: e.ID}, map[herald.DeliveryState]int{"dead": 1, "failed": 1, "pending": 2}},
		{"States", herald.DeliveryFilter{States: []herald.DeliveryState{"dead", "failed", "rejected"}}, map[herald.DeliveryState]int{"dead": 2, "failed": 1}},
		{"EventType", herald.DeliveryFilter{EventType: wire.EventTypeRemoteLogin}, map[herald.DeliveryState]int{"pending": 1}},
		{"Window", herald.DeliveryFilter{Since: base.Add(time.Minute), Until: base.Add(3 * time.Minute)}, map[herald.DeliveryState]int{"failed": 1, "pending": 3}},
		{"ChangedSince", herald.DeliveryFilter{ChangedSince: base.Add(2 * time.Hour)}, map[herald.DeliveryState]int{"failed": 1}},
	} {
		tc.filter.CustomerID = e.CustomerID
		got, err := store.DeliveryCountByState(ctx, &tc.filter)
		requireNoError(t, tc.name+": count", err)
		requireNoDiff(t, tc.name+": counts", got, tc.want)
		total := 0
		for _, n := range tc.want {
			total += n
		}
		var found []*herald.Delivery
		cursor := ""
		for {
			page, err := store.DeliveryFind(ctx, &tc.filter, cursor, 2)
			requireNoError(t, tc.name+": find", err)
			found = append(found, page.Deliveries...)
			if cursor = page.NextCursor; cursor == "" {
				break
			}
		}
		if len(found) != total {
			t.Fatalf("%s: found %d deliveries, want %d", tc.name, len(found), total)
		}
		for i := 1; i < len(found); i++ {
			if found[i-1].ID <= found[i].ID {
				t.Fatalf("%s: not newest first", tc.name)
			}
		}
	}
	if login.Deliveries[0].EndpointID != e.ID {
		t.Fatalf("RemoteLogin delivered to %s, want %s", login.Deliveries[0].EndpointID, e.ID)
	}
	_, err := store.DeliveryCountByState(ctx, &herald.DeliveryFilter{})
	requireCode(t, err, herald.EINVALID)
	_, err = store.DeliveryFind(ctx, &herald.DeliveryFilter{CustomerID: e.CustomerID, States: []herald.DeliveryState{"lost"}}, "", 0)
	requireCode(t, err, herald.EINVALID)
	_, err = store.DeliveryFind(ctx, &herald.DeliveryFilter{CustomerID: e.CustomerID}, "bad", 0)
	requireCode(t, err, herald.EINVALID)
}

// exerciseReplayJobLarge replays 2,500 deliveries in batches of 500, stops
// half way (a crash between steps is the same: each step commits alone) and
// resumes from the stored cursor.
func exerciseReplayJobLarge(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	e := testfactory.Endpoint(ctx, t, store, nil)
	ds := publishN(ctx, t, store, e, 2500, base)
	// Spread out in due order: replay must make every one due now.
	finishAs(ctx, t, store, base.Add(time.Minute), herald.DeliveryStateDead, ds...)
	late := publishAt(ctx, t, store, e, base.Add(2*time.Hour)) // after the job: not the job's

	now := base.Add(time.Hour)
	j := createJob(ctx, t, store, herald.DeliveryFilter{CustomerID: e.CustomerID, States: []herald.DeliveryState{herald.DeliveryStateDead}}, now)
	if j.Total != 2500 || j.State != herald.ReplayJobStatePending || j.ID == "" {
		t.Fatalf("new job = %+v, want total 2500, pending", j)
	}
	for i := 1; i <= 2; i++ {
		res := step(ctx, t, store, j.ID, now, herald.DefaultReplayBatch)
		if res.Replayed != 500 || res.Job.Done != 500*i || res.Job.State != herald.ReplayJobStateRunning {
			t.Fatalf("step %d: replayed %d, done %d, state %s", i, res.Replayed, res.Job.Done, res.Job.State)
		}
	}
	// "Restart": a new reader finds the job unfinished, with its cursor.
	unfinished, err := store.ReplayJobListUnfinished(ctx)
	requireNoError(t, "list unfinished", err)
	if len(unfinished) != 1 || unfinished[0].ID != j.ID || unfinished[0].Done != 1000 || unfinished[0].Cursor != ds[999].ID {
		t.Fatalf("unfinished = %+v, want the job at 1000 after %s", unfinished, ds[999].ID)
	}
	var last *herald.ReplayJobStepResult
	for range 10 {
		last = step(ctx, t, store, j.ID, now, herald.DefaultReplayBatch)
		if last.Job.Finished() {
			break
		}
	}
	got := last.Job
	if !got.Finished() || got.Done != 2500 || got.Replayed != 2500 || got.Skipped != 0 || !got.FinishedAt.Equal(now) {
		t.Fatalf("finished job = %+v, want 2500 done and replayed", got)
	}
	stored, err := store.ReplayJobGet(ctx, j.ID)
	requireNoError(t, "get job", err)
	requireNoDiff(t, "stored job", stored, got)
	if again := step(ctx, t, store, j.ID, now.Add(time.Hour), 500); again.Replayed != 0 || !again.Job.UpdatedAt.Equal(now) {
		t.Fatalf("a step of a finished job changed it: %+v", again.Job)
	}
	counts, err := store.DeliveryCountByState(ctx, &herald.DeliveryFilter{CustomerID: e.CustomerID})
	requireNoError(t, "count", err)
	requireNoDiff(t, "counts after replay", counts, map[herald.DeliveryState]int{"pending": 2501})
	for _, d := range []*herald.Delivery{ds[0], ds[1234], ds[2499]} {
		got := getDelivery(ctx, t, store, d.ID)
		if got.State != herald.DeliveryStatePending || !got.NextAttemptAt.Equal(now) || got.ScheduleAttempts != 0 || got.EventID != d.EventID {
			t.Fatalf("replayed delivery = %+v, want pending, due %v, same event", got, now)
		}
	}
	if got := getDelivery(ctx, t, store, late[0].ID); !got.NextAttemptAt.Equal(base.Add(2 * time.Hour)) {
		t.Fatalf("a delivery made after the job was replayed")
	}
	if unfinished, _ := store.ReplayJobListUnfinished(ctx); len(unfinished) != 0 {
		t.Fatalf("%d unfinished jobs, want 0", len(unfinished))
	}
}

func exerciseReplayJobStates(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	e := testfactory.Endpoint(ctx, t, store, nil)
	ds := publishAt(ctx, t, store, e, base, base.Add(time.Second), base.Add(2*time.Second))
	finishAs(ctx, t, store, base.Add(time.Minute), herald.DeliveryStateDelivered, ds[0])
	finishAs(ctx, t, store, base.Add(time.Minute), herald.DeliveryStateRejected, ds[1])
	now := base.Add(time.Hour)
	j := createJob(ctx, t, store, herald.DeliveryFilter{CustomerID: e.CustomerID, EndpointID: e.ID,
		States: []herald.DeliveryState{herald.DeliveryStateRejected, herald.DeliveryStateDelivered}}, now)
	if j.Total != 2 {
		t.Fatalf("total = %d, want 2", j.Total)
	}
	res := step(ctx, t, store, j.ID, now, 500)
	if !res.Job.Finished() || res.Job.Done != 2 || res.Replayed != 2 {
		t.Fatalf("step = %+v", res.Job)
	}
	if got := getDelivery(ctx, t, store, ds[2].ID); !got.NextAttemptAt.Equal(base.Add(2 * time.Second)) {
		t.Fatalf("the pending delivery was touched")
	}
	// Jobs list newest first.
	j2 := createJob(ctx, t, store, herald.DeliveryFilter{CustomerID: e.CustomerID}, now.Add(time.Second))
	js, err := store.ReplayJobList(ctx, e.CustomerID, 0)
	requireNoError(t, "list jobs", err)
	if len(js) != 2 || js[0].ID != j2.ID || js[1].ID != j.ID {
		t.Fatalf("jobs = %d, want newest first", len(js))
	}
	requireNoDiff(t, "listed filter", js[1].Filter, j.Filter)
}

func exerciseReplayJobSkipsLeased(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	e := testfactory.Endpoint(ctx, t, store, nil)
	ds := publishAt(ctx, t, store, e, base, base, base, base, base)
	now := base.Add(time.Minute)
	leased := claimIDs(ctx, t, store, now, ds[1].ID, ds[3].ID)
	if len(leased) != 2 {
		t.Fatalf("claimed %d, want 2", len(leased))
	}
	j := createJob(ctx, t, store, herald.DeliveryFilter{CustomerID: e.CustomerID}, now)
	res := step(ctx, t, store, j.ID, now.Add(time.Second), 500)
	if !res.Job.Finished() || res.Job.Done != 5 || res.Job.Replayed != 3 || res.Job.Skipped != 2 || len(res.Job.Errors) != 2 {
		t.Fatalf("job = %+v, want 3 replayed, 2 skipped with errors", res.Job)
	}
	// The leases still hold: the attempts in flight can record.
	record(ctx, t, store, &herald.AttemptRecord{Lease: leased[0].Lease, State: herald.DeliveryStateDelivered,
		Attempt: &herald.Attempt{DeliveryID: ds[1].ID, Number: 1, At: now, StatusCode: 200}})
	if got := getDelivery(ctx, t, store, ds[1].ID); got.State != herald.DeliveryStateDelivered {
		t.Fatalf("leased delivery = %s, want delivered by its own attempt", got.State)
	}
	// An expired lease is not a reason to skip.
	j = createJob(ctx, t, store, herald.DeliveryFilter{CustomerID: e.CustomerID, States: []herald.DeliveryState{herald.DeliveryStatePending}}, now.Add(time.Hour))
	res = step(ctx, t, store, j.ID, now.Add(time.Hour), 500)
	if res.Job.Replayed != 4 || res.Job.Skipped != 0 {
		t.Fatalf("job after the lease expired = %+v, want 4 replayed", res.Job)
	}
}

func exerciseReplayJobErrors(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	c := testfactory.Customer(ctx, t, store, nil)
	err := store.ReplayJobCreate(ctx, &herald.ReplayJob{CustomerID: "nobody"}, base)
	requireCode(t, err, herald.ENOTFOUND)
	err = store.ReplayJobCreate(ctx, &herald.ReplayJob{CustomerID: c.ID, Filter: herald.DeliveryFilter{States: []herald.DeliveryState{"lost"}}}, base)
	requireCode(t, err, herald.EINVALID)
	_, err = store.ReplayJobGet(ctx, "rpl_nope")
	requireCode(t, err, herald.ENOTFOUND)
	_, err = store.ReplayJobStep(ctx, "rpl_nope", base, 500)
	requireCode(t, err, herald.ENOTFOUND)
	// A job with nothing to do completes at its first step.
	j := createJob(ctx, t, store, herald.DeliveryFilter{CustomerID: c.ID}, base)
	if j.Total != 0 {
		t.Fatalf("total = %d, want 0", j.Total)
	}
	_, err = store.ReplayJobStep(ctx, j.ID, base, 0)
	requireCode(t, err, herald.EINVALID)
	if res := step(ctx, t, store, j.ID, base, 500); !res.Job.Finished() || res.Job.Done != 0 {
		t.Fatalf("empty job = %+v, want completed", res.Job)
	}
}
