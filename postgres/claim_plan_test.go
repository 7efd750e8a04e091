package postgres

import (
	"strings"
	"testing"
	"time"
)

// TestClaimPlans checks that each statement of a claim reads its indexes,
// so a claim costs O(batch) whatever the number of endpoints (10,000 here)
// and the backlog: a sequential scan of deliveries or endpoints, or the
// lease count walking deliveries_due, is what made claims grow with the
// queue. BenchmarkClaimBacklog measures the same at a million deliveries.
func TestClaimPlans(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 10,000 endpoints")
	}
	t.Parallel()
	ctx := t.Context()
	s := openSchemaStore(t, &Config{MaxConns: 2})
	t0 := time.Now().UTC().Add(-time.Hour)
	for _, sql := range []string{
		`INSERT INTO customers (id, name, created_at) VALUES ('c', 'c', $1)`,
		`INSERT INTO endpoints (id, customer_id, url, event_types, auth, gzip, enabled, max_concurrency, created_at, updated_at)
			SELECT 'ep_' || lpad(g::text, 6, '0'), 'c', 'https://example.com/', '{AssessmentEvent}', '{"type":"none"}',
				true, true, 64, $1, $1
			FROM generate_series(1, 10000) g`,
		`INSERT INTO events (id, customer_id, type, body_gzip, created_at)
			SELECT 'evt_' || g, 'c', 'AssessmentEvent', '\x00', $1 FROM generate_series(1, 10000) g`,
		`INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, next_attempt_at, created_at, updated_at)
			SELECT 'dlv_' || g, 'evt_1', 'ep_' || lpad(g::text, 6, '0'), 'c', 'AssessmentEvent', 'pending',
				$1::timestamptz + interval '30 minutes', $1, $1
			FROM generate_series(1, 10000) g`,
	} {
		if _, err := s.pool.Exec(ctx, sql, t0); err != nil {
			t.Fatal(err)
		}
	}
	// The deliveries' wakeups, folded in as a claim would, so
	// endpoint_queues holds the 10,000 endpoints (and the wakeups table
	// the next batch's, for the Fold plan).
	if _, err := s.pool.Exec(ctx, claimFoldSQL, 20000); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `INSERT INTO endpoint_queue_wakeups (endpoint_id, due)
		SELECT 'ep_' || lpad(g::text, 6, '0'), $1 FROM generate_series(1, 10000) g`, t0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.pool.Exec(ctx, `ANALYZE`); err != nil {
		t.Fatal(err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, skipQueueTriggerSQL); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	locked := []string{"ep_000001", "ep_000002", "ep_000003"}
	for _, tc := range []struct {
		name  string
		query string
		args  []any
		want  []string
	}{
		{"Fold", claimFoldSQL, []any{claimFoldLimit}, []string{"endpoint_queue_wakeups_pkey"}},
		{"Lock", claimLockSQL, []any{now, []string{}, 64}, []string{"endpoint_queues_next_due"}},
		{"Lease", claimLeaseSQL, []any{now, locked, 64, now.Add(time.Minute), "o", "tok"},
			[]string{"endpoints_pkey", "deliveries_leased", "deliveries_endpoint_due", "deliveries_pkey", "events_pkey"}},
		{"Settle", claimSettleSQL, []any{now, locked},
			[]string{"endpoint_queues_pkey", "endpoints_pkey", "deliveries_endpoint_due", "deliveries_leased", "endpoint_queue_wakeups_endpoint_id"}},
	} {
		rows, err := tx.Query(ctx, "EXPLAIN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var lines []string
		for rows.Next() {
			var l string
			if err := rows.Scan(&l); err != nil {
				t.Fatal(err)
			}
			lines = append(lines, l)
		}
		if err := rows.Err(); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		plan := strings.Join(lines, "\n")
		for _, w := range tc.want {
			if !strings.Contains(plan, w) {
				t.Errorf("%s: plan does not use %s:\n%s", tc.name, w, plan)
			}
		}
		for _, bad := range []string{"Seq Scan on deliveries", "Seq Scan on endpoints", "Seq Scan on endpoint_queues", "Seq Scan on endpoint_queue_wakeups", "deliveries_due "} {
			if strings.Contains(plan, bad) {
				t.Errorf("%s: plan has %q:\n%s", tc.name, bad, plan)
			}
		}
	}
}
