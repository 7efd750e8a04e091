package storetest

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// claimOne publishes one event for a new endpoint, claims its delivery at
// base and returns it.
func claimOne(ctx context.Context, t *testing.T, store herald.Store) *herald.ClaimedDelivery {
	t.Helper()
	e := testfactory.Endpoint(ctx, t, store, nil)
	publishAt(ctx, t, store, e, base)
	cs := claim(ctx, t, store, base, 1)
	if len(cs) != 1 {
		t.Fatalf("claimed %d deliveries, want 1", len(cs))
	}
	return cs[0]
}

func getDelivery(ctx context.Context, t *testing.T, store herald.Store, id string) *herald.Delivery {
	t.Helper()
	d, err := store.DeliveryGet(ctx, id)
	requireNoError(t, "get delivery", err)
	return d
}

func record(ctx context.Context, t *testing.T, store herald.Store, recs ...*herald.AttemptRecord) {
	t.Helper()
	requireNoError(t, "record attempts", store.DeliveryRecordAttempts(ctx, recs))
}

// fullAttempt is an attempt with every field set.
func fullAttempt(id string, number int, at time.Time, status int) *herald.Attempt {
	return &herald.Attempt{
		DeliveryID:        id,
		Number:            number,
		At:                at,
		StatusCode:        status,
		Location:          "https://partner.example/continue/42",
		UserMessage:       "The assessment could not be started.",
		DebugErrorMessage: "candidate 42: missing email",
		Error:             fmt.Sprintf("partner answered %d", status),
		Latency:           1234567 * time.Microsecond,
		ResponseBody:      `{"errors":[{"errorMessage":"missing email"}]}`,
		RequestHeaders: map[string]string{
			"Content-Type":     "application/json",
			"Content-Encoding": "gzip",
			"Authorization":    "REDACTED",
			"Herald-Attempt":   fmt.Sprint(number),
		},
	}
}

