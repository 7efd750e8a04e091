package postgres

import (
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/internal/sqlstore"
)

// TestPayloadColumnsAreNotAnalyzed: migration 022 turns ANALYZE's
// statistics off for the columns that only carry payload, and for no
// other column of those tables (a column a query filters or joins on
// needs its statistics for the planner).
func TestPayloadColumnsAreNotAnalyzed(t *testing.T) {
	t.Parallel()
	s := openSchemaStore(t, &Config{MaxConns: 1})
	rows, err := s.pool.Query(t.Context(), `SELECT c.relname || '.' || a.attname
		FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
		WHERE c.relnamespace = current_schema()::regnamespace
			AND c.relname IN ('events', 'deliveries', 'attempts')
			AND a.attnum > 0 AND NOT a.attisdropped AND a.attstattarget = 0
		ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	got, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"attempts.debug_error_message", "attempts.location", "attempts.request_headers",
		"attempts.response_body", "attempts.user_message",
		"deliveries.last_error", "deliveries.location",
		"events.body_gzip", "events.link_header", "events.trace_context",
	}
	if !slices.Equal(got, want) {
		t.Errorf("columns without statistics:\n got %q\nwant %q", got, want)
	}
}

// TestQueueDepthCountsEachCustomerOnce: the queue depth sample's count is
// one SubPlan. From a subquery in FROM the planner copied it into the
// filter too (SubPlan 1 and SubPlan 2), which counted every customer's
// backlog twice: 332-511 ms against 164-174 ms at a million pending
// (EXPLAIN ANALYZE on a scratch table, three runs each, alternated).
func TestQueueDepthCountsEachCustomerOnce(t *testing.T) {
	t.Parallel()
	s := openSchemaStore(t, &Config{MaxConns: 1})
	q, err := sqlstore.ParseQueries(queryFS, "query")
	if err != nil {
		t.Fatal(err)
	}
	rows, err := s.pool.Query(t.Context(), "EXPLAIN "+q["QueueDepthCounts"])
	if err != nil {
		t.Fatal(err)
	}
	lines, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	plan := strings.Join(lines, "\n")
	if n := strings.Count(plan, "SubPlan"); n != 1 {
		t.Errorf("the plan has %d SubPlans, want 1:\n%s", n, plan)
	}
}
