package storetest

import (
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
