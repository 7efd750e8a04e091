package postgres

import (
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
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
	plans := claimPlans(t, s, []string{"ep_000001", "ep_000002", "ep_000003"})
	for name, want := range map[string][]string{
		"Fold":   {"endpoint_queue_wakeups_pkey"},
		"Lock":   {"endpoint_queues_next_due"},
		"Lease":  {"endpoints_pkey", "deliveries_leased", "deliveries_endpoint_due", "deliveries_pkey", "events_pkey"},
		"Settle": {"endpoint_queues_pkey", "endpoints_pkey", "deliveries_endpoint_due", "deliveries_leased", "endpoint_queue_wakeups_endpoint_id"},
		// The expired-lease sweep reads only the leases in flight.
		"Sweep": {"deliveries_leased"},
	} {
		plan := plans[name]
		for _, w := range want {
			if !strings.Contains(plan, w) {
				t.Errorf("%s: plan does not use %s:\n%s", name, w, plan)
			}
		}
		for _, bad := range []string{"Seq Scan on deliveries", "Seq Scan on endpoints", "Seq Scan on endpoint_queues", "Seq Scan on endpoint_queue_wakeups", "deliveries_due "} {
			if strings.Contains(plan, bad) {
				t.Errorf("%s: plan has %q:\n%s", name, bad, plan)
			}
		}
	}
}

// claimPlans EXPLAINs each statement of a claim round (the fold, the lock,
// the lease and the settle, with locked as the endpoints locked) and the
// expired-lease sweep that precedes some claims, in a transaction that is
// rolled back, and returns the plans by name.
func claimPlans(t *testing.T, s *Store, locked []string) map[string]string {
	t.Helper()
	ctx := t.Context()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, skipQueueTriggerSQL); err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	plans := map[string]string{}
	for _, tc := range []struct {
		name  string
		query string
		args  []any
	}{
		{"Fold", claimFoldSQL, []any{claimFoldLimit}},
		{"Lock", claimLockSQL, []any{now, []string{}, 64}},
		{"Lease", claimLeaseSQL, []any{now, locked, 64, now.Add(time.Minute), "o", "tok"}},
		{"Settle", claimSettleSQL, []any{now, locked}},
		{"Sweep", wakeExpiredLeasesSQL, []any{now}},
	} {
		rows, err := tx.Query(ctx, "EXPLAIN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		plans[tc.name] = strings.Join(lines, "\n")
	}
	return plans
}

