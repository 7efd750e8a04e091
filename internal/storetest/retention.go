package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// RetentionStore is a store that purges old events, as the sqlite and
// postgres stores are.
type RetentionStore interface {
	herald.Store
	herald.RetentionStore
}

// exerciseRetention runs the herald.RetentionStore suite. newStore must
// return a new, empty, migrated store for each call and close it when t
// ends.
func exerciseRetention(t *testing.T, newStore func(t *testing.T) RetentionStore) {
	t.Helper()
	setup := func(t *testing.T) (context.Context, RetentionStore) {
		t.Helper()
		return t.Context(), newStore(t)
	}
	t.Run("CustomerRetention", func(t *testing.T) { t.Parallel(); exerciseCustomerRetention(t, setup) })
	t.Run("Purge", func(t *testing.T) { t.Parallel(); exercisePurge(t, setup) })
	t.Run("PurgeQueueDepth", func(t *testing.T) { t.Parallel(); exercisePurgeQueueDepth(t, setup) })
}

// exercisePurgeQueueDepth checks that a purge removes the queue depth
// samples older than herald.QueueDepthRetention, whatever the customers'
// retention, and keeps the others.
func exercisePurgeQueueDepth(t *testing.T, setup retentionSetupFunc) {
	ctx, store := setup(t)
	qd, ok := store.(herald.QueueDepthStore)
	if !ok {
		t.Skip("the store does not implement herald.QueueDepthStore")
	}
	e := testfactory.Endpoint(ctx, t, store, nil)
	publishAt(ctx, t, store, e, base)
	now := base.Add(30 * day)
	old, kept := now.Add(-herald.QueueDepthRetention-time.Minute), now.Add(-herald.QueueDepthRetention+time.Minute)
	for _, at := range []time.Time{old, kept} {
		if n, err := qd.QueueDepthSample(ctx, at); err != nil || n != 1 {
			t.Fatalf("sample at %v: %d rows, %v; want 1", at, n, err)
		}
	}
	// The customer keeps its events for a year: samples go anyway.
	requireNoError(t, "set retention", store.CustomerRetentionSet(ctx, e.CustomerID, 365))
	res, err := store.Purge(ctx, &herald.PurgeParams{Now: now, DefaultRetention: 30 * day})
	requireNoError(t, "purge", err)
	if res.QueueDepthSamples != 1 {
		t.Fatalf("purged %d samples, want 1", res.QueueDepthSamples)
	}
	got, err := qd.QueueDepthList(ctx, &herald.QueueDepthParams{Since: old.Truncate(time.Minute), Until: now, Bucket: day})
	requireNoError(t, "list", err)
	if len(got) != 1 || !got[0].Start.Equal(old.Truncate(time.Minute)) || got[0].Pending != 1 {
		t.Fatalf("samples after purge: %+v; want the recent one only", got)
	}
}

type retentionSetupFunc func(t *testing.T) (context.Context, RetentionStore)

const day = 24 * time.Hour

// finish claims the deliveries at at and records one attempt each, made
// at at, that leaves them in state (pending: due again an hour later).
func finish(ctx context.Context, t *testing.T, store herald.Store, at time.Time, state herald.DeliveryState, ds ...*herald.Delivery) {
	t.Helper()
	ids := deliveryIDs(ds)
	cs := claimIDs(ctx, t, store, at, ids...)
	if len(cs) != len(ids) {
		t.Fatalf("claimed %d of %d deliveries", len(cs), len(ids))
	}
	status := map[herald.DeliveryState]int{
		herald.DeliveryStateDelivered: 200, herald.DeliveryStateRejected: 400,
		herald.DeliveryStateFailed: 410, herald.DeliveryStateDead: 503, herald.DeliveryStatePending: 500,
	}[state]
	var recs []*herald.AttemptRecord
	for _, c := range cs {
		r := &herald.AttemptRecord{Lease: c.Lease, Attempt: fullAttempt(c.ID, c.Attempts+1, at, status), State: state}
		if state == herald.DeliveryStatePending {
			r.NextAttemptAt = at.Add(time.Hour)
		}
		recs = append(recs, r)
	}
	record(ctx, t, store, recs...)
}

// requireEventGone fails t unless the event and its deliveries are gone.
func requireEventGone(ctx context.Context, t *testing.T, store herald.Store, res *herald.EventPublishResult) {
	t.Helper()
	_, err := store.EventGet(ctx, res.Event.ID)
	requireCode(t, err, herald.ENOTFOUND)
	for _, d := range res.Deliveries {
		_, err := store.DeliveryGet(ctx, d.ID)
		requireCode(t, err, herald.ENOTFOUND)
	}
	ds, err := store.DeliveryListForEvent(ctx, res.Event.ID)
	requireNoError(t, "list deliveries of a purged event", err)
	if len(ds) != 0 {
		t.Fatalf("purged event %s still has %d deliveries", res.Event.ID, len(ds))
	}
}

