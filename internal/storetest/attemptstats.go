package storetest

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
)

func exerciseAttemptStats(t *testing.T, setup recoverySetupFunc) {
	t.Run("Buckets", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		quiet := testfactory.Endpoint(ctx, t, store, &testfactory.EndpointOpts{CustomerID: e.CustomerID})
		other := testfactory.Endpoint(ctx, t, store, nil) // another customer
		ms := time.Millisecond
		// Before the span: not counted.
		healthAttempt(ctx, t, store, e, base.Add(-time.Minute), 200, 9*ms, herald.DeliveryStateDelivered)
		// Bucket 0 (base, base+1h): three attempts.
		healthAttempt(ctx, t, store, e, base.Add(1*time.Minute), 200, 3*ms, herald.DeliveryStateDelivered)
		healthAttempt(ctx, t, store, e, base.Add(2*time.Minute), 400, 40*ms, herald.DeliveryStateRejected)
		d := healthAttempt(ctx, t, store, e, base.Add(3*time.Minute), 503, 40*time.Second, herald.DeliveryStatePending)
		// Bucket 2: the retry of the same delivery, now delivered.
		attemptAgain(ctx, t, store, d, base.Add(2*time.Hour+time.Minute), 303, 700*ms, herald.DeliveryStateDelivered)
		// At until: not counted.
		healthAttempt(ctx, t, store, e, base.Add(3*time.Hour), 200, 3*ms, herald.DeliveryStateDelivered)
		healthAttempt(ctx, t, store, other, base.Add(time.Minute), 200, 3*ms, herald.DeliveryStateDelivered)

		p := &herald.AttemptStatsParams{CustomerID: e.CustomerID, Since: base, Until: base.Add(3 * time.Hour), Bucket: time.Hour, PerEndpoint: true}
		got, err := store.AttemptStats(ctx, p)
		requireNoError(t, "attempt stats", err)
		if len(got) != 2 || got[0].EndpointID != e.ID || got[1].EndpointID != quiet.ID {
			t.Fatalf("attempt stats = %d series, want %s then %s", len(got), e.ID, quiet.ID)
		}
		want := herald.NewAttemptSeries(e.ID, p)
		want.Buckets[0].Add(herald.AttemptLatencyClass(3*ms), 1, 1, 0)
		want.Buckets[0].Add(herald.AttemptLatencyClass(40*ms), 1, 0, 1)
		want.Buckets[0].Add(herald.AttemptLatencyClass(40*time.Second), 1, 0, 0)
		want.Buckets[2].Add(herald.AttemptLatencyClass(700*ms), 1, 1, 0)
		requireNoDiff(t, "series", got[0], want)
		requireNoDiff(t, "quiet series", got[1], herald.NewAttemptSeries(quiet.ID, p))
		b := got[0].Buckets[0]
		if b.Attempts != 3 || b.Succeeded != 1 || b.Rejected != 1 || b.Failed != 1 || b.LatencyP50 != 50*ms || b.LatencyP99 != 60*time.Second {
			t.Fatalf("bucket 0 = %+v, want 3 attempts (1 ok, 1 rejected, 1 failed), p50 50ms, p99 60s", b)
		}

		// One endpoint, summed.
		one, err := store.AttemptStats(ctx, &herald.AttemptStatsParams{CustomerID: e.CustomerID, EndpointID: e.ID,
			Since: base, Until: base.Add(3 * time.Hour), Bucket: time.Hour})
		requireNoError(t, "attempt stats of one endpoint", err)
		want.EndpointID = ""
		requireNoDiff(t, "one endpoint", one, []*herald.AttemptSeries{want})

		// Every customer: the other customer's attempt too.
		all, err := store.AttemptStats(ctx, &herald.AttemptStatsParams{Since: base, Until: base.Add(90 * time.Minute), Bucket: time.Hour})
		requireNoError(t, "attempt stats of every customer", err)
		if len(all) != 1 || len(all[0].Buckets) != 2 || all[0].Buckets[0].Attempts != 4 || all[0].Buckets[1].Attempts != 0 {
			t.Fatalf("every customer's stats = %+v, want one series of 2 buckets, 4 attempts in the first", all)
		}
	})
	t.Run("Errors", func(t *testing.T) {
		t.Parallel()
		ctx, store := setup(t)
		e := testfactory.Endpoint(ctx, t, store, nil)
		other := testfactory.Endpoint(ctx, t, store, nil)
		ok := herald.AttemptStatsParams{CustomerID: e.CustomerID, Since: base, Until: base.Add(time.Hour), Bucket: time.Minute}
		for name, p := range map[string]herald.AttemptStatsParams{
			"no since":         {CustomerID: ok.CustomerID, Until: ok.Until, Bucket: ok.Bucket},
			"until first":      {CustomerID: ok.CustomerID, Since: ok.Until, Until: ok.Since, Bucket: ok.Bucket},
			"small bucket":     {CustomerID: ok.CustomerID, Since: ok.Since, Until: ok.Until, Bucket: time.Millisecond},
			"too many buckets": {CustomerID: ok.CustomerID, Since: ok.Since, Until: ok.Since.Add(24 * time.Hour), Bucket: time.Minute},
			"endpoint alone":   {EndpointID: e.ID, Since: ok.Since, Until: ok.Until, Bucket: ok.Bucket},
		} {
			_, err := store.AttemptStats(ctx, &p)
			if herald.ErrorCode(err) != herald.EINVALID {
				t.Errorf("%s: error %v, want invalid", name, err)
			}
		}
		p := ok
		p.EndpointID = other.ID
		_, err := store.AttemptStats(ctx, &p)
		requireCode(t, err, herald.ENOTFOUND)
	})
}