// TestRecordWakeReadsTheDueIndex checks that the wake-up check of a record
// (migration 023's endpoint_queues_wake_updated) reads the endpoint's due
// order in deliveries_endpoint_due, not the table, when one endpoint of
// few holds a backlog (a partner that is down). There, statistics say any
// endpoint matches a large share of the rows, and an EXISTS was planned as
// a sequential scan that, for an endpoint with nothing unleased, read the
// whole backlog on every record: 350-800 ms each at a million deliveries
// (another plan read the backlog through an index of other columns).
// pg_stat_get_xact_blocks_fetched counts the pages this connection read,
// the trigger's included: 28 with migration 023, 2,054 without it.
func TestRecordWakeReadsTheDueIndex(t *testing.T) {
	s := openSkewedBacklogStore(t)
	ctx := t.Context()
	t0 := time.Now().UTC().Add(-time.Hour)
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	wakeups := func() (n int) {
		t.Helper()
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM endpoint_queue_wakeups WHERE endpoint_id = 'ep_2'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := wakeups()
	// The pages of deliveries and its indexes this connection has read
	// (counts not yet flushed to the statistics, so earlier statements'
	// too: hence the difference).
	pagesRead := func() (n int64) {
		t.Helper()
		if err := tx.QueryRow(ctx, `SELECT sum(pg_stat_get_xact_blocks_fetched(oid)) FROM pg_class
			WHERE oid = 'deliveries'::regclass
				OR oid IN (SELECT indexrelid FROM pg_index WHERE indrelid = 'deliveries'::regclass)`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	pagesBefore := pagesRead()
	// A record of ep_2's delivery, in the form of recordDeliveriesSQL.
	tag, err := tx.Exec(ctx, `UPDATE deliveries d SET state = u.state, lease_owner = NULL, lease_token = NULL, updated_at = $3
		FROM unnest($1::text[], $2::text[]) AS u (id, state)
		WHERE d.id = u.id AND d.lease_token = 'tok' AND d.state = 'pending'`,
		[]string{"dlv_ok_2"}, []string{"delivered"}, t0)
	if err != nil {
		t.Fatal(err)
	}
	if tag.RowsAffected() != 1 {
		t.Fatalf("the record updated %d deliveries, want 1", tag.RowsAffected())
	}
	// The update reads its row by primary key and writes its new version
	// into each index, a few dozen pages in all; the check should add a
	// few more (ep_2's leases in deliveries_endpoint_due), not walk ep_1's
	// backlog in the table or in an index, whichever way it goes.
	pages := pagesRead() - pagesBefore
	t.Logf("the record read %d pages", pages)
	if pages > 200 {
		t.Errorf("a record of one delivery read %d pages of deliveries and its indexes", pages)
	}
	if n := wakeups() - before; n != 0 {
		t.Errorf("ep_2 has nothing unleased, but its record woke it %d time(s)", n)
	}
}

// TestClaimPlansWithOneLargeBacklog is TestClaimPlans where statistics
// are skewed, as they were when TestRecordWakeReadsTheDueIndex's
// sequential scan showed up: six endpoints, one with 100,000 pending
// deliveries, statistics taken before the others had any. No claim
// statement may read deliveries other than through the indexes that
// take one endpoint's rows (a sequential scan, or an index whose leading
// column the claim does not fix, walks the whole backlog). Small tables
// (endpoints, endpoint_queues) may be scanned: they hold six rows.
func TestClaimPlansWithOneLargeBacklog(t *testing.T) {
	s := openSkewedBacklogStore(t)
	if _, err := s.pool.Exec(t.Context(), claimFoldSQL, 20000); err != nil {
		t.Fatal(err)
	}
	for name, plan := range claimPlans(t, s, []string{"ep_1", "ep_2", "ep_3"}) {
		for _, bad := range []string{"Seq Scan on deliveries", "Bitmap Heap Scan on deliveries",
			"deliveries_customer_state", "deliveries_customer_id_id", "deliveries_event_id"} {
			if strings.Contains(plan, bad) {
				t.Errorf("%s: plan has %q:\n%s", name, bad, plan)
			}
		}
	}
}

// openSkewedBacklogStore opens a store whose statistics are skewed as a
// partner's outage skews them: six customers with an endpoint each; ep_1
// is down, with 100,000 pending deliveries (64 of them leased, the rest
// due for a retry); ANALYZE runs while they are all there is, so it says
// every row is ep_1's; then ep_2 to ep_6 get one delivery each in flight
// (leased, token "tok").
func openSkewedBacklogStore(t *testing.T) *Store {
	t.Helper()
	if testing.Short() {
		t.Skip("builds a 100,000-delivery backlog")
	}
	t.Parallel()
	s := openSchemaStore(t, &Config{MaxConns: 2})
	t0 := time.Now().UTC().Add(-time.Hour)
	for _, sql := range []string{
		`INSERT INTO customers (id, name, created_at) SELECT 'c_' || g, 'c', $1 FROM generate_series(1, 6) g`,
		`INSERT INTO endpoints (id, customer_id, url, event_types, auth, gzip, enabled, max_concurrency, created_at, updated_at)
			SELECT 'ep_' || g, 'c_' || g, 'https://example.com/', '{AssessmentEvent}', '{"type":"none"}', true, true, 64, $1, $1
			FROM generate_series(1, 6) g`,
		`INSERT INTO events (id, customer_id, type, body_gzip, created_at)
			SELECT 'evt_' || g, 'c_1', 'AssessmentEvent', '\x00', $1 FROM generate_series(1, 100000) g`,
		`INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, next_attempt_at,
				lease_owner, lease_token, created_at, updated_at)
			SELECT 'dlv_dead_' || g, 'evt_' || g, 'ep_1', 'c_1', 'AssessmentEvent', 'pending',
				CASE WHEN g <= 64 THEN $1::timestamptz + interval '2 hours' ELSE $1::timestamptz + g * interval '1 millisecond' END,
				CASE WHEN g <= 64 THEN 'node' END, CASE WHEN g <= 64 THEN 'tok' END, $1, $1
			FROM generate_series(1, 100000) g`,
		`ANALYZE`,
		`INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, next_attempt_at,
				lease_owner, lease_token, created_at, updated_at)
			SELECT 'dlv_ok_' || g, 'evt_1', 'ep_' || g, 'c_' || g, 'AssessmentEvent', 'pending',
				$1::timestamptz + interval '2 hours', 'node', 'tok', $1, $1
			FROM generate_series(2, 6) g`,
	} {
		var args []any
		if strings.Contains(sql, "$1") {
			args = []any{t0}
		}
		if _, err := s.pool.Exec(t.Context(), sql, args...); err != nil {
			t.Fatal(err)
		}
	}
	return s
}