// requireEventKept fails t unless the event, its body and every delivery
// with attemptsEach attempts in its log are still there.
func requireEventKept(ctx context.Context, t *testing.T, store herald.Store, res *herald.EventPublishResult, attemptsEach int) {
	t.Helper()
	ev, err := store.EventGet(ctx, res.Event.ID)
	requireNoError(t, "get kept event", err)
	if len(ev.BodyGzip) == 0 {
		t.Fatalf("kept event %s lost its body", ev.ID)
	}
	for _, d := range res.Deliveries {
		got := getDelivery(ctx, t, store, d.ID)
		if len(got.AttemptLog) != attemptsEach {
			t.Fatalf("kept delivery %s has %d attempts in its log, want %d", d.ID, len(got.AttemptLog), attemptsEach)
		}
	}
}

func purge(ctx context.Context, t *testing.T, store herald.RetentionStore, p *herald.PurgeParams) *herald.PurgeResult {
	t.Helper()
	res, err := store.Purge(ctx, p)
	requireNoError(t, "purge", err)
	return res
}

func exerciseCustomerRetention(t *testing.T, setup retentionSetupFunc) {
	t.Run("GetSet", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := testfactory.Customer(ctx, t, store, nil)
		days, err := store.CustomerRetentionGet(ctx, c.ID)
		requireNoError(t, "get retention", err)
		if days != 0 {
			t.Fatalf("new customer's retention = %d days, want 0 (the server default)", days)
		}
		for _, want := range []int{7, herald.MaxRetentionDays, 0} {
			requireNoError(t, "set retention", store.CustomerRetentionSet(ctx, c.ID, want))
			got, err := store.CustomerRetentionGet(ctx, c.ID)
			requireNoError(t, "get retention", err)
			if got != want {
				t.Fatalf("retention = %d days, want %d", got, want)
			}
		}
	})
	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := testfactory.Customer(ctx, t, store, nil)
		requireCode(t, store.CustomerRetentionSet(ctx, c.ID, -1), herald.EINVALID)
		requireCode(t, store.CustomerRetentionSet(ctx, c.ID, herald.MaxRetentionDays+1), herald.EINVALID)
	})
	t.Run("UnknownCustomer", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		_, err := store.CustomerRetentionGet(ctx, "nobody")
		requireCode(t, err, herald.ENOTFOUND)
		requireCode(t, store.CustomerRetentionSet(ctx, "nobody", 7), herald.ENOTFOUND)
	})
}

