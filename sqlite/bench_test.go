package sqlite_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/proccpu"
	"github.com/heraldhq/herald/internal/testfactory"
)

// BenchmarkPublishClaimRecord runs the store's share of the delivery loop
// as the publisher and dispatcher batch it: publish 64 events for a customer
// with two endpoints (128 deliveries) in one call, claim the 128, and record
// an attempt for each in one call. Three commits carry 64 events, 128
// deliveries and 128 attempts, with synchronous=FULL. deliveries/s is the
// figure to compare with the HTTP ceilings in docs/performance notes;
// cpu-µs/delivery (the process's CPU, fsync waits left out) is the one to
// compare between builds. Each iteration checks that its claim took every
// delivery of its batch once, and the run that none is left pending
// (testfactory.ClaimTally: lost-events and dup-events, both 0 or it fails).
//
// ordered=true runs it with ordered endpoints (herald.Endpoint.Ordered),
// one subject per event of a batch, so nothing waits: what ordering costs
// the store when it orders nothing.
//
// calls=8 runs it in calls of 8 events, each for another of 8 customers
// with one endpoint: the size of the batches herald bench's publisher and
// recorder make at full speed, where each call's fixed costs (its commit
// above all) are shared by few deliveries.
func BenchmarkPublishClaimRecord(b *testing.B) {
	for _, ordered := range []bool{false, true} {
		b.Run(fmt.Sprintf("ordered=%t", ordered), func(b *testing.B) {
			benchmarkPublishClaimRecord(b, ordered, 64, 1, 2)
		})
	}
	b.Run("calls=8", func(b *testing.B) { benchmarkPublishClaimRecord(b, false, 8, 8, 1) })
}

// benchmarkPublishClaimRecord publishes events events a call, spread round
// robin over customers customers with endpoints endpoints each.
func benchmarkPublishClaimRecord(b *testing.B, ordered bool, events, customers, endpoints int) {
	ctx := b.Context()
	store := newStore(b)
	custs := make([]*herald.Customer, customers)
	for i := range custs {
		custs[i] = testfactory.Customer(ctx, b, store, nil)
		// The most concurrency an endpoint may have, so the cap lets one
		// claim take all of a call's deliveries.
		for range endpoints {
			testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{CustomerID: custs[i].ID,
				MaxConcurrency: herald.MaxEndpointConcurrency, Ordered: ordered})
		}
	}

	// 2 KB bodies, gzip'd once, as in the performance notes; one applicant
	// workflow (subject) per event of a batch.
	bodies, bodiesGzip := make([][]byte, events), make([][]byte, events)
	for i := range bodies {
		bodies[i] = fmt.Appendf(nil, `{"customerId":%q,"eventType":"AssessmentEvent","systemId":"%d","pad":%q}`,
			custs[i%customers].ID, i, bytes.Repeat([]byte("x"), 1950))
		bodiesGzip[i] = testfactory.Gzip(b, bodies[i])
	}
	link := `<https://api.icims.com/customers/6269/people/42>; rel="person"; title="Person"`

	now := time.Now().UTC().Truncate(time.Millisecond)
	var delivered int
	tally := testfactory.NewClaimTally(endpoints)
	start, startCPU := time.Now(), proccpu.Self()
	for b.Loop() {
		now = now.Add(time.Millisecond)
		batch := make([]*herald.Event, events)
		for i := range batch {
			batch[i] = &herald.Event{
				ID: herald.NewID(herald.IDPrefixEvent, now), CustomerID: custs[i%customers].ID, Type: "AssessmentEvent",
				Body: bodies[i], BodyGzip: bodiesGzip[i], LinkHeader: link, CreatedAt: now,
			}
		}
		if _, err := store.EventPublish(ctx, batch); err != nil {
			b.Fatal(err)
		}
		cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
			Now: now, Limit: events * endpoints, LeaseUntil: now.Add(time.Minute), Owner: "bench",
		})
		if err != nil {
			b.Fatal(err)
		}
		tally.Check(batch, cs)
		recs := make([]*herald.AttemptRecord, len(cs))
		for i, c := range cs {
			recs[i] = &herald.AttemptRecord{
				Lease: c.Lease,
				State: herald.DeliveryStateDelivered,
				Attempt: &herald.Attempt{
					DeliveryID: c.ID, Number: 1, At: now, StatusCode: 200, Latency: 3 * time.Millisecond,
					RequestHeaders: map[string]string{"Content-Type": "application/json", "Herald-Attempt": "1"},
				},
			}
		}
		if err := store.DeliveryRecordAttempts(ctx, recs); err != nil {
			b.Fatal(err)
		}
		delivered += len(cs)
	}
	elapsed, cpu := time.Since(start).Seconds(), proccpu.Self()-startCPU
	b.ReportMetric(float64(delivered)/elapsed, "deliveries/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(delivered), "cpu-µs/delivery")
	// Rows written: the event, its deliveries and their attempts.
	b.ReportMetric(float64(delivered/endpoints+2*delivered)/elapsed, "rows/s")
	tally.Finish(ctx, b, store)
}
