package sqlite

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestQueryPlans checks that the hot queries use their indexes: without
// deliveries_due the claim is a full scan, which the performance notes
// measured 20 times slower, and slower as history grows.
func TestQueryPlans(t *testing.T) {
	t.Parallel()
	s, err := Open(t.Context(), &Config{Path: filepath.Join(t.TempDir(), "plan.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })

	for _, tc := range []struct {
		name  string
		query string
		args  []any
		want  string
	}{
		{"Claim", `UPDATE deliveries SET next_attempt_at = ?, lease_owner = ?, lease_token = ?
			WHERE rowid IN (SELECT rowid FROM deliveries
				WHERE state = 'pending' AND next_attempt_at <= ?
					AND endpoint_id NOT IN (SELECT value FROM json_each(?))
				ORDER BY next_attempt_at LIMIT ?)`,
			[]any{1, "o", "t", 1, "[]", 10}, "USING COVERING INDEX deliveries_due "},
		{"List", `SELECT id FROM deliveries WHERE customer_id = ? AND id < ? ORDER BY id DESC LIMIT ?`,
			[]any{"c", "dlv_", 10}, "USING COVERING INDEX deliveries_customer_id_id"},
		{"ListForEvent", `SELECT id FROM deliveries WHERE event_id = ? ORDER BY rowid`,
			[]any{"e"}, "USING INDEX deliveries_event_id"},
		{"Attempts", `SELECT number FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?)) ORDER BY at, id`,
			[]any{"[]"}, "USING INDEX attempts_delivery_id"},
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
		t.Logf("%s:\n%s", tc.name, strings.Join(plan, "\n"))
		if !strings.Contains(strings.Join(plan, "\n"), tc.want) {
			t.Errorf("%s plan does not use %q:\n%s", tc.name, tc.want, strings.Join(plan, "\n"))
		}
	}
}