func exercisePurge(t *testing.T, setup retentionSetupFunc) {
	now := base
	params := func(at time.Time) *herald.PurgeParams {
		return &herald.PurgeParams{Now: at, DefaultRetention: 30 * day}
	}

	t.Run("OldGoesRecentStays", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := testfactory.Customer(ctx, t, store, nil)
		for range 2 {
			testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: c.ID})
		}
		publish := func(at time.Time) *herald.EventPublishResult {
			t.Helper()
			res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: c.ID, CreatedAt: at})
			if len(res.Deliveries) != 2 {
				t.Fatalf("event has %d deliveries, want 2", len(res.Deliveries))
			}
			return res
		}
		old := now.Add(-40 * day)

		// Old and done: delivered to one endpoint, rejected by the other.
		oldDone := publish(old)
		finish(ctx, t, store, old.Add(time.Minute), herald.DeliveryStateDelivered, oldDone.Deliveries[0])
		finish(ctx, t, store, old.Add(time.Minute), herald.DeliveryStateRejected, oldDone.Deliveries[1])
		// Old, one delivery done, the other still retrying: kept whole.
		oldPending := publish(old.Add(time.Second))
		finish(ctx, t, store, old.Add(time.Minute), herald.DeliveryStateDelivered, oldPending.Deliveries[0])
		finish(ctx, t, store, old.Add(time.Minute), herald.DeliveryStatePending, oldPending.Deliveries[1])
		// Old, but a person retried it yesterday: its log is recent.
		oldRetried := publish(old.Add(2 * time.Second))
		finish(ctx, t, store, old.Add(time.Minute), herald.DeliveryStateDead, oldRetried.Deliveries...)
		for _, d := range oldRetried.Deliveries {
			_, err := store.DeliveryRetry(ctx, d.ID, now.Add(-day))
			requireNoError(t, "retry", err)
		}
		finish(ctx, t, store, now.Add(-day), herald.DeliveryStateDelivered, oldRetried.Deliveries...)
		// Old and never attempted: still pending, as first published.
		oldUntried := publish(old.Add(3 * time.Second))
		// Exactly as old as the retention: not older, so kept.
		edge := publish(now.Add(-30 * day))
		finish(ctx, t, store, now.Add(-30*day), herald.DeliveryStateDelivered, edge.Deliveries...)
		// Recent and done.
		recent := publish(now.Add(-day))
		finish(ctx, t, store, now.Add(-day), herald.DeliveryStateDelivered, recent.Deliveries...)

		got := purge(ctx, t, store, params(now))
		requireNoDiff(t, "purge result", got, &herald.PurgeResult{Events: 1, Deliveries: 2, Attempts: 2, Batches: 1})
		requireEventGone(ctx, t, store, oldDone)
		requireEventKept(ctx, t, store, oldPending, 1)
		requireEventKept(ctx, t, store, oldRetried, 2)
		requireEventKept(ctx, t, store, oldUntried, 0)
		requireEventKept(ctx, t, store, edge, 1)
		requireEventKept(ctx, t, store, recent, 1)

		list, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: c.ID, Limit: 100})
		requireNoError(t, "list deliveries", err)
		if len(list.Deliveries) != 10 {
			t.Fatalf("customer has %d deliveries after the purge, want 10", len(list.Deliveries))
		}

		// A second purge at the same instant finds nothing.
		requireNoDiff(t, "second purge result", purge(ctx, t, store, params(now)), &herald.PurgeResult{})

		// A month on, everything final has aged out; the pending ones stay
		// however old they are.
		got = purge(ctx, t, store, params(now.Add(30*day)))
		requireNoDiff(t, "purge a month later", got, &herald.PurgeResult{Events: 3, Deliveries: 6, Attempts: 8, Batches: 1})
		for _, res := range []*herald.EventPublishResult{oldRetried, edge, recent} {
			requireEventGone(ctx, t, store, res)
		}
		requireEventKept(ctx, t, store, oldPending, 1)
		requireEventKept(ctx, t, store, oldUntried, 0)

		// Once the last delivery ends, the event goes a period later.
		finish(ctx, t, store, now.Add(31*day), herald.DeliveryStateDelivered, oldPending.Deliveries[1])
		requireNoDiff(t, "purge before the period ends", purge(ctx, t, store, params(now.Add(60*day))), &herald.PurgeResult{})
		got = purge(ctx, t, store, params(now.Add(62*day)))
		requireNoDiff(t, "purge after the period", got, &herald.PurgeResult{Events: 1, Deliveries: 2, Attempts: 3, Batches: 1})
		requireEventGone(ctx, t, store, oldPending)
	})

	t.Run("PerCustomer", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		type fixture struct {
			days        int
			old, recent *herald.EventPublishResult
		}
		fixtures := []*fixture{{days: 7}, {days: 0}, {days: 60}}
		for _, f := range fixtures {
			c := testfactory.Customer(ctx, t, store, nil)
			requireNoError(t, "set retention", store.CustomerRetentionSet(ctx, c.ID, f.days))
			testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: c.ID})
			for _, p := range []struct {
				res **herald.EventPublishResult
				age time.Duration
			}{{&f.old, 40 * day}, {&f.recent, 10 * day}} {
				*p.res = testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: c.ID, CreatedAt: now.Add(-p.age)})
				finish(ctx, t, store, now.Add(-p.age), herald.DeliveryStateDelivered, (*p.res).Deliveries...)
			}
		}
		got := purge(ctx, t, store, params(now))
		// 7 days: both go. The default 30: the old one goes. 60: both stay.
		requireNoDiff(t, "purge result", got, &herald.PurgeResult{Events: 3, Deliveries: 3, Attempts: 3, Batches: 2})
		requireEventGone(ctx, t, store, fixtures[0].old)
		requireEventGone(ctx, t, store, fixtures[0].recent)
		requireEventGone(ctx, t, store, fixtures[1].old)
		requireEventKept(ctx, t, store, fixtures[1].recent, 1)
		requireEventKept(ctx, t, store, fixtures[2].old, 1)
		requireEventKept(ctx, t, store, fixtures[2].recent, 1)
	})

	t.Run("Batches", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		old := now.Add(-40 * day)
		// The oldest events are pending and stay: batches must step past
		// them to the events after, not stop at a head that never goes.
		var pending, done []*herald.EventPublishResult
		for i := range 8 {
			res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: old.Add(time.Duration(i) * time.Second)})
			if i < 3 {
				pending = append(pending, res)
				continue
			}
			finish(ctx, t, store, old.Add(time.Minute), herald.DeliveryStateDelivered, res.Deliveries...)
			done = append(done, res)
		}
		p := params(now)
		p.BatchSize = 2
		got := purge(ctx, t, store, p)
		// Batches of candidates: {p, p} removes nothing; {p, d}, {d, d},
		// {d, d} remove 1, 2 and 2.
		requireNoDiff(t, "purge result", got, &herald.PurgeResult{Events: 5, Deliveries: 5, Attempts: 5, Batches: 3})
		for _, res := range done {
			requireEventGone(ctx, t, store, res)
		}
		for _, res := range pending {
			requireEventKept(ctx, t, store, res, 0)
		}
	})

	t.Run("Invalid", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		_, err := store.Purge(ctx, &herald.PurgeParams{Now: now})
		requireCode(t, err, herald.EINVALID)
		_, err = store.Purge(ctx, &herald.PurgeParams{Now: now, DefaultRetention: day, BatchSize: -1})
		requireCode(t, err, herald.EINVALID)
	})

	t.Run("StopsWhenContextEnds", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: now.Add(-40 * day)})
		cancelled, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := store.Purge(cancelled, params(now)); err == nil {
			t.Fatal("purge with an ended context returned no error")
		}
	})
}
