package sqlite

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"testing"

	"github.com/heraldhq/herald"
)

// TestClaimPicksMatchModel checks both ways DeliveryClaimDue picks (the
// window of the due order and endpoint by endpoint) against a plain Go
// model of the contract, on random queues: endpoints with various caps,
// deleted ones, leased, expired and future rows, ties in due time, and
// exclusions.
func TestClaimPicksMatchModel(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, &Config{Path: filepath.Join(t.TempDir(), "picks.db")})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	mustExec := func(q string, args ...any) {
		t.Helper()
		if _, err := s.write.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	mustExec(`INSERT INTO customers (id, name, created_at) VALUES ('c', 'c', 0)`)
	mustExec(`INSERT INTO events (id, customer_id, type, body_gzip, created_at) VALUES ('e', 'c', 't', x'00', 0)`)

	type row struct {
		rowid    int64
		endpoint string
		at       int64
		leased   bool
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const endpoints = 12
	caps := map[string]int{}
	for i := range endpoints {
		id := fmt.Sprintf("ep%02d", i)
		if i%5 == 4 {
			continue // deleted: no endpoints row, the default cap
		}
		c := []int{0, 1, 2, 3, 8, herald.MaxEndpointConcurrency}[rng.IntN(6)]
		caps[id] = c
		mustExec(`INSERT INTO endpoints (id, customer_id, url, event_types, auth, gzip, enabled, max_concurrency, created_at, updated_at)
			VALUES (?, 'c', 'https://x', '[]', '{}', 0, 1, ?, 0, 0)`, id, c)
	}
	var rows []row
	// One transaction: a commit per row would be an fsync per row.
	ins, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1500 {
		ep := fmt.Sprintf("ep%02d", min(rng.IntN(endpoints+4), endpoints-1)) // the last one has a backlog
		at := int64(rng.IntN(60))
		token := ""
		if rng.IntN(10) == 0 {
			token = "tok" // leased: unexpired if at > now
		}
		if _, err := ins.ExecContext(ctx, `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state,
			next_attempt_at, lease_token, created_at, updated_at) VALUES (?, 'e', ?, 'c', 't', ?, ?, ?, 0, 0)`,
			fmt.Sprintf("d%05d", i), ep, []string{"pending", "pending", "pending", "delivered"}[rng.IntN(4)], at, token); err != nil {
			t.Fatal(err)
		}
	}
	if err := ins.Commit(); err != nil {
		t.Fatal(err)
	}
	rs, err := s.write.QueryContext(ctx, `SELECT rowid, endpoint_id, next_attempt_at, lease_token <> '' FROM deliveries WHERE state = 'pending'`)
	if err != nil {
		t.Fatal(err)
	}
	for rs.Next() {
		var r row
		if err := rs.Scan(&r.rowid, &r.endpoint, &r.at, &r.leased); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, r)
	}
	if err := rs.Close(); err != nil {
		t.Fatal(err)
	}

	// model is the contract: of each endpoint not excluded, its first
	// free-slots due rows; of those the limit oldest.
	model := func(now int64, limit int, exclude []string) []int64 {
		leases := map[string]int{}
		due := map[string][]row{}
		for _, r := range rows {
			switch {
			case r.at > now && r.leased:
				leases[r.endpoint]++
			case r.at <= now && !slices.Contains(exclude, r.endpoint):
				due[r.endpoint] = append(due[r.endpoint], r)
			}
		}
		var eligible []row
		for ep, ds := range due {
			c, ok := caps[ep]
			if !ok || c == 0 {
				c = herald.DefaultEndpointConcurrency
			}
			slices.SortFunc(ds, func(a, b row) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.rowid, b.rowid)) })
			eligible = append(eligible, ds[:max(0, min(len(ds), c-leases[ep]))]...)
		}
		slices.SortFunc(eligible, func(a, b row) int {
			return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.endpoint, b.endpoint), cmp.Compare(a.rowid, b.rowid))
		})
		out := []int64{}
		for _, r := range eligible[:min(limit, len(eligible))] {
			out = append(out, r.rowid)
		}
		return out
	}

	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback() }()
	for i := range 60 {
		now := int64(rng.IntN(70))
		limit := 1 + rng.IntN(150)
		var exclude []string
		for range rng.IntN(3) {
			exclude = append(exclude, fmt.Sprintf("ep%02d", rng.IntN(endpoints)))
		}
		want := model(now, limit, exclude)
		p := &herald.DeliveryClaimParams{Limit: limit, ExcludeEndpointIDs: exclude}
		p.Now = fromMillis(now)
		for _, slack := range []int{0, 7, 1 << 20} {
			s.claimSlack = slack
			picks, err := s.claimPicks(ctx, tx, p)
			if err != nil {
				t.Fatal(err)
			}
			got := []int64{}
			for _, pk := range picks {
				got = append(got, pk.rowid)
			}
			if !slices.Equal(got, want) {
				t.Fatalf("case %d (now %d, limit %d, exclude %v), slack %d:\n got %v\nwant %v", i, now, limit, exclude, slack, got, want)
			}
		}
	}
}
