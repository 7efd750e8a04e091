package sqlite

import (
	"path/filepath"

	"github.com/heraldhq/herald/internal/sqlstore"
	"regexp"
	"strings"
	"testing"
)

// mustQuery returns the named statement of the store's query files.
func mustQuery(t *testing.T, name string) string {
	t.Helper()
	q, err := sqlstore.ParseQueries(queryFS, "query")
	if err != nil {
		t.Fatal(err)
	}
	if q[name] == "" {
		t.Fatalf("no statement %s", name)
	}
	return q[name]
}

// openPlanStore opens an empty store whose statements' plans a test reads.
func openPlanStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), &Config{Path: filepath.Join(t.TempDir(), "plan.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// fullScan matches a plan line that reads the whole deliveries table or one
// of its indexes.
var fullScan = regexp.MustCompile(`(?m)^SCAN (deliveries|d)\b`)

// TestQueryPlans checks that the hot queries use their indexes: without
// deliveries_due the claim is a full scan, which the performance notes
// measured 20 times slower, and slower as history grows; without
// deliveries_endpoint_due a capped endpoint's backlog is read on every
// claim.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	checkQueryPlans(t, openPlanStore(t))
}

// TestQueryPlansWithOneLargeBacklog checks the same plans where the
// statistics are skewed: six endpoints, one with 100,000 pending
// deliveries, analyzed (as PRAGMA optimize at Close does) before the
// others had any. PostgreSQL's planner turned the record's wake-up check
// into a sequential scan of such a backlog; SQLite's uses sqlite_stat1 once
// a database has been closed, so its plans must hold there too.
func TestQueryPlansWithOneLargeBacklog(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a 100,000-delivery backlog")
	}
	t.Parallel()
	s := openPlanStore(t)
	for _, sql := range []string{
		`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 6)
			INSERT INTO customers (id, name, created_at) SELECT 'c_' || x, 'c', 1 FROM g`,
		`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 6)
			INSERT INTO endpoints (id, customer_id, url, event_types, auth, gzip, enabled, max_concurrency, created_at, updated_at)
			SELECT 'ep_' || x, 'c_' || x, 'https://example.com/', '["AssessmentEvent"]', '{"type":"none"}', 1, 1, 64, 1, 1 FROM g`,
		`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100000)
			INSERT INTO events (id, customer_id, type, body_gzip, created_at)
			SELECT 'evt_' || x, 'c_1', 'AssessmentEvent', x'00', 1 FROM g`,
		`WITH RECURSIVE g(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM g WHERE x < 100000)
			INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, next_attempt_at, created_at, updated_at)
			SELECT 'dlv_dead_' || x, 'evt_' || x, 'ep_1', 'c_1', 'AssessmentEvent', 'pending', 1000 + x, 1, 1 FROM g`,
		`ANALYZE`,
		`WITH RECURSIVE g(x) AS (SELECT 2 UNION ALL SELECT x + 1 FROM g WHERE x < 6)
			INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, next_attempt_at,
				lease_owner, lease_token, created_at, updated_at)
			SELECT 'dlv_ok_' || x, 'evt_1', 'ep_' || x, 'c_' || x, 'AssessmentEvent', 'pending', 5000000, 'node', 'tok', 1, 1 FROM g`,
	} {
		if _, err := s.write.ExecContext(t.Context(), sql); err != nil {
			t.Fatal(err)
		}
	}
	checkQueryPlans(t, s)
}

