package sqlite_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/wire"
)

// BenchmarkClaimPastExcludedBacklog claims from one endpoint while another,
// excluded (its lane is full), has a 50,000-delivery due backlog older than
// every other row: the case where a slow partner falls behind. The claim
// passes over every excluded due entry of the index, so its cost grows with
// that backlog (about 0.2 µs an entry).
func BenchmarkClaimPastExcludedBacklog(b *testing.B) {
	ctx := b.Context()
	store := newStore(b)
	slow := testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{EventTypes: []wire.EventType{wire.EventTypeRemoteLogin}})
	testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{CustomerID: slow.CustomerID, EventTypes: []wire.EventType{wire.EventTypeAssessment}})
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	publish := func(typ wire.EventType, n int, at time.Time) {
		for n > 0 {
			k := min(n, 500)
			batch := make([]*herald.Event, k)
			for i := range batch {
				batch[i] = testfactory.NewEvent(b, &testfactory.EventOpts{CustomerID: slow.CustomerID, Type: typ, CreatedAt: at})
			}
			if _, err := store.EventPublish(ctx, batch); err != nil {
				b.Fatal(err)
			}
			n -= k
		}
	}
	publish(wire.EventTypeRemoteLogin, 50_000, t0)
	now := t0.Add(time.Second)
	for b.Loop() {
		b.StopTimer()
		publish(wire.EventTypeAssessment, 128, now)
		b.StartTimer()
		cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
			Now: now, Limit: 128, LeaseUntil: now.Add(time.Hour), Owner: "bench", ExcludeEndpointIDs: []string{slow.ID},
		})
		if err != nil || len(cs) != 128 {
			b.Fatalf("claimed %d: %v", len(cs), err)
		}
	}
}
