package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

// exerciseAttemptStatsLatencyClasses checks that a store counts an attempt
// in the class herald.AttemptLatencyClass gives it, at and just past every
// bound: the stores' statements spell the bounds out, so a change of
// herald.AttemptLatencyBounds must reach them.
func exerciseAttemptStatsLatencyClasses(t *testing.T, setup recoverySetupFunc) {
	ctx, store := setup(t)
	e := testfactory.Endpoint(ctx, t, store, nil)
	p := &herald.AttemptStatsParams{CustomerID: e.CustomerID, Since: base, Until: base.Add(time.Hour), Bucket: time.Hour}
	want := herald.NewAttemptSeries("", p)
	at := base
	for _, bound := range herald.AttemptLatencyBounds {
		for _, latency := range []time.Duration{bound, bound + time.Nanosecond} {
			at = at.Add(time.Second)
			healthAttempt(ctx, t, store, e, at, 200, latency, herald.DeliveryStateDelivered)
			want.Buckets[0].Add(herald.AttemptLatencyClass(latency), 1, 1, 0)
		}
	}
	// Every scope: a store may have statements of its own for each.
	for name, scope := range map[string]herald.AttemptStatsParams{
		"customer":       {CustomerID: e.CustomerID},
		"endpoint":       {CustomerID: e.CustomerID, EndpointID: e.ID},
		"every customer": {},
	} {
		scope.Since, scope.Until, scope.Bucket = p.Since, p.Until, p.Bucket
		got, err := store.AttemptStats(ctx, &scope)
		requireNoError(t, "attempt stats of "+name, err)
		requireNoDiff(t, name+" series", got, []*herald.AttemptSeries{want})
	}
}
