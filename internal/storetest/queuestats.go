package storetest

import (
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

func exerciseDeliveryQueueStats(t *testing.T, setup setupFunc) {
	t.Run("CountsPendingDueAndDisabled", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		qs, ok := store.(herald.QueueStatsStore)
		if !ok {
			t.Skip("the store does not implement herald.QueueStatsStore")
		}
		stats := func(now time.Time) herald.QueueStats {
			t.Helper()
			st, err := qs.DeliveryQueueStats(ctx, now)
			requireNoError(t, "queue stats", err)
			return *st
		}
		requireNoDiff(t, "empty store", stats(base), herald.QueueStats{})

		e := testfactory.Endpoint(ctx, t, store, nil)
		publishAt(ctx, t, store, e, base, base.Add(time.Minute), base.Add(2*time.Hour))
		now := base.Add(time.Hour)
		requireNoDiff(t, "three pending, two due", stats(now), herald.QueueStats{Pending: 3, Due: 2, OldestDueAt: base})

		// A leased delivery is pending but not due.
		if cs := claim(ctx, t, store, now, 1); len(cs) != 1 {
			t.Fatalf("claimed %d, want 1", len(cs))
		}
		requireNoDiff(t, "one leased", stats(now), herald.QueueStats{Pending: 3, Due: 1, OldestDueAt: base.Add(time.Minute)})

		testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{Disabled: true})
		requireNoError(t, "disable endpoint", store.EndpointDisable(ctx, e.ID, "410", now))
		got := stats(now)
		if got.DisabledEndpoints != 2 {
			t.Fatalf("DisabledEndpoints = %d, want 2", got.DisabledEndpoints)
		}
	})
}

func exerciseQueueDepth(t *testing.T, setup setupFunc) {
	t.Run("SampleOncePerMinuteAndList", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		qd, ok := store.(herald.QueueDepthStore)
		if !ok {
			t.Skip("the store does not implement herald.QueueDepthStore")
		}
		sample := func(now time.Time, want int) {
			t.Helper()
			n, err := qd.QueueDepthSample(ctx, now)
			requireNoError(t, "sample", err)
			if n != want {
				t.Fatalf("sample at %v wrote %d rows, want %d", now, n, want)
			}
		}
		list := func(p *herald.QueueDepthParams) []herald.QueueDepthSample {
			t.Helper()
			ss, err := qd.QueueDepthList(ctx, p)
			requireNoError(t, "list", err)
			out := []herald.QueueDepthSample{}
			for _, s := range ss {
				out = append(out, *s)
			}
			return out
		}
		m0 := base.Truncate(time.Minute)
		sample(m0, 0) // nothing pending: no row

		a := testfactory.Endpoint(ctx, t, store, nil)
		b := testfactory.Endpoint(ctx, t, store, nil)
		testfactory.Customer(ctx, t, store, nil) // a customer with nothing pending gets no row
		publishAt(ctx, t, store, a, base, base, base.Add(time.Hour))
		publishAt(ctx, t, store, b, base)
		sample(m0.Add(10*time.Second), 2)
		// Another node samples the same minute later: the first sample stays.
		publishAt(ctx, t, store, a, base)
		sample(m0.Add(50*time.Second), 0)
		publishAt(ctx, t, store, b, base)
		sample(m0.Add(time.Minute), 2)
		// A delivered delivery is no longer pending.
		finish(ctx, t, store, base.Add(2*time.Minute), herald.DeliveryStateDelivered, publishAt(ctx, t, store, b, base)...)
		sample(m0.Add(2*time.Minute+59*time.Second), 2)

		// Samples come by bucket, then customer id.
		per := func(start time.Time, na, nb int) []herald.QueueDepthSample {
			sa := herald.QueueDepthSample{Start: start, CustomerID: a.CustomerID, Pending: na}
			sb := herald.QueueDepthSample{Start: start, CustomerID: b.CustomerID, Pending: nb}
			if b.CustomerID < a.CustomerID {
				return []herald.QueueDepthSample{sb, sa}
			}
			return []herald.QueueDepthSample{sa, sb}
		}
		var want []herald.QueueDepthSample
		want = append(want, per(m0, 3, 1)...)
		want = append(want, per(m0.Add(time.Minute), 4, 2)...)
		want = append(want, per(m0.Add(2*time.Minute), 4, 2)...)
		requireNoDiff(t, "per minute", list(&herald.QueueDepthParams{Since: m0, Until: m0.Add(5 * time.Minute), Bucket: time.Minute}), want)

		// Wider buckets keep each customer's largest sample.
		want = append(per(m0, 4, 2), per(m0.Add(2*time.Minute), 4, 2)...)
		requireNoDiff(t, "per two minutes", list(&herald.QueueDepthParams{Since: m0, Until: m0.Add(4 * time.Minute), Bucket: 2 * time.Minute}), want)
		// The span bounds what is read: [Since, Until).
		requireNoDiff(t, "one minute", list(&herald.QueueDepthParams{Since: m0.Add(time.Minute), Until: m0.Add(2 * time.Minute), Bucket: time.Minute}),
			per(m0.Add(time.Minute), 4, 2))
		requireNoDiff(t, "before any sample", list(&herald.QueueDepthParams{Since: m0.Add(-time.Hour), Until: m0, Bucket: time.Minute}),
			[]herald.QueueDepthSample{})

		for name, p := range map[string]*herald.QueueDepthParams{
			"no span":      {Bucket: time.Minute},
			"backwards":    {Since: m0, Until: m0.Add(-time.Minute), Bucket: time.Minute},
			"small bucket": {Since: m0, Until: m0.Add(time.Hour), Bucket: time.Second},
			"too many":     {Since: m0, Until: m0.Add(2 * 24 * time.Hour), Bucket: time.Minute},
		} {
			_, err := qd.QueueDepthList(ctx, p)
			if herald.ErrorCode(err) != herald.EINVALID {
				t.Fatalf("%s: error %v, want invalid", name, err)
			}
		}
		// A deleted customer's samples go with it.
		requireNoError(t, "delete customer", store.CustomerDelete(ctx, a.CustomerID))
		for _, s := range list(&herald.QueueDepthParams{Since: m0, Until: m0.Add(5 * time.Minute), Bucket: time.Minute}) {
			if s.CustomerID == a.CustomerID {
				t.Fatalf("a deleted customer's sample is left: %+v", s)
			}
		}
	})

	t.Run("NodesSamplingOneMinuteWriteItOnce", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		qd, ok := store.(herald.QueueDepthStore)
		if !ok {
			t.Skip("the store does not implement herald.QueueDepthStore")
		}
		for range 3 {
			publishAt(ctx, t, store, testfactory.Endpoint(ctx, t, store, nil), base)
		}
		// Four nodes sample the same minute at once: each (minute,
		// customer) is written by exactly one of them.
		m := base.Truncate(time.Minute)
		written := make(chan int, 4)
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				n, err := qd.QueueDepthSample(ctx, m.Add(time.Duration(i)*time.Second))
				if err != nil {
					t.Errorf("sample: %v", err)
				}
				written <- n
			})
		}
		wg.Wait()
		close(written)
		total := 0
		for n := range written {
			total += n
		}
		got, err := qd.QueueDepthList(ctx, &herald.QueueDepthParams{Since: m, Until: m.Add(time.Minute), Bucket: time.Minute})
		requireNoError(t, "list", err)
		if total != 3 || len(got) != 3 {
			t.Fatalf("four nodes wrote %d samples, %d listed; want 3 and 3", total, len(got))
		}
	})
}
