package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// RecoveryStore is a store with endpoint health, operator events and replay
// jobs beside the event queue, as the sqlite and postgres stores are.
type RecoveryStore interface {
	herald.Store
	herald.HealthStore
	herald.ReplayStore
}

type recoverySetupFunc func(t *testing.T) (context.Context, RecoveryStore)

// exerciseHealth runs the herald.HealthStore suite. newStore must return a
// new, empty, migrated store for each call and close it when t ends.
func exerciseHealth(t *testing.T, newStore func(t *testing.T) RecoveryStore) {
	t.Helper()
	setup := func(t *testing.T) (context.Context, RecoveryStore) {
		t.Helper()
		return t.Context(), newStore(t)
	}
	t.Run("EndpointHealthList", func(t *testing.T) { t.Parallel(); exerciseEndpointHealthList(t, setup) })
	t.Run("EndpointFailingList", func(t *testing.T) { t.Parallel(); exerciseEndpointFailingList(t, setup) })
	t.Run("HealthScan", func(t *testing.T) { t.Parallel(); exerciseHealthScan(t, setup) })
	t.Run("OperatorEvent", func(t *testing.T) { t.Parallel(); exerciseOperatorEvent(t, setup) })
	t.Run("OperatorEventFilters", func(t *testing.T) { t.Parallel(); exerciseOperatorEventFilters(t, setup) })
	t.Run("AttemptStats", func(t *testing.T) { t.Parallel(); exerciseAttemptStats(t, setup) })
	t.Run("AttemptStatsLatencyClasses", func(t *testing.T) { t.Parallel(); exerciseAttemptStatsLatencyClasses(t, setup) })
	t.Run("PageLimits", func(t *testing.T) { t.Parallel(); exercisePageLimits(t, setup) })
}

// healthAttempt publishes one event for e at at, and records one attempt of
// its delivery at at with the status and latency given, leaving the
// delivery in state (pending: due an hour later).
func healthAttempt(ctx context.Context, t *testing.T, store herald.Store, e *herald.Endpoint, at time.Time, status int, latency time.Duration, state herald.DeliveryState) *herald.Delivery {
	t.Helper()
	var d *herald.Delivery
	for _, x := range publishAt(ctx, t, store, e, at) {
		if x.EndpointID == e.ID {
			d = x
		}
	}
	if d == nil {
		t.Fatalf("no delivery for endpoint %s", e.ID)
	}
	attemptAgain(ctx, t, store, d, at, status, latency, state)
	return d
}

// attemptAgain records one more attempt of d at at.
func attemptAgain(ctx context.Context, t *testing.T, store herald.Store, d *herald.Delivery, at time.Time, status int, latency time.Duration, state herald.DeliveryState) {
	t.Helper()
	cs := claimIDs(ctx, t, store, at, d.ID)
	if len(cs) != 1 {
		t.Fatalf("claimed %d deliveries of %s, want 1", len(cs), d.ID)
	}
	a := &herald.Attempt{DeliveryID: d.ID, Number: cs[0].Attempts + 1, At: at, StatusCode: status, Latency: latency}
	if status < 200 || (status >= 300 && status != 303) {
		a.Error = "failed with " + statusText(status)
	}
	rec := &herald.AttemptRecord{Lease: cs[0].Lease, Attempt: a, State: state}
	if state == herald.DeliveryStatePending {
		rec.NextAttemptAt = at.Add(time.Hour)
	}
	record(ctx, t, store, rec)
}

func statusText(status int) string {
	if status == 0 {
		return "no reply"
	}
	return strconv.Itoa(status)
}

func healthList(ctx context.Context, t *testing.T, store herald.HealthStore, customerID, endpointID string, since time.Time) []*herald.EndpointHealth {
	t.Helper()
	hs, err := store.EndpointHealthList(ctx, &herald.EndpointHealthParams{CustomerID: customerID, EndpointID: endpointID, Since: since})
	requireNoError(t, "list endpoint health", err)
	return hs
}