func exerciseDeliveryRecordAttempts(t *testing.T, setup setupFunc) {
	// A 410 Gone turns the endpoint off in the transaction that records
	// the attempt (AttemptRecord.DisableEndpoint), as EndpointDisable does.
	t.Run("GoneDisablesEndpoint", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		at := base.Add(2 * time.Second)
		const why = "the partner answered 410 Gone"
		record(ctx, t, store, &herald.AttemptRecord{
			Lease: c.Lease, Attempt: fullAttempt(c.ID, 1, at, 410), State: herald.DeliveryStateFailed,
			DisableEndpoint: why,
		})
		e, err := store.EndpointGet(ctx, c.EndpointID)
		requireNoError(t, "get endpoint", err)
		if e.Enabled || e.DisabledReason != why || e.DisabledBy != herald.DisabledByHealthMonitor || e.DisabledAt.IsZero() {
			t.Fatalf("endpoint after a recorded 410: enabled %t, reason %q, by %q, at %v; want off, %q, %q, a time",
				e.Enabled, e.DisabledReason, e.DisabledBy, e.DisabledAt, why, herald.DisabledByHealthMonitor)
		}
		if d := getDelivery(ctx, t, store, c.ID); d.State != herald.DeliveryStateFailed || d.Attempts != 1 {
			t.Fatalf("delivery %s with %d attempts, want failed with 1", d.State, d.Attempts)
		}
	})
	t.Run("Transitions", func(t *testing.T) {
		t.Parallel()
		at := base.Add(2 * time.Second)
		for _, tc := range []struct {
			name     string
			state    herald.DeliveryState
			status   int
			location string
		}{
			{"Delivered", herald.DeliveryStateDelivered, 200, ""},
			{"DeliveredWithLocation", herald.DeliveryStateDelivered, 303, "https://partner.example/continue/42"},
			{"Rejected", herald.DeliveryStateRejected, 400, ""},
			{"Failed", herald.DeliveryStateFailed, 410, ""},
			{"Dead", herald.DeliveryStateDead, 503, ""},
			{"RetryLater", herald.DeliveryStatePending, 500, ""},
		} {
			t.Run(tc.name, func(t *testing.T) {
				t.Parallel()
				ctx, store := setup(t)
				c := claimOne(ctx, t, store)
				next := at.Add(5 * time.Second)
				rec := &herald.AttemptRecord{
					Lease:         c.Lease,
					Attempt:       fullAttempt(c.ID, 1, at, tc.status),
					State:         tc.state,
					NextAttemptAt: next,
					Location:      tc.location,
				}
				record(ctx, t, store, rec)

				d := getDelivery(ctx, t, store, c.ID)
				if d.State != tc.state || d.Attempts != 1 || d.ScheduleAttempts != 1 {
					t.Fatalf("state %s, attempts %d/%d; want %s, 1/1", d.State, d.Attempts, d.ScheduleAttempts, tc.state)
				}
				if !d.LastAttemptAt.Equal(at) || d.LastStatusCode != tc.status || d.LastError != rec.Attempt.Error {
					t.Fatalf("last attempt %v, %d, %q; want %v, %d, %q", d.LastAttemptAt, d.LastStatusCode, d.LastError, at, tc.status, rec.Attempt.Error)
				}
				if d.Location != tc.location {
					t.Fatalf("Location = %q, want %q", d.Location, tc.location)
				}
				requireNoDiff(t, "attempt log", d.AttemptLog, []*herald.Attempt{rec.Attempt})

				if tc.state == herald.DeliveryStatePending {
					if !d.NextAttemptAt.Equal(next) {
						t.Fatalf("NextAttemptAt = %v, want %v", d.NextAttemptAt, next)
					}
					// Due at next, not before; the lease is over.
					if cs := claim(ctx, t, store, next.Add(-time.Millisecond), 10); len(cs) != 0 {
						t.Fatalf("claimed a retry before it was due")
					}
					again := claim(ctx, t, store, next, 10)
					requireIDs(t, "retry claim", claimedIDs(again), []string{c.ID})
					rec2 := &herald.AttemptRecord{Lease: again[0].Lease, Attempt: fullAttempt(c.ID, 2, next, 200), State: herald.DeliveryStateDelivered}
					record(ctx, t, store, rec2)
					d = getDelivery(ctx, t, store, c.ID)
					if d.State != herald.DeliveryStateDelivered || d.Attempts != 2 || d.ScheduleAttempts != 2 {
						t.Fatalf("after the second attempt: %s, %d/%d; want delivered, 2/2", d.State, d.Attempts, d.ScheduleAttempts)
					}
					requireNoDiff(t, "attempt log", d.AttemptLog, []*herald.Attempt{rec.Attempt, rec2.Attempt})
					return
				}
				// A final delivery is never due again.
				if cs := claim(ctx, t, store, next.Add(365*24*time.Hour), 10); len(cs) != 0 {
					t.Fatalf("claimed a %s delivery", tc.state)
				}
				// Recording again with the spent lease changes nothing.
				record(ctx, t, store, &herald.AttemptRecord{Lease: c.Lease, Attempt: fullAttempt(c.ID, 1, at, 200), State: herald.DeliveryStatePending, NextAttemptAt: at})
				if d2 := getDelivery(ctx, t, store, c.ID); d2.State != tc.state || d2.Attempts != 1 {
					t.Fatalf("a spent lease changed the delivery: %s, %d attempts", d2.State, d2.Attempts)
				}
			})
		}
	})

	t.Run("AttemptStoredInFull", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		a := fullAttempt(c.ID, 1, base.Add(time.Second), 400)
		a.ResponseBody = "line one\nline two \u00e9\u4e16"
		record(ctx, t, store, &herald.AttemptRecord{Lease: c.Lease, Attempt: a, State: herald.DeliveryStateRejected})
		d := getDelivery(ctx, t, store, c.ID)
		requireNoDiff(t, "attempt log", d.AttemptLog, []*herald.Attempt{a})
	})

	t.Run("StaleLeaseKeepsAttemptOnly", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		// The lease runs out and another node claims the delivery.
		later := base.Add(lease)
		cs := claim(ctx, t, store, later, 1)
		requireIDs(t, "second claim", claimedIDs(cs), []string{c.ID})
		current := cs[0]

		stale := fullAttempt(c.ID, 1, later.Add(time.Second), 200)
		record(ctx, t, store, &herald.AttemptRecord{Lease: c.Lease, Attempt: stale, State: herald.DeliveryStateDelivered})
		d := getDelivery(ctx, t, store, c.ID)
		if d.State != herald.DeliveryStatePending || d.Attempts != 0 || d.ScheduleAttempts != 0 || !d.LastAttemptAt.IsZero() {
			t.Fatalf("a stale lease changed the delivery: %s, %d/%d attempts, last at %v", d.State, d.Attempts, d.ScheduleAttempts, d.LastAttemptAt)
		}
		if !d.NextAttemptAt.Equal(current.LeaseUntil) {
			t.Fatalf("NextAttemptAt = %v, want the current lease's end %v", d.NextAttemptAt, current.LeaseUntil)
		}
		requireNoDiff(t, "attempt log", d.AttemptLog, []*herald.Attempt{stale})
		// Still leased to the second node.
		if cs := claim(ctx, t, store, later.Add(time.Second), 1); len(cs) != 0 {
			t.Fatalf("a stale record ended the current lease")
		}

		// The current lease records normally.
		fresh := fullAttempt(c.ID, 1, later.Add(2*time.Second), 500)
		record(ctx, t, store, &herald.AttemptRecord{Lease: current.Lease, Attempt: fresh, State: herald.DeliveryStateDead})
		d = getDelivery(ctx, t, store, c.ID)
		if d.State != herald.DeliveryStateDead || d.Attempts != 1 {
			t.Fatalf("current lease: %s, %d attempts; want dead, 1", d.State, d.Attempts)
		}
		requireNoDiff(t, "attempt log", d.AttemptLog, []*herald.Attempt{stale, fresh})
	})

	t.Run("NoAttempt", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		record(ctx, t, store, &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateFailed, Error: "endpoint deleted"})
		d := getDelivery(ctx, t, store, c.ID)
		if d.State != herald.DeliveryStateFailed || d.Attempts != 0 || d.ScheduleAttempts != 0 || d.LastError != "endpoint deleted" {
			t.Fatalf("got %s, %d/%d attempts, LastError %q; want failed, 0/0, %q", d.State, d.Attempts, d.ScheduleAttempts, d.LastError, "endpoint deleted")
		}
		if len(d.AttemptLog) != 0 || !d.LastAttemptAt.IsZero() {
			t.Fatalf("a record without an attempt logged %d attempts, LastAttemptAt %v", len(d.AttemptLog), d.LastAttemptAt)
		}
	})

	// A record for a delivery that is gone (purged while its attempt ran)
	// is skipped; the rest of its batch is recorded, not failed with it.
	t.Run("UnknownDelivery", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		at := base.Add(time.Second)
		gone := herald.NewID(herald.IDPrefixDelivery, base)
		record(ctx, t, store,
			&herald.AttemptRecord{Lease: herald.DeliveryLease{DeliveryID: gone, Token: c.Lease.Token},
				State: herald.DeliveryStateDelivered, Attempt: fullAttempt(gone, 1, at, 200)},
			&herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateDelivered, Attempt: fullAttempt(c.ID, 1, at, 200)})
		d := getDelivery(ctx, t, store, c.ID)
		if d.State != herald.DeliveryStateDelivered || len(d.AttemptLog) != 1 {
			t.Fatalf("got %s with %d attempts logged, want delivered with 1", d.State, len(d.AttemptLog))
		}
		if _, err := store.DeliveryGet(ctx, gone); herald.ErrorCode(err) != herald.ENOTFOUND {
			t.Fatalf("the unknown delivery: %v, want not found", err)
		}
	})

	t.Run("Batch", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		publishAt(ctx, t, store, e, base, base, base, base, base, base)
		cs := claim(ctx, t, store, base, 10)
		if len(cs) != 6 {
			t.Fatalf("claimed %d, want 6", len(cs))
		}
		states := []herald.DeliveryState{
			herald.DeliveryStateDelivered, herald.DeliveryStateRejected, herald.DeliveryStateDead,
			herald.DeliveryStatePending, herald.DeliveryStateDelivered, herald.DeliveryStateFailed,
		}
		var recs []*herald.AttemptRecord
		for i, c := range cs {
			r := &herald.AttemptRecord{Lease: c.Lease, State: states[i], NextAttemptAt: base.Add(time.Hour)}
			if states[i] != herald.DeliveryStateFailed {
				r.Attempt = fullAttempt(c.ID, 1, base.Add(time.Second), 200)
			}
			recs = append(recs, r)
		}
		record(ctx, t, store, recs...)
		for i, c := range cs {
			if d := getDelivery(ctx, t, store, c.ID); d.State != states[i] {
				t.Fatalf("delivery %d: %s, want %s", i, d.State, states[i])
			}
		}
		requireNoError(t, "record nothing", store.DeliveryRecordAttempts(ctx, nil))
	})
}

