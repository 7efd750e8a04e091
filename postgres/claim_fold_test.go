package postgres

import (
	"context"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testfactory"
)

// TestClaimFoldSkipsQueueRowsAClaimHolds checks the fold never waits for a
// claim (on any node) that holds an endpoint's queue row: it leaves that
// endpoint's wakeup for a later fold, which lowers next_due once the claim
// has committed. A fold that waited made three nodes slower than one.
func TestClaimFoldSkipsQueueRowsAClaimHolds(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openSchemaStore(t, &Config{MaxConns: 4})
	ep := testfactory.Endpoint(ctx, t, s, nil)
	fold := func() {
		t.Helper()
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if _, err := s.pool.Exec(fctx, claimFoldSQL, claimFoldLimit); err != nil {
			t.Fatalf("fold: %v", err)
		}
	}
	wakeups := func() int {
		t.Helper()
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM endpoint_queue_wakeups WHERE endpoint_id = $1`, ep.ID).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	testfactory.Event(ctx, t, s, &testfactory.EventOpts{CustomerID: ep.CustomerID})
	fold()
	if n := wakeups(); n != 0 {
		t.Fatalf("%d wakeups left after a fold with nothing locked, want 0", n)
	}
	// A claim settles the endpoint: nothing due for an hour.
	later := time.Now().Add(time.Hour)
	if _, err := s.pool.Exec(ctx, `UPDATE endpoint_queues SET next_due = $2 WHERE endpoint_id = $1`, ep.ID, later); err != nil {
		t.Fatal(err)
	}

	// Another claim holds the row while a new event's wakeup arrives.
	claim, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = claim.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := claim.Exec(ctx, `SELECT 1 FROM endpoint_queues WHERE endpoint_id = $1 FOR UPDATE`, ep.ID); err != nil {
		t.Fatal(err)
	}
	testfactory.Event(ctx, t, s, &testfactory.EventOpts{CustomerID: ep.CustomerID})
	start := time.Now()
	fold()
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("fold took %v with the queue row locked: it waited for the claim", d)
	}
	if n := wakeups(); n != 1 {
		t.Fatalf("%d wakeups after folding around a locked row, want the new one left (1)", n)
	}

	if err := claim.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	fold()
	if n := wakeups(); n != 0 {
		t.Fatalf("%d wakeups left once the claim committed, want 0", n)
	}
	var nextDue time.Time
	if err := s.pool.QueryRow(ctx, `SELECT next_due FROM endpoint_queues WHERE endpoint_id = $1`, ep.ID).Scan(&nextDue); err != nil {
		t.Fatal(err)
	}
	if !nextDue.Before(later) {
		t.Fatalf("next_due = %v after the fold, want it lowered below %v for the new delivery", nextDue, later)
	}
}
