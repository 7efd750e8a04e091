package postgres_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/postgres"
)

// BenchmarkClaimBacklog shows that a claim costs O(batch): the same with a
// 10,000- and a 1,000,000-delivery backlog, at 10,000 endpoints. The
// backlog belongs to one endpoint that is at its cap (a partner that is
// down: its 64 slots are leased) and is due before everything else, which
// is the worst case for a claim that walks the due order; each of the
// 10,000 other endpoints has one due delivery. Each iteration claims 64
// and hands them back (untimed).
//
//	eval "$(scripts/pgtest.sh start)"
//	go test -run '^$' -bench ClaimBacklog -benchtime 200x ./postgres/
func BenchmarkClaimBacklog(b *testing.B) {
	for _, backlog := range []int{10_000, 1_000_000} {
		b.Run(fmt.Sprintf("backlog=%d", backlog), func(b *testing.B) {
			ctx := b.Context()
			store := newStore(b)
			t0 := time.Now().UTC().Add(-time.Hour)
			exec := func(sql string, args ...any) {
				if err := postgres.Exec(ctx, store, sql, args...); err != nil {
					b.Fatal(err)
				}
			}
			exec(`INSERT INTO customers (id, name, created_at) VALUES ('c', 'c', $1)`, t0)
			exec(`INSERT INTO endpoints (id, customer_id, url, event_types, auth, gzip, enabled, max_concurrency, created_at, updated_at)
				SELECT 'ep_' || lpad(g::text, 6, '0'), 'c', 'https://example.com/', '{AssessmentEvent}', '{"type":"none"}', true, true,
					64, $1, $1
				FROM generate_series(0, 10000) g`, t0)
			exec(`INSERT INTO events (id, customer_id, type, body_gzip, created_at)
				SELECT 'evt_' || g, 'c', 'AssessmentEvent', '\x00', $1 FROM generate_series(1, $2::int) g`, t0, backlog)
			// The dead endpoint, ep_000000: its backlog, oldest of all, and
			// 64 unexpired leases, so it is at its cap.
			exec(`INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, next_attempt_at,
					lease_owner, lease_token, created_at, updated_at)
				SELECT 'dlv_dead_' || g, 'evt_' || g, 'ep_000000', 'c', 'AssessmentEvent', 'pending',
					CASE WHEN g <= 64 THEN $1::timestamptz + interval '2 hours' ELSE $1::timestamptz + g * interval '1 microsecond' END,
					CASE WHEN g <= 64 THEN 'other' END, CASE WHEN g <= 64 THEN 'token' END, $1, $1
				FROM generate_series(1, $2::int) g`, t0, backlog)
			// One due delivery for each of the other 10,000 endpoints,
			// due after the whole backlog.
			exec(`INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, next_attempt_at, created_at, updated_at)
				SELECT 'dlv_ok_' || g, 'evt_1', 'ep_' || lpad(g::text, 6, '0'), 'c', 'AssessmentEvent', 'pending',
					$1::timestamptz + interval '30 minutes', $1, $1
				FROM generate_series(1, 10000) g`, t0)
			exec(`ANALYZE`)
			now := time.Now().UTC()
			b.ResetTimer()
			for b.Loop() {
				cs, err := store.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{
					Now: now, Limit: 64, LeaseUntil: now.Add(time.Minute), Owner: "bench",
				})
				if err != nil {
					b.Fatal(err)
				}
				if len(cs) != 64 {
					b.Fatalf("claimed %d, want 64", len(cs))
				}
				for _, c := range cs {
					if c.EndpointID == "ep_000000" {
						b.Fatal("claimed a delivery of the endpoint at its cap")
					}
				}
				b.StopTimer()
				leases := make([]herald.DeliveryLease, len(cs))
				for i, c := range cs {
					leases[i] = c.Lease
				}
				if err := store.DeliveryRelease(ctx, leases, now); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
	}
}