func exerciseDeliveryRelease(t *testing.T, setup setupFunc) {
	t.Run("Release", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		publishAt(ctx, t, store, e, base, base, base)
		cs := claim(ctx, t, store, base, 10)
		if len(cs) != 3 {
			t.Fatalf("claimed %d, want 3", len(cs))
		}
		now := base.Add(time.Second)
		wrong := herald.DeliveryLease{DeliveryID: cs[2].ID, Token: "not-the-token"}
		requireNoError(t, "release", store.DeliveryRelease(ctx, []herald.DeliveryLease{cs[0].Lease, cs[1].Lease, wrong}, now))

		d := getDelivery(ctx, t, store, cs[0].ID)
		if d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(now) || d.Attempts != 0 {
			t.Fatalf("released delivery: %s due %v, %d attempts; want pending due %v, 0", d.State, d.NextAttemptAt, d.Attempts, now)
		}
		// The released lease is spent: it can no longer record.
		record(ctx, t, store, &herald.AttemptRecord{Lease: cs[0].Lease, State: herald.DeliveryStateFailed, Error: "late"})
		if d := getDelivery(ctx, t, store, cs[0].ID); d.State != herald.DeliveryStatePending || d.LastError != "" {
			t.Fatalf("a released lease recorded a result: %s %q", d.State, d.LastError)
		}

		// Released ones are due at now; the one with a wrong token is
		// still leased.
		requireIDs(t, "claim after release", claimedIDs(claim(ctx, t, store, now, 10)), []string{cs[0].ID, cs[1].ID})
		requireNoError(t, "release nothing", store.DeliveryRelease(ctx, nil, now))
	})

	t.Run("ReleaseOrphans", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base, base, base, base, base)
		cs := claim(ctx, t, store, base, 3)
		now := base.Add(time.Second)

		n, err := store.DeliveryReleaseOrphans(ctx, now)
		requireNoError(t, "release orphans", err)
		if n != 3 {
			t.Fatalf("released %d orphans, want 3", n)
		}
		n, err = store.DeliveryReleaseOrphans(ctx, now)
		requireNoError(t, "release orphans again", err)
		if n != 0 {
			t.Fatalf("released %d orphans the second time, want 0", n)
		}
		// The old leases are spent, and every delivery is due at now.
		record(ctx, t, store, &herald.AttemptRecord{Lease: cs[0].Lease, State: herald.DeliveryStateFailed, Error: "late"})
		if d := getDelivery(ctx, t, store, cs[0].ID); d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(now) {
			t.Fatalf("orphan after release: %s due %v; want pending due %v", d.State, d.NextAttemptAt, now)
		}
		requireIDs(t, "claim after release", claimedIDs(claim(ctx, t, store, now, 10)), deliveryIDs(ds))
	})
}

