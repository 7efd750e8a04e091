package postgres

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testfactory"
)

// TestWakeTriggerServesInsertsOtherThanPublish checks migration 021: an
// insert of deliveries that does not write its own wakeups (a platform
// action's, the previous release's publish) still wakes its endpoint
// through the trigger, and one that does (publishInsertSQL) is left alone.
func TestWakeTriggerServesInsertsOtherThanPublish(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openSchemaStore(t, &Config{MaxConns: 2})
	ep := testfactory.Endpoint(ctx, t, s, nil)
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

	// Deliveries of an endpoint id the event's publish did not reach (a
	// delivery's endpoint_id has no foreign key), one event each: an event
	// has one delivery per endpoint.
	const endpointID = "ep_test_wakes"
	insert := func(id string, own bool) {
		t.Helper()
		res := testfactory.Event(ctx, t, s, &testfactory.EventOpts{CustomerID: ep.CustomerID})
		tx, err := s.pool.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		if own {
			if _, err := tx.Exec(ctx, `SELECT set_config('herald.publish_wakes', 'on', true)`); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state,
				next_attempt_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'AssessmentEvent', 'pending', $5, $5, $5)`,
			id, res.Event.ID, endpointID, ep.CustomerID, at); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(ctx); err != nil {
			t.Fatal(err)
		}
	}
	wakeups := func() int {
		t.Helper()
		var n int
		if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM endpoint_queue_wakeups WHERE endpoint_id = $1 AND due = $2`,
			endpointID, at).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}

	insert("dlv_other_insert", false)
	if n := wakeups(); n != 1 {
		t.Fatalf("after an insert that writes no wakeups: %d wakeups at its due time, want 1 (the trigger's)", n)
	}
	insert("dlv_own_wakes", true)
	if n := wakeups(); n != 1 {
		t.Fatalf("after an insert that writes its own wakeups: %d wakeups at its due time, want still 1", n)
	}
}