func exerciseEndpointHealthList(t *testing.T, setup recoverySetupFunc) {
	t.Run("WindowAndStreak", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		quiet := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID})
		ms := time.Millisecond
		// Before the window: counted in LastSuccessAt only.
		healthAttempt(ctx, t, store, e, base.Add(-2*time.Hour), 200, 9*time.Second, herald.DeliveryStateDelivered)
		healthAttempt(ctx, t, store, e, base.Add(1*time.Minute), 200, 100*ms, herald.DeliveryStateDelivered)
		healthAttempt(ctx, t, store, e, base.Add(2*time.Minute), 303, 200*ms, herald.DeliveryStateDelivered)
		healthAttempt(ctx, t, store, e, base.Add(3*time.Minute), 400, 300*ms, herald.DeliveryStateRejected)
		healthAttempt(ctx, t, store, e, base.Add(4*time.Minute), 500, 400*ms, herald.DeliveryStatePending)
		last := healthAttempt(ctx, t, store, e, base.Add(5*time.Minute), 0, 500*ms, herald.DeliveryStatePending)

		hs := healthList(ctx, t, store, e.CustomerID, "", base)
		if len(hs) != 2 || hs[0].EndpointID != e.ID || hs[1].EndpointID != quiet.ID {
			t.Fatalf("health list = %d entries, want %s then %s", len(hs), e.ID, quiet.ID)
		}
		got := hs[0]
		want := &herald.EndpointHealth{
			EndpointID: e.ID, CustomerID: e.CustomerID, Since: base,
			Attempts: 5, Succeeded: 2, Rejected: 1, Failed: 2,
			LatencyAvg: 300 * ms, LatencyP50: 300 * ms,
			LastAttemptAt: base.Add(5 * time.Minute), LastSuccessAt: base.Add(3 * time.Minute),
			LastFailureAt: base.Add(5 * time.Minute), LastStatusCode: 0,
			LastError: getDelivery(ctx, t, store, last.ID).LastError, FailingSince: base.Add(4 * time.Minute),
		}
		requireNoDiff(t, "health", got, want)
		if r := got.SuccessRate(); r != 0.4 {
			t.Fatalf("success rate = %v, want 0.4", r)
		}
		requireNoDiff(t, "quiet endpoint's health", hs[1], &herald.EndpointHealth{EndpointID: quiet.ID, CustomerID: e.CustomerID, Since: base})

		one := healthList(ctx, t, store, e.CustomerID, e.ID, base)
		requireNoDiff(t, "one endpoint's health", one, []*herald.EndpointHealth{want})

		// A healthy attempt ends the streak.
		attemptAgain(ctx, t, store, last, base.Add(6*time.Minute), 200, 100*ms, herald.DeliveryStateDelivered)
		h := healthList(ctx, t, store, e.CustomerID, e.ID, base)[0]
		if !h.FailingSince.IsZero() || !h.LastSuccessAt.Equal(base.Add(6*time.Minute)) || h.LastError != want.LastError {
			t.Fatalf("after a success: failing since %v, last success %v, last error %q; want zero, %v, %q",
				h.FailingSince, h.LastSuccessAt, h.LastError, base.Add(6*time.Minute), want.LastError)
		}
	})
	t.Run("OutOfOrderRecords", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		// A failure at +10m is recorded before a success at +5m: the
		// streak started after the success, at +10m.
		healthAttempt(ctx, t, store, e, base.Add(10*time.Minute), 503, 0, herald.DeliveryStatePending)
		healthAttempt(ctx, t, store, e, base.Add(5*time.Minute), 200, 0, herald.DeliveryStateDelivered)
		h := healthList(ctx, t, store, e.CustomerID, e.ID, base)[0]
		if !h.FailingSince.Equal(base.Add(10 * time.Minute)) {
			t.Fatalf("failing since = %v, want %v", h.FailingSince, base.Add(10*time.Minute))
		}
		// A failure older than the last success starts no streak.
		f := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID})
		healthAttempt(ctx, t, store, f, base.Add(10*time.Minute), 200, 0, herald.DeliveryStateDelivered)
		healthAttempt(ctx, t, store, f, base.Add(5*time.Minute), 503, 0, herald.DeliveryStatePending)
		h = healthList(ctx, t, store, f.CustomerID, f.ID, base)[0]
		if !h.FailingSince.IsZero() || h.LastStatusCode != 503 {
			t.Fatalf("failing since = %v, last status %d; want zero, 503", h.FailingSince, h.LastStatusCode)
		}
	})
	t.Run("BatchOfAttempts", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		// The dispatcher records attempts in batches: one batch here holds
		// five attempts of e and two of f, whose streak began three hours
		// before it.
		e := testfactory.Endpoint(ctx, t, store, nil)
		f := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID})
		healthAttempt(ctx, t, store, f, base.Add(-3*time.Hour), 503, 0, herald.DeliveryStatePending)
		var recs []*herald.AttemptRecord
		for _, try := range []struct {
			endpoint *herald.Endpoint
			minute   int
			status   int
		}{{e, 1, 503}, {e, 2, 500}, {f, 2, 502}, {e, 3, 200}, {e, 4, 0}, {f, 3, 200}, {e, 5, 503}} {
			at := base.Add(time.Duration(try.minute) * time.Minute)
			var d *herald.Delivery
			for _, x := range publishAt(ctx, t, store, try.endpoint, at) {
				if x.EndpointID == try.endpoint.ID {
					d = x
				}
			}
			cs := claimIDs(ctx, t, store, at, d.ID)
			if len(cs) != 1 {
				t.Fatalf("claimed %d deliveries of %s, want 1", len(cs), d.ID)
			}
			rec := &herald.AttemptRecord{Lease: cs[0].Lease, State: herald.DeliveryStateDelivered,
				Attempt: &herald.Attempt{DeliveryID: d.ID, Number: 1, At: at, StatusCode: try.status}}
			if try.status != 200 {
				rec.Attempt.Error = "failed with " + statusText(try.status)
				rec.State, rec.NextAttemptAt = herald.DeliveryStatePending, at.Add(time.Hour)
			}
			recs = append(recs, rec)
		}
		record(ctx, t, store, recs...)

		// e: its failures before the success at +3m end with it; the
		// streak is the one after it.
		h := healthList(ctx, t, store, e.CustomerID, e.ID, base)[0]
		requireNoDiff(t, "e's health", []time.Time{h.LastAttemptAt, h.LastSuccessAt, h.LastFailureAt, h.FailingSince},
			[]time.Time{base.Add(5 * time.Minute), base.Add(3 * time.Minute), base.Add(5 * time.Minute), base.Add(4 * time.Minute)})
		if h.LastStatusCode != 503 || h.LastError != "failed with 503" {
			t.Fatalf("e's last failure: %d %q, want 503 %q", h.LastStatusCode, h.LastError, "failed with 503")
		}
		// f: the success at +3m ends its three-hour streak, which the
		// scan reports as a recovery at +3m.
		h = healthList(ctx, t, store, f.CustomerID, f.ID, base)[0]
		requireNoDiff(t, "f's health", []time.Time{h.LastAttemptAt, h.LastSuccessAt, h.LastFailureAt, h.FailingSince},
			[]time.Time{base.Add(3 * time.Minute), base.Add(3 * time.Minute), base.Add(2 * time.Minute), {}})
		if h.LastStatusCode != 502 || h.LastError != "failed with 502" {
			t.Fatalf("f's last failure: %d %q, want 502 %q", h.LastStatusCode, h.LastError, "failed with 502")
		}
		evs := scan(ctx, t, store, base.Add(time.Hour))
		requireEvents(t, evs, herald.OperatorEventEndpointRecovered, f.ID)
		if !evs[0].At.Equal(base.Add(3 * time.Minute)) {
			t.Fatalf("recovered at = %v, want %v", evs[0].At, base.Add(3*time.Minute))
		}
	})
	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		other := testfactory.Endpoint(ctx, t, store, nil)
		_, err := store.EndpointHealthList(ctx, &herald.EndpointHealthParams{CustomerID: e.CustomerID, EndpointID: other.ID, Since: base})
		requireCode(t, err, herald.ENOTFOUND)
		_, err = store.EndpointHealthList(ctx, &herald.EndpointHealthParams{CustomerID: e.CustomerID})
		requireCode(t, err, herald.EINVALID)
		_, err = store.EndpointHealthList(ctx, &herald.EndpointHealthParams{Since: base})
		requireCode(t, err, herald.EINVALID)
	})
}