func exerciseDeliveryRetry(t *testing.T, setup setupFunc) {
	t.Run("FromFinalStates", func(t *testing.T) {
		t.Parallel()
		for _, state := range []herald.DeliveryState{
			herald.DeliveryStateDelivered, herald.DeliveryStateRejected, herald.DeliveryStateFailed, herald.DeliveryStateDead,
		} {
			t.Run(string(state), func(t *testing.T) {
				t.Parallel()
				ctx, store := setup(t)
				c := claimOne(ctx, t, store)
				record(ctx, t, store, &herald.AttemptRecord{Lease: c.Lease, Attempt: fullAttempt(c.ID, 1, base, 200), State: state})

				now := base.Add(time.Hour)
				d, err := store.DeliveryRetry(ctx, c.ID, now)
				requireNoError(t, "retry", err)
				if d.ID != c.ID || d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(now) || d.ScheduleAttempts != 0 || d.Attempts != 1 {
					t.Fatalf("after retry: %s %s due %v, attempts %d/%d; want pending due %v, 1/0", d.ID, d.State, d.NextAttemptAt, d.Attempts, d.ScheduleAttempts, now)
				}
				// The contract does not say whether the result carries the
				// attempt log; the stored delivery is the same either way.
				stored := getDelivery(ctx, t, store, c.ID)
				stored.AttemptLog, d.AttemptLog = nil, nil
				requireNoDiff(t, "stored delivery", stored, d)

				cs := claim(ctx, t, store, now, 10)
				requireIDs(t, "claim after retry", claimedIDs(cs), []string{c.ID})
				record(ctx, t, store, &herald.AttemptRecord{Lease: cs[0].Lease, Attempt: fullAttempt(c.ID, 2, now, 500), State: herald.DeliveryStatePending, NextAttemptAt: now.Add(time.Minute)})
				if d := getDelivery(ctx, t, store, c.ID); d.Attempts != 2 || d.ScheduleAttempts != 1 {
					t.Fatalf("attempts after retry = %d/%d, want 2/1", d.Attempts, d.ScheduleAttempts)
				}
			})
		}
	})

	t.Run("ConflictWhileLeased", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		_, err := store.DeliveryRetry(ctx, c.ID, base.Add(time.Second))
		requireCode(t, err, herald.ECONFLICT)

		// Once the lease has run out the retry goes through, and the
		// expired lease can no longer record.
		now := base.Add(lease + time.Second)
		d, err := store.DeliveryRetry(ctx, c.ID, now)
		requireNoError(t, "retry after lease expiry", err)
		if d.State != herald.DeliveryStatePending || !d.NextAttemptAt.Equal(now) {
			t.Fatalf("after retry: %s due %v", d.State, d.NextAttemptAt)
		}
		record(ctx, t, store, &herald.AttemptRecord{Lease: c.Lease, Attempt: fullAttempt(c.ID, 1, now, 200), State: herald.DeliveryStateDelivered})
		if d := getDelivery(ctx, t, store, c.ID); d.State != herald.DeliveryStatePending || d.Attempts != 0 {
			t.Fatalf("an expired lease recorded over a retry: %s, %d attempts", d.State, d.Attempts)
		}
	})

	t.Run("PendingNotLeased", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		ds := publishAt(ctx, t, store, e, base.Add(time.Hour))
		d, err := store.DeliveryRetry(ctx, ds[0].ID, base)
		requireNoError(t, "retry", err)
		if !d.NextAttemptAt.Equal(base) {
			t.Fatalf("NextAttemptAt = %v, want %v", d.NextAttemptAt, base)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		_, err := store.DeliveryRetry(ctx, "dlv_nothing", base)
		requireCode(t, err, herald.ENOTFOUND)
	})
}