// checkQueryPlans is TestQueryPlans' check, on store s.
func checkQueryPlans(t *testing.T, s *Store) {
	t.Helper()
	for _, tc := range []struct {
		name  string
		query string
		args  []any
		want  []string // lines the plan must have
		not   []string // lines it must not have
	}{
		// The claim's walk reads deliveries_due in due order (no sort of
		// the table's rows), and free slots count leases in
		// deliveries_leased.
		{"ClaimWalk", claimWalkSQL, []any{1, "[]", 10, 100}, []string{
			"SEARCH deliveries USING COVERING INDEX deliveries_due (next_attempt_at<?)",
		}, []string{"USE TEMP B-TREE"}},
		// A claim asks the read pool whether anything is due before it
		// takes the writer, and a publish counts an endpoint's leases
		// before it leases at insert.
		{"ClaimAnyDue", claimAnyDueSQL, []any{1}, []string{
			"SEARCH deliveries USING COVERING INDEX deliveries_due (next_attempt_at<?)",
		}, nil},
		{"EndpointLeases", endpointLeasesSQL, []any{1, "a"}, []string{
			"SEARCH deliveries USING INDEX deliveries_leased (endpoint_id=? AND next_attempt_at>?)",
		}, nil},
		{"ClaimSeen", claimSeenSQL, []any{1, 100}, []string{
			"SEARCH deliveries USING COVERING INDEX deliveries_due (next_attempt_at<?)",
		}, nil},
		{"ClaimFree", claimFreeSQL, []any{1, `["a"]`}, []string{
			"SEARCH e USING INDEX sqlite_autoindex_endpoints_1 (id=?)",
			"SEARCH deliveries USING INDEX deliveries_leased (endpoint_id=? AND next_attempt_at>?)",
		}, nil},
		// Endpoint by endpoint: a loose scan of deliveries_endpoint_due
		// (one seek per endpoint), each endpoint's head and first due
		// rows by seeks in it, and leases in deliveries_leased.
		{"ClaimByEndpoint", claimByEndpointSQL, []any{1, "[]", 10, 10}, []string{
			"SEARCH deliveries USING COVERING INDEX deliveries_endpoint_due (endpoint_id>?)",
			"SEARCH deliveries USING COVERING INDEX deliveries_endpoint_due (endpoint_id=?)",
			"SEARCH deliveries USING COVERING INDEX deliveries_endpoint_due (endpoint_id=? AND next_attempt_at<?)",
			"USING INDEX deliveries_leased (endpoint_id=? AND next_attempt_at>?)",
		}, nil},
		{"ClaimLease", `UPDATE deliveries SET next_attempt_at = ?, lease_owner = ?, lease_token = ?
			WHERE rowid IN (SELECT value FROM json_each(?))`,
			[]any{1, "o", "t", "[]"}, []string{"SEARCH deliveries USING INTEGER PRIMARY KEY (rowid=?)"}, nil},
		{"List", `SELECT id FROM deliveries WHERE customer_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
			[]any{"c", "dlv_", 10}, []string{"USING COVERING INDEX deliveries_customer_id_id"}, nil},
		{"ListForEvent", `SELECT id FROM deliveries WHERE event_id = ? ORDER BY rowid`,
			[]any{"e"}, []string{"USING INDEX deliveries_event_id"}, nil},
		{"Attempts", `SELECT number FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY at, id`,
			[]any{"[]"}, []string{"USING INDEX attempts_delivery_id"}, nil},
		// Health and attempt statistics reach a window's attempts through
		// the endpoint's deliveries attempted since it began, in the
		// partial deliveries_endpoint_last_attempt.
		{"HealthWindow", `SELECT count(*)` + healthWindowFrom, []any{"ep", 1, 1}, []string{
			"SEARCH d USING INDEX deliveries_endpoint_last_attempt (endpoint_id=? AND last_attempt_at>?)",
			"INDEX attempts_delivery_id (delivery_id=? AND at>?)",
		}, nil},
		// A queue depth sample counts each customer's pending deliveries
		// in the partial deliveries_customer_state, which holds no
		// delivered ones, once per customer: a plan without MATERIALIZE
		// ran the count in the filter and again for the result.
		{"QueueDepthCounts", mustQuery(t, "QueueDepthCounts"), nil, []string{
			"MATERIALIZE counts",
			"SEARCH d USING COVERING INDEX deliveries_customer_state (customer_id=? AND state=?)",
		}, nil},
		// A publish batch reads the endpoints of the customers new to its
		// cache by customer, and the dispatcher those of a batch by id.
		{"CustomersEndpoints", customersEndpointsSQL, []any{`["c_1","c_2"]`}, []string{
			"SEARCH endpoints USING INDEX endpoints_customer_id_created_at (customer_id=?)",
		}, nil},
		{"KnownCustomers", knownCustomersSQL, []any{`["c_1","c_2"]`}, []string{
			"SEARCH customers USING COVERING INDEX sqlite_autoindex_customers_1 (id=?)",
		}, nil},
		{"EndpointGetMany", mustQuery(t, "EndpointGetMany"), []any{`["ep_1"]`}, []string{
			"SEARCH endpoints USING INDEX sqlite_autoindex_endpoints_1 (id=?)",
		}, nil},
		{"RetryPolicyListMany", mustQuery(t, "RetryPolicyListMany"), []any{`["c_1"]`}, []string{
			"SEARCH retry_policies USING INDEX sqlite_autoindex_retry_policies_1 (customer_id=?)",
		}, nil},
		{"AttemptStatsCounts", mustQuery(t, "AttemptStatsCounts"), []any{1, 2, 1000, `["ep"]`}, []string{
			"SEARCH d USING INDEX deliveries_endpoint_last_attempt (endpoint_id=? AND last_attempt_at>?)",
		}, nil},
	} {
		rows, err := s.read.QueryContext(t.Context(), "EXPLAIN QUERY PLAN "+tc.query, tc.args...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, notused int
			var detail string
			if err := rows.Scan(&id, &parent, &notused, &detail); err != nil {
				t.Fatal(err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		all := strings.Join(plan, "\n")
		t.Logf("%s:\n%s", tc.name, all)
		for _, w := range tc.want {
			if !strings.Contains(all, w) {
				t.Errorf("%s plan does not use %q:\n%s", tc.name, w, all)
			}
		}
		for _, n := range tc.not {
			if strings.Contains(all, n) {
				t.Errorf("%s plan has %q:\n%s", tc.name, n, all)
			}
		}
		// A SCAN of deliveries reads all of it (or all of an index).
		if fullScan.MatchString(all) {
			t.Errorf("%s plan scans deliveries:\n%s", tc.name, all)
		}
	}
}

// TestRecordOpensNoTemporaryTable checks the bytecode of the attempt insert,
// with the trigger program it runs (attempts_endpoint_health), for
// OpenEphemeral: a temporary b-tree opened and closed for every attempt
// recorded, which cost about 3 % of the store's CPU per delivery
// (insertAttemptSQL says why there was one). EXPLAIN lists a statement's
// trigger programs after its own.
func TestRecordOpensNoTemporaryTable(t *testing.T) {
	t.Parallel()
	s := openPlanStore(t)

	args := []any{1, 2, 200, "", "", "", "", 3, "", "{}", "dlv_x"}
	rows, err := s.read.QueryContext(t.Context(), "EXPLAIN "+insertAttemptSQL, args...)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var opcodes, triggers int
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		opcodes++
		switch op := vals[1].(string); op { // addr, opcode, p1, ...
		case "OpenEphemeral":
			t.Errorf("the attempt insert opens a temporary table (opcode %d)", opcodes)
		case "Program":
			triggers++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if triggers == 0 {
		t.Fatalf("no trigger program in %d opcodes: the check would not see the health trigger", opcodes)
	}
}