func exerciseEndpointFailingList(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	long := testfactory.Endpoint(ctx, t, store, nil)
	recent := testfactory.Endpoint(ctx, t, store, nil)
	healthy := testfactory.Endpoint(ctx, t, store, nil)
	off := testfactory.Endpoint(ctx, t, store, nil)
	day := 24 * time.Hour
	healthAttempt(ctx, t, store, long, base, 500, 0, herald.DeliveryStatePending)
	healthAttempt(ctx, t, store, long, base.Add(3*day), 500, 0, herald.DeliveryStatePending)
	healthAttempt(ctx, t, store, recent, base.Add(3*day), 500, 0, herald.DeliveryStatePending)
	healthAttempt(ctx, t, store, healthy, base, 500, 0, herald.DeliveryStatePending)
	healthAttempt(ctx, t, store, healthy, base.Add(day), 200, 0, herald.DeliveryStateDelivered)
	healthAttempt(ctx, t, store, off, base, 500, 0, herald.DeliveryStatePending)
	requireNoError(t, "disable", store.EndpointDisable(ctx, off.ID, "", base.Add(time.Minute)))

	hs, err := store.EndpointFailingList(ctx, base.Add(day))
	requireNoError(t, "list failing endpoints", err)
	if len(hs) != 1 || hs[0].EndpointID != long.ID || !hs[0].FailingSince.Equal(base) || hs[0].CustomerID != long.CustomerID {
		t.Fatalf("failing endpoints = %+v, want only %s failing since %v", hs, long.ID, base)
	}
	hs, err = store.EndpointFailingList(ctx, base.Add(3*day))
	requireNoError(t, "list failing endpoints", err)
	if len(hs) != 2 || hs[0].EndpointID != long.ID || hs[1].EndpointID != recent.ID {
		t.Fatalf("failing endpoints = %d, want %s and %s", len(hs), long.ID, recent.ID)
	}
}

