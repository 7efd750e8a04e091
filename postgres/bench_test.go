package postgres_test

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/wire"
)

// BenchmarkPublishClaimRecord measures the store's share of a delivery on
// PostgreSQL: each iteration publishes a batch of 64 events (2 KB JSON
// bodies) to a customer with two endpoints, claims the 128 deliveries and
// records them delivered, as a dispatcher does. It reports deliveries/s and
// rows/s (events, deliveries and attempts inserted), and proves that
// nothing was lost or claimed twice, per event (testfactory.ClaimTally:
// lost-events and dup-events, both 0 or it fails).
//
//	eval "$(scripts/pgtest.sh start)"
//	go test -run '^$' -bench PublishClaimRecord ./postgres/
func BenchmarkPublishClaimRecord(b *testing.B) {
	const (
		batch     = 64
		endpoints = 2
		claimN    = batch * endpoints
	)
	store := newStore(b)
	ctx := b.Context()
	cust := testfactory.Customer(ctx, b, store, nil)
	for range endpoints {
		// The highest cap, so a claim of 128 is not cut to 2 × 8.
		testfactory.Endpoint(ctx, b, store, &testfactory.EndpointOpts{
			CustomerID: cust.ID, MaxConcurrency: herald.MaxEndpointConcurrency,
		})
	}
	body := benchBody(b, cust.ID)

	// One iteration: publish a batch, claim it, record it delivered.
	tally := testfactory.NewClaimTally(endpoints)
	iteration := func() int {
		now := time.Now().UTC()
		events := make([]*herald.Event, batch)
		for i := range events {
			events[i] = &herald.Event{
				ID: herald.NewID(herald.IDPrefixEvent, now), CustomerID: cust.ID,
				Type: wire.EventTypeAssessment, BodyGzip: body,
				LinkHeader: `<https://api.icims.com/customers/` + cust.ID + `/people/1>; rel="person"`,
				CreatedAt:  now,
			}
		}
		if _, err := store.EventPublish(ctx, events); err != nil {
			b.Fatalf("publish: %v", err)
		}
		cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
			Now: now, Limit: claimN, LeaseUntil: now.Add(time.Minute), Owner: "bench",
		})
		if err != nil {
			b.Fatalf("claim: %v", err)
		}
		tally.Check(events, cs)
		recs := make([]*herald.AttemptRecord, len(cs))
		for i, c := range cs {
			recs[i] = &herald.AttemptRecord{
				Lease: c.Lease,
				Attempt: &herald.Attempt{DeliveryID: c.ID, Number: 1, At: now, StatusCode: 200,
					Latency: time.Millisecond, RequestHeaders: map[string]string{"Content-Type": "application/json"}},
				State: herald.DeliveryStateDelivered,
			}
		}
		if err := store.DeliveryRecordAttempts(ctx, recs); err != nil {
			b.Fatalf("record: %v", err)
		}
		return len(cs)
	}
	// Measure a database that has been running, not an empty one: some
	// history, and planner statistics that know it (autovacuum's ANALYZE
	// would have run by then). On empty tables without statistics the
	// planner picks bitmap scans that wade through the dead index entries
	// each claim and record leave behind, and the figures are 3-5x worse
	// and say nothing about production.
	for range 20 {
		iteration()
	}
	if err := postgres.Analyze(ctx, store); err != nil {
		b.Fatalf("analyze: %v", err)
	}

	b.ReportAllocs()
	var delivered int
	for b.Loop() {
		delivered += iteration()
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(delivered)/secs, "deliveries/s")
	// Per delivery: half an event, one delivery and one attempt inserted.
	b.ReportMetric(float64(delivered/endpoints+2*delivered)/secs, "rows/s")
	tally.Finish(ctx, b, store)
}

// benchBody is a gzip'd 2 KB iCIMS-like event body.
func benchBody(tb testing.TB, customerID string) []byte {
	tb.Helper()
	pad := strings.Repeat("x", 1900)
	raw := fmt.Sprintf(`{"customerId":%q,"eventType":"AssessmentEvent","systemId":"1","userId":"2","note":%q}`, customerID, pad)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write([]byte(raw)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}