func exerciseDeliveryGet(t *testing.T, setup setupFunc) {
	t.Run("AttemptLogOldestFirst", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		c := claimOne(ctx, t, store)
		var want []*herald.Attempt
		now := base
		lease := c.Lease
		for i := 1; i <= 3; i++ {
			a := fullAttempt(c.ID, i, now.Add(time.Second), 500+i)
			want = append(want, a)
			record(ctx, t, store, &herald.AttemptRecord{Lease: lease, Attempt: a, State: herald.DeliveryStatePending, NextAttemptAt: now.Add(time.Minute)})
			now = now.Add(time.Minute)
			cs := claim(ctx, t, store, now, 1)
			if len(cs) != 1 {
				t.Fatalf("retry %d not claimable", i)
			}
			lease = cs[0].Lease
		}
		d := getDelivery(ctx, t, store, c.ID)
		requireNoDiff(t, "attempt log", d.AttemptLog, want)
		if d.Attempts != 3 || d.LastStatusCode != 503 {
			t.Fatalf("Attempts %d, LastStatusCode %d; want 3, 503", d.Attempts, d.LastStatusCode)
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		_, err := store.DeliveryGet(ctx, "dlv_nothing")
		requireCode(t, err, herald.ENOTFOUND)
	})

	t.Run("ListForEvent", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: a.CustomerID})
		res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: a.CustomerID, CreatedAt: base})
		publishAt(ctx, t, store, a, base) // another event's deliveries
		cs := claim(ctx, t, store, base, 10)
		var recs []*herald.AttemptRecord
		for _, c := range cs {
			recs = append(recs, &herald.AttemptRecord{Lease: c.Lease, Attempt: fullAttempt(c.ID, 1, base, 200), State: herald.DeliveryStateDelivered})
		}
		record(ctx, t, store, recs...)

		ds, err := store.DeliveryListForEvent(ctx, res.Event.ID)
		requireNoError(t, "list deliveries of event", err)
		requireIDs(t, "deliveries of event", deliveryIDs(ds), deliveryIDs(res.Deliveries))
		for _, d := range ds {
			if d.EventID != res.Event.ID || len(d.AttemptLog) != 1 || d.AttemptLog[0].DeliveryID != d.ID {
				t.Fatalf("delivery %s of event %s with %d attempts", d.ID, d.EventID, len(d.AttemptLog))
			}
		}

		ds, err = store.DeliveryListForEvent(ctx, "evt_nothing")
		requireNoError(t, "list deliveries of an unknown event", err)
		if len(ds) != 0 {
			t.Fatalf("unknown event has %d deliveries", len(ds))
		}
	})
}