func scan(ctx context.Context, t *testing.T, store herald.HealthStore, now time.Time) []*herald.OperatorEvent {
	t.Helper()
	res, err := store.HealthScan(ctx, &herald.HealthScanParams{Now: now, RecoveredAfter: time.Hour, DeadSettle: 5 * time.Minute})
	requireNoError(t, "health scan", err)
	return res.Events
}

// requireEvents fails t unless evs are of the given types for the given
// endpoints, in order.
func requireEvents(t *testing.T, evs []*herald.OperatorEvent, want ...any) {
	t.Helper()
	if len(evs)*2 != len(want) {
		t.Fatalf("recorded %d events (%+v), want %d", len(evs), evs, len(want)/2)
	}
	for i, ev := range evs {
		if ev.Type != want[2*i].(herald.OperatorEventType) || ev.EndpointID != want[2*i+1].(string) {
			t.Fatalf("event %d = %s for %s, want %s for %s", i, ev.Type, ev.EndpointID, want[2*i], want[2*i+1])
		}
	}
}

func exerciseHealthScan(t *testing.T, setup recoverySetupFunc) {
	t.Run("DisabledAndReenabled", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		gone := testfactory.Endpoint(ctx, t, store, nil)
		byHand := testfactory.Endpoint(ctx, t, store, nil)
		healthAttempt(ctx, t, store, gone, base, 500, 0, herald.DeliveryStatePending)
		requireNoError(t, "disable", store.EndpointDisable(ctx, gone.ID, "the partner answered 410 Gone", base.Add(time.Minute)))
		requireNoError(t, "disable", store.EndpointDisable(ctx, byHand.ID, "", base.Add(time.Minute)))

		evs := scan(ctx, t, store, base.Add(2*time.Minute))
		requireEvents(t, evs, herald.OperatorEventEndpointDisabled, gone.ID)
		ev := evs[0]
		if ev.Detail != "the partner answered 410 Gone" || !ev.At.Equal(base.Add(time.Minute)) || ev.CustomerID != gone.CustomerID ||
			!ev.CreatedAt.Equal(base.Add(2*time.Minute)) || ev.DeliveryID != "" {
			t.Fatalf("event = %+v", ev)
		}
		requireEvents(t, scan(ctx, t, store, base.Add(3*time.Minute)))
		h := healthList(ctx, t, store, gone.CustomerID, gone.ID, base)[0]
		if !h.DisabledAt.Equal(base.Add(time.Minute)) {
			t.Fatalf("disabled at = %v, want %v", h.DisabledAt, base.Add(time.Minute))
		}

		// Enabled again: recovered, and the old streak no longer counts.
		ep, err := store.EndpointGet(ctx, gone.ID)
		requireNoError(t, "get endpoint", err)
		ep.Enabled = true
		requireNoError(t, "update endpoint", store.EndpointUpdate(ctx, ep))
		evs = scan(ctx, t, store, base.Add(4*time.Minute))
		requireEvents(t, evs, herald.OperatorEventEndpointRecovered, gone.ID)
		requireEvents(t, scan(ctx, t, store, base.Add(5*time.Minute)))
		failing, err := store.EndpointFailingList(ctx, base.Add(time.Hour))
		requireNoError(t, "list failing", err)
		if len(failing) != 0 {
			t.Fatalf("failing after re-enable = %d endpoints, want 0", len(failing))
		}
		h = healthList(ctx, t, store, gone.CustomerID, gone.ID, base)[0]
		if !h.DisabledAt.Equal(base.Add(time.Minute)) {
			t.Fatalf("disabled at after re-enable = %v, want it kept", h.DisabledAt)
		}

		// Disabled again later: a new event.
		requireNoError(t, "disable", store.EndpointDisable(ctx, gone.ID, "again", base.Add(6*time.Minute)))
		requireEvents(t, scan(ctx, t, store, base.Add(7*time.Minute)), herald.OperatorEventEndpointDisabled, gone.ID)
	})
	t.Run("RecoveredAfterStreak", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		long := testfactory.Endpoint(ctx, t, store, nil)
		blip := testfactory.Endpoint(ctx, t, store, nil)
		d := healthAttempt(ctx, t, store, long, base, 503, 0, herald.DeliveryStatePending)
		attemptAgain(ctx, t, store, d, base.Add(2*time.Hour), 200, 0, herald.DeliveryStateDelivered)
		d = healthAttempt(ctx, t, store, blip, base, 503, 0, herald.DeliveryStatePending)
		attemptAgain(ctx, t, store, d, base.Add(10*time.Minute), 200, 0, herald.DeliveryStateDelivered)

		evs := scan(ctx, t, store, base.Add(3*time.Hour))
		requireEvents(t, evs, herald.OperatorEventEndpointRecovered, long.ID)
		if !evs[0].At.Equal(base.Add(2 * time.Hour)) {
			t.Fatalf("recovered at = %v, want %v", evs[0].At, base.Add(2*time.Hour))
		}
		requireEvents(t, scan(ctx, t, store, base.Add(4*time.Hour)))
	})
	t.Run("DeliveryDead", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		// The first scan sets the mark: deaths before it are history.
		requireEvents(t, scan(ctx, t, store, base))
		d1 := healthAttempt(ctx, t, store, e, base.Add(time.Minute), 503, 0, herald.DeliveryStateDead)
		d2 := healthAttempt(ctx, t, store, e, base.Add(2*time.Minute), 0, 0, herald.DeliveryStateDead)
		healthAttempt(ctx, t, store, e, base.Add(2*time.Minute), 500, 0, herald.DeliveryStatePending)

		// Not settled yet.
		requireEvents(t, scan(ctx, t, store, base.Add(3*time.Minute)))
		evs := scan(ctx, t, store, base.Add(6*time.Minute))
		requireEvents(t, evs, herald.OperatorEventDeliveryDead, e.ID)
		if evs[0].DeliveryID != d1.ID || evs[0].Detail != getDelivery(ctx, t, store, d1.ID).LastError {
			t.Fatalf("dead event = %+v, want delivery %s", evs[0], d1.ID)
		}
		evs = scan(ctx, t, store, base.Add(8*time.Minute))
		requireEvents(t, evs, herald.OperatorEventDeliveryDead, e.ID)
		if evs[0].DeliveryID != d2.ID {
			t.Fatalf("dead event for %s, want %s", evs[0].DeliveryID, d2.ID)
		}
		requireEvents(t, scan(ctx, t, store, base.Add(time.Hour)))

		// Replayed and dead again: a new event.
		_, err := store.DeliveryRetry(ctx, d1.ID, base.Add(2*time.Hour))
		requireNoError(t, "retry", err)
		attemptAgain(ctx, t, store, d1, base.Add(2*time.Hour), 503, 0, herald.DeliveryStateDead)
		evs = scan(ctx, t, store, base.Add(3*time.Hour))
		requireEvents(t, evs, herald.OperatorEventDeliveryDead, e.ID)
	})
	t.Run("DeadLimit", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		requireEvents(t, scan(ctx, t, store, base))
		for i := range 5 {
			healthAttempt(ctx, t, store, e, base.Add(time.Minute), 503+i%2, 0, herald.DeliveryStateDead)
		}
		seen := map[string]bool{}
		for i, wantMore := range []bool{true, true, false} {
			res, err := store.HealthScan(ctx, &herald.HealthScanParams{Now: base.Add(time.Hour), DeadSettle: time.Minute, Limit: 2})
			requireNoError(t, "health scan", err)
			if res.More != wantMore {
				t.Fatalf("scan %d: more = %v, want %v", i, res.More, wantMore)
			}
			for _, ev := range res.Events {
				if seen[ev.DeliveryID] {
					t.Fatalf("delivery %s reported twice", ev.DeliveryID)
				}
				seen[ev.DeliveryID] = true
			}
		}
		if len(seen) != 5 {
			t.Fatalf("reported %d dead deliveries, want 5", len(seen))
		}
	})
}

