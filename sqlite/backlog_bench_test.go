package sqlite_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// BenchmarkClaimPastExcludedBacklog claims 128 deliveries of two endpoints
// while another, excluded (its lane is full), has a 50,000-delivery due
// backlog older than every other row: the case where a slow partner falls
// behind. The claim's walk of the due order passes over at most the
// store's claim slack of excluded entries (about 0.2 µs each), then it
// picks endpoint by endpoint, so its cost does not grow with the backlog.
func BenchmarkClaimPastExcludedBacklog(b *testing.B) {
	ctx := b.Context()
	store := newStore(b)
	slow := testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}})
	// Two fast endpoints at the most concurrency allowed, so 128 fit
	// under their caps; claims are recorded between loops, untimed.
	for range 2 {
		testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{
			CustomerID: slow.CustomerID, EventTypes: []wire.EventType{wire.EventTypeAssessment},
			MaxConcurrency: herald.MaxEndpointConcurrency,
		})
	}
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	publishN(b, store, slow.CustomerID, wire.EventTypeRemoteLogin, 50_000, t0)
	now := t0.Add(time.Second)
	for b.Loop() {
		b.StopTimer()
		publishN(b, store, slow.CustomerID, wire.EventTypeAssessment, 64, now)
		b.StartTimer()
		cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
			Now: now, Limit: 128, LeaseUntil: now.Add(time.Hour), Owner: "bench", ExcludeEndpointIDs: []string{slow.ID},
		})
		if err != nil || len(cs) != 128 {
			b.Fatalf("claimed %d: %v", len(cs), err)
		}
		b.StopTimer()
		record(b, store, cs)
		b.StartTimer()
	}
}

// publishN publishes n events of a customer created at at, in batches of
// 500.
func publishN(b *testing.B, store herald.Store, customerID string, typ wire.EventType, n int, at time.Time) {
	b.Helper()
	for n > 0 {
		k := min(n, 500)
		batch := make([]*herald.Event, k)
		for i := range batch {
			batch[i] = testfactory.NewEvent(b, &testfactory.EventOpts{CustomerID: customerID, Type: typ, CreatedAt: at})
		}
		if _, err := store.EventPublish(b.Context(), batch); err != nil {
			b.Fatal(err)
		}
		n -= k
	}
}

// record records every claimed delivery as delivered.
func record(b *testing.B, store herald.Store, cs []*herald.ClaimedDelivery) {
	b.Helper()
	recs := make([]*herald.AttemptRecord, len(cs))
	for i, c := range cs {
		recs[i] = &herald.AttemptRecord{Lease: c.Lease, State: herald.DeliveryStateDelivered}
	}
	if err := store.DeliveryRecordAttempts(b.Context(), recs); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkClaimPastCappedBacklog is BenchmarkClaimPastExcludedBacklog with
// the slow endpoint at its concurrency cap rather than excluded: its 8
// slots are leased and its backlog of due deliveries, older than every
// other row, may not be claimed. Each claim takes 64 deliveries of a fast
// endpoint; they are recorded between claims, untimed. The claim should
// cost the same with a backlog of 5,000 or 50,000. With others=1000, a
// thousand more endpoints each have a delivery pending but not due (a
// retry later): the endpoint-by-endpoint pick steps over each of them.
func BenchmarkClaimPastCappedBacklog(b *testing.B) {
	for _, tc := range []struct{ backlog, others int }{{5_000, 0}, {50_000, 0}, {50_000, 1000}} {
		b.Run(fmt.Sprintf("backlog=%d/others=%d", tc.backlog, tc.others), func(b *testing.B) {
			ctx := b.Context()
			store := newStore(b)
			slow := testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{
				EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}, MaxConcurrency: herald.DefaultEndpointConcurrency,
			})
			fast := testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{
				CustomerID: slow.CustomerID, EventTypes: []wire.EventType{wire.EventTypeAssessment},
				MaxConcurrency: herald.MaxEndpointConcurrency,
			})
			t0 := time.Now().UTC().Truncate(time.Millisecond)
			publishN(b, store, slow.CustomerID, wire.EventTypeRemoteLogin, tc.backlog, t0)
			now := t0.Add(time.Second)
			// Fill the slow endpoint's slots for the whole run.
			if cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
				Now: now, Limit: 100, LeaseUntil: now.Add(24 * time.Hour), Owner: "bench",
			}); err != nil || len(cs) != herald.DefaultEndpointConcurrency {
				b.Fatalf("claimed %d: %v", len(cs), err)
			}
			for range tc.others {
				e := testfactory.Endpoint(ctx, b, store, nil)
				publishN(b, store, e.CustomerID, wire.EventTypeAssessment, 1, now.Add(time.Hour))
			}
			for b.Loop() {
				b.StopTimer()
				publishN(b, store, fast.CustomerID, wire.EventTypeAssessment, 64, now)
				b.StartTimer()
				cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
					Now: now, Limit: 64, LeaseUntil: now.Add(time.Hour), Owner: "bench",
				})
				if err != nil || len(cs) != 64 {
					b.Fatalf("claimed %d: %v", len(cs), err)
				}
				b.StopTimer()
				for _, c := range cs {
					if c.EndpointID != fast.ID {
						b.Fatalf("claimed a delivery of %s", c.EndpointID)
					}
				}
				record(b, store, cs)
				b.StartTimer()
			}
		})
	}
}

// BenchmarkPublishWhileSamplingQueueDepth publishes one event at a time
// into a store holding 300,000 pending deliveries, alone ("idle") and while
// another goroutine takes queue depth samples back to back ("sampling"),
// as the metrics sampler does once a minute. Counting a large backlog takes
// a while; a sample must count on the read side and hold the single writer
// only for its few inserts, so the two figures should be close. (When the
// count ran on the writer, a publish 20 ms into a sample waited 71-80 ms.)
func BenchmarkPublishWhileSamplingQueueDepth(b *testing.B) {
	ctx := b.Context()
	store := newStore(b)
	ep := testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}})
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	publishN(b, store, ep.CustomerID, wire.EventTypeRemoteLogin, 300_000, t0)
	qd := any(store).(herald.QueueDepthStore)

	b.Run("idle", func(b *testing.B) {
		for b.Loop() {
			publishN(b, store, ep.CustomerID, wire.EventTypeRemoteLogin, 1, t0)
		}
	})
	b.Run("sampling", func(b *testing.B) {
		stop := make(chan struct{})
		samples := make(chan int)
		go func() {
			n := 0
			defer func() { samples <- n }()
			for minute := 1; ; minute++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := qd.QueueDepthSample(ctx, t0.Add(time.Duration(minute)*time.Minute)); err != nil {
					b.Error(err)
					return
				}
				n++
			}
		}()
		for b.Loop() {
			publishN(b, store, ep.CustomerID, wire.EventTypeRemoteLogin, 1, t0)
		}
		close(stop)
		b.ReportMetric(float64(<-samples), "samples")
	})
}