func exerciseDeliveryList(t *testing.T, setup setupFunc) {
	t.Run("PagesNewestFirst", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID})
		var ats []time.Time
		for i := range 23 {
			ats = append(ats, base.Add(time.Duration(i)*time.Second))
		}
		all := publishAt(ctx, t, store, e, ats...) // 46 deliveries

		var got []*herald.Delivery
		cursor := ""
		for page := 0; ; page++ {
			if page > 20 {
				t.Fatalf("pagination does not end")
			}
			res, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: e.CustomerID, Limit: 5, Cursor: cursor})
			requireNoError(t, "list deliveries", err)
			if len(res.Deliveries) > 5 {
				t.Fatalf("page of %d, limit 5", len(res.Deliveries))
			}
			for _, d := range res.Deliveries {
				if len(d.AttemptLog) != 0 {
					t.Fatalf("DeliveryList returned an attempt log")
				}
			}
			got = append(got, res.Deliveries...)
			if res.NextCursor == "" {
				break
			}
			if len(res.Deliveries) != 5 {
				t.Fatalf("short page (%d) with a next cursor", len(res.Deliveries))
			}
			cursor = res.NextCursor
		}
		requireIDs(t, "every delivery once", deliveryIDs(got), deliveryIDs(all))
		seen := map[string]bool{}
		for i, d := range got {
			if seen[d.ID] {
				t.Fatalf("delivery %s listed twice", d.ID)
			}
			seen[d.ID] = true
			if i > 0 && d.CreatedAt.After(got[i-1].CreatedAt) {
				t.Fatalf("not newest first: %v after %v", d.CreatedAt, got[i-1].CreatedAt)
			}
		}
	})

	t.Run("DefaultLimit", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		var batch []*herald.Event
		for i := range 60 {
			batch = append(batch, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}))
		}
		_, err := store.EventPublish(ctx, batch)
		requireNoError(t, "publish", err)
		res, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: e.CustomerID})
		requireNoError(t, "list deliveries", err)
		if len(res.Deliveries) != 50 || res.NextCursor == "" {
			t.Fatalf("default page: %d deliveries, cursor %q; want 50 and a cursor", len(res.Deliveries), res.NextCursor)
		}
	})

	t.Run("Filters", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: a.CustomerID})
		cust := a.CustomerID
		var all []*herald.Delivery
		for i, typ := range []wire.EventType{wire.EventTypeAssessment, wire.EventTypeRemoteLogin, wire.EventTypeAssessment, wire.EventTypeJobPostToWeb} {
			res := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: cust, Type: typ, CreatedAt: base.Add(time.Duration(i) * time.Minute)})
			all = append(all, res.Deliveries...)
		}
		// Deliver the ones for a, of the first two events.
		cs := claim(ctx, t, store, base.Add(90*time.Second), 10, b.ID)
		var recs []*herald.AttemptRecord
		for _, c := range cs {
			recs = append(recs, &herald.AttemptRecord{Lease: c.Lease, Attempt: fullAttempt(c.ID, 1, base, 200), State: herald.DeliveryStateDelivered})
		}
		record(ctx, t, store, recs...)

		match := func(f func(d *herald.Delivery) bool) []string {
			var out []string
			for _, d := range all {
				if f(d) {
					out = append(out, d.ID)
				}
			}
			return out
		}
		delivered := claimedIDs(cs)
		for _, tc := range []struct {
			name string
			p    herald.DeliveryListParams
			want []string
		}{
			{"All", herald.DeliveryListParams{}, deliveryIDs(all)},
			{"Delivered", herald.DeliveryListParams{States: []herald.DeliveryState{herald.DeliveryStateDelivered}}, delivered},
			{"PendingOrDead", herald.DeliveryListParams{States: []herald.DeliveryState{herald.DeliveryStatePending, herald.DeliveryStateDead}},
				match(func(d *herald.Delivery) bool { return !slices.Contains(delivered, d.ID) })},
			{"EventType", herald.DeliveryListParams{EventType: wire.EventTypeAssessment},
				match(func(d *herald.Delivery) bool { return d.EventType == wire.EventTypeAssessment })},
			{"Endpoint", herald.DeliveryListParams{EndpointID: b.ID},
				match(func(d *herald.Delivery) bool { return d.EndpointID == b.ID })},
			{"Since", herald.DeliveryListParams{Since: base.Add(time.Minute)},
				match(func(d *herald.Delivery) bool { return !d.CreatedAt.Before(base.Add(time.Minute)) })},
			{"Until", herald.DeliveryListParams{Until: base.Add(2 * time.Minute)},
				match(func(d *herald.Delivery) bool { return d.CreatedAt.Before(base.Add(2 * time.Minute)) })},
			{"SinceUntil", herald.DeliveryListParams{Since: base.Add(time.Minute), Until: base.Add(2 * time.Minute)},
				match(func(d *herald.Delivery) bool { return d.CreatedAt.Equal(base.Add(time.Minute)) })},
			{"Combined", herald.DeliveryListParams{EventType: wire.EventTypeAssessment, EndpointID: a.ID, States: []herald.DeliveryState{herald.DeliveryStatePending}},
				match(func(d *herald.Delivery) bool {
					return d.EventType == wire.EventTypeAssessment && d.EndpointID == a.ID && !slices.Contains(delivered, d.ID)
				})},
		} {
			p := tc.p
			p.CustomerID = cust
			res, err := store.DeliveryList(ctx, &p)
			requireNoError(t, tc.name, err)
			if res.NextCursor != "" {
				t.Fatalf("%s: a next cursor on the only page", tc.name)
			}
			if tc.want == nil {
				tc.want = []string{}
			}
			requireIDs(t, tc.name, deliveryIDs(res.Deliveries), tc.want)
		}
	})

	t.Run("Search", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{
			EventTypes: []wire.EventType{wire.EventTypeAssessment, wire.EventTypeWorkFlowStatusChange}})
		other := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeAssessment}})
		cust := e.CustomerID
		body := func(typ wire.EventType, customer, fields string) []byte {
			return []byte(`{"customerId":"` + customer + `","eventType":"` + string(typ) + `",` + fields + `}`)
		}
		// Application Complete: the person is the userId (the candidate).
		apply := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: cust, Type: wire.EventTypeAssessment, CreatedAt: base,
			Body: body(wire.EventTypeAssessment, cust, `"systemId":"12391385","userId":"1239"`)})
		// Status Flow Update: the person is personId; userId is the recruiter.
		move := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: cust, Type: wire.EventTypeWorkFlowStatusChange,
			NewStatus: "D10104", CreatedAt: base.Add(time.Minute),
			Body: body(wire.EventTypeWorkFlowStatusChange, cust, `"systemId":"13437","userId":"9059","personId":"1239","newStatus":"D10104"`)})
		// Another customer's event with the same ids is never found.
		testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: other.CustomerID, Type: wire.EventTypeAssessment, CreatedAt: base,
			Body: body(wire.EventTypeAssessment, other.CustomerID, `"systemId":"12391385","userId":"1239"`)})
		// Keys are any text, matched whole and exactly.
		odd := testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: cust, Type: wire.EventTypeAssessment, CreatedAt: base.Add(2 * time.Minute),
			Body: body(wire.EventTypeAssessment, cust, `"systemId":"ABC-123 ü","userId":"x\"y"`)})
		for _, tc := range []struct {
			name string
			p    herald.DeliveryListParams
			want []string
		}{
			{"EventID", herald.DeliveryListParams{EventID: move.Event.ID}, deliveryIDs(move.Deliveries)},
			{"DeliveryID", herald.DeliveryListParams{DeliveryID: apply.Deliveries[0].ID}, deliveryIDs(apply.Deliveries)},
			{"SystemID", herald.DeliveryListParams{SystemID: "12391385"}, deliveryIDs(apply.Deliveries)},
			{"PersonID", herald.DeliveryListParams{PersonID: "1239"}, deliveryIDs(append(append([]*herald.Delivery{}, apply.Deliveries...), move.Deliveries...))},
			{"RecruiterIsNotThePerson", herald.DeliveryListParams{PersonID: "9059"}, []string{}},
			{"Combined", herald.DeliveryListParams{PersonID: "1239", SystemID: "13437"}, deliveryIDs(move.Deliveries)},
			{"Nothing", herald.DeliveryListParams{SystemID: "nope"}, []string{}},
			{"AnyText", herald.DeliveryListParams{SystemID: "ABC-123 ü"}, deliveryIDs(odd.Deliveries)},
			{"AnyTextPerson", herald.DeliveryListParams{PersonID: `x"y`}, deliveryIDs(odd.Deliveries)},
			{"PartOfAKey", herald.DeliveryListParams{SystemID: "ABC-123"}, []string{}},
			{"PartOfAKeyWord", herald.DeliveryListParams{SystemID: "ABC"}, []string{}},
			{"CaseMatters", herald.DeliveryListParams{SystemID: "abc-123 ü"}, []string{}},
		} {
			p := tc.p
			p.CustomerID = cust
			res, err := store.DeliveryList(ctx, &p)
			requireNoError(t, tc.name, err)
			requireIDs(t, tc.name, deliveryIDs(res.Deliveries), tc.want)
		}
	})

	t.Run("BadCursor", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		cust := testfactory.Customer(ctx, t, store, nil)
		for _, c := range []string{"%%%", "bm90LWEtY3Vyc29y"} {
			_, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: cust.ID, Cursor: c})
			requireCode(t, err, herald.EINVALID)
		}
	})

	t.Run("CustomersSeeOnlyTheirOwn", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, nil)
		da := publishAt(ctx, t, store, a, base, base.Add(time.Second), base.Add(2*time.Second))
		db := publishAt(ctx, t, store, b, base, base.Add(time.Second))

		for _, tc := range []struct {
			e    *herald.Endpoint
			want []*herald.Delivery
		}{{a, da}, {b, db}} {
			res, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: tc.e.CustomerID})
			requireNoError(t, "list deliveries", err)
			requireIDs(t, "deliveries of "+tc.e.CustomerID, deliveryIDs(res.Deliveries), deliveryIDs(tc.want))
		}
		// Asking for another customer's endpoint finds nothing.
		res, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: a.CustomerID, EndpointID: b.ID})
		requireNoError(t, "list deliveries", err)
		if len(res.Deliveries) != 0 {
			t.Fatalf("customer %s sees %d deliveries of another customer's endpoint", a.CustomerID, len(res.Deliveries))
		}
		// So does a cursor taken from the other customer's pages.
		page, err := store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: a.CustomerID, Limit: 1})
		requireNoError(t, "list deliveries", err)
		res, err = store.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: b.CustomerID, Cursor: page.NextCursor})
		if err == nil {
			for _, d := range res.Deliveries {
				if d.CustomerID != b.CustomerID {
					t.Fatalf("a cursor leaked delivery %s of customer %s", d.ID, d.CustomerID)
				}
			}
		}
	})
}