func exerciseOperatorEvent(t *testing.T, setup recoverySetupFunc) {
	t.Run("List", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, nil)
		requireEvents(t, scan(ctx, t, store, base))
		healthAttempt(ctx, t, store, a, base.Add(time.Minute), 503, 0, herald.DeliveryStateDead)
		healthAttempt(ctx, t, store, a, base.Add(time.Minute), 503, 0, herald.DeliveryStateDead)
		requireNoError(t, "disable", store.EndpointDisable(ctx, a.ID, "gone", base.Add(2*time.Minute)))
		requireNoError(t, "disable", store.EndpointDisable(ctx, b.ID, "gone", base.Add(2*time.Minute)))
		if n := len(scan(ctx, t, store, base.Add(time.Hour))); n != 4 {
			t.Fatalf("scan recorded %d events, want 4", n)
		}

		list := func(p *herald.OperatorEventListParams) *herald.OperatorEventListResult {
			t.Helper()
			res, err := store.OperatorEventList(ctx, p)
			requireNoError(t, "list operator events", err)
			return res
		}
		all := list(&herald.OperatorEventListParams{})
		if len(all.Events) != 4 || all.NextCursor != "" {
			t.Fatalf("listed %d events (cursor %q), want 4 and no cursor", len(all.Events), all.NextCursor)
		}
		for i := 1; i < len(all.Events); i++ {
			if all.Events[i-1].ID <= all.Events[i].ID {
				t.Fatalf("events are not newest first")
			}
		}
		if got := list(&herald.OperatorEventListParams{CustomerID: a.CustomerID}).Events; len(got) != 3 {
			t.Fatalf("customer a has %d events, want 3", len(got))
		}
		if got := list(&herald.OperatorEventListParams{Type: herald.OperatorEventDeliveryDead}).Events; len(got) != 2 {
			t.Fatalf("%d delivery.dead events, want 2", len(got))
		}
		if got := list(&herald.OperatorEventListParams{Since: base.Add(2 * time.Hour)}).Events; len(got) != 0 {
			t.Fatalf("%d events since later, want 0", len(got))
		}
		p1 := list(&herald.OperatorEventListParams{Limit: 3})
		p2 := list(&herald.OperatorEventListParams{Limit: 3, Cursor: p1.NextCursor})
		if len(p1.Events) != 3 || p1.NextCursor == "" || len(p2.Events) != 1 || p2.NextCursor != "" || p2.Events[0].ID != all.Events[3].ID {
			t.Fatalf("pages of 3: %d (cursor %q) then %d", len(p1.Events), p1.NextCursor, len(p2.Events))
		}
		_, err := store.OperatorEventList(ctx, &herald.OperatorEventListParams{Cursor: "nope"})
		requireCode(t, err, herald.EINVALID)
		_, err = store.OperatorEventList(ctx, &herald.OperatorEventListParams{Type: "endpoint.exploded"})
		requireCode(t, err, herald.EINVALID)
	})
	t.Run("Send", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, nil)
		requireNoError(t, "disable", store.EndpointDisable(ctx, a.ID, "gone", base))
		requireNoError(t, "disable", store.EndpointDisable(ctx, b.ID, "gone", base))
		evs := scan(ctx, t, store, base.Add(time.Minute))
		now := base.Add(time.Minute)

		claimed, err := store.OperatorEventClaimUnsent(ctx, now, now.Add(time.Minute), 10)
		requireNoError(t, "claim", err)
		// Both were recorded in one millisecond, so their order is the
		// random part of their ids.
		if len(claimed) != 2 || len(evs) != 2 || claimed[0].ID == claimed[1].ID ||
			(claimed[0].ID != evs[0].ID && claimed[0].ID != evs[1].ID) || (claimed[1].ID != evs[0].ID && claimed[1].ID != evs[1].ID) {
			t.Fatalf("claimed %d events, want both", len(claimed))
		}
		again, err := store.OperatorEventClaimUnsent(ctx, now.Add(time.Second), now.Add(time.Minute), 10)
		requireNoError(t, "claim", err)
		if len(again) != 0 {
			t.Fatalf("claimed %d leased events, want 0", len(again))
		}
		requireNoError(t, "record sent", store.OperatorEventRecordSend(ctx, &herald.OperatorEventSendRecord{ID: evs[0].ID, At: now, Sent: true}))
		requireNoError(t, "record failure", store.OperatorEventRecordSend(ctx, &herald.OperatorEventSendRecord{
			ID: evs[1].ID, At: now, Error: "503 Service Unavailable", NextAttemptAt: now.Add(10 * time.Second)}))
		claimed, err = store.OperatorEventClaimUnsent(ctx, now.Add(10*time.Second), now.Add(time.Minute), 10)
		requireNoError(t, "claim", err)
		if len(claimed) != 1 || claimed[0].ID != evs[1].ID || claimed[0].SendAttempts != 1 || claimed[0].LastSendError != "503 Service Unavailable" {
			t.Fatalf("claimed %+v, want the failed event again", claimed)
		}
		requireNoError(t, "record abandon", store.OperatorEventRecordSend(ctx, &herald.OperatorEventSendRecord{
			ID: evs[1].ID, At: now, Error: "timeout"}))
		claimed, err = store.OperatorEventClaimUnsent(ctx, now.Add(time.Hour), now.Add(2*time.Hour), 10)
		requireNoError(t, "claim", err)
		if len(claimed) != 0 {
			t.Fatalf("claimed %d events after sent and abandoned, want 0", len(claimed))
		}
		res, err := store.OperatorEventList(ctx, &herald.OperatorEventListParams{})
		requireNoError(t, "list", err)
		byID := map[string]*herald.OperatorEvent{}
		for _, ev := range res.Events {
			byID[ev.ID] = ev
		}
		if s := byID[evs[0].ID]; !s.SentAt.Equal(now) || s.SendAttempts != 1 || s.SendAbandoned {
			t.Fatalf("sent event = %+v", s)
		}
		if f := byID[evs[1].ID]; !f.SentAt.IsZero() || f.SendAttempts != 2 || !f.SendAbandoned || f.LastSendError != "timeout" {
			t.Fatalf("abandoned event = %+v", f)
		}
		requireCode(t, store.OperatorEventRecordSend(ctx, &herald.OperatorEventSendRecord{ID: "opev_nope", Sent: true}), herald.ENOTFOUND)
	})
}
