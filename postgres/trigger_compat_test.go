package postgres

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testfactory"
)

// Migrations 020 and 021 keep two triggers for the previous release, which
// a rolling upgrade runs beside this one: each still does its work for a
// statement of the old form, and stands aside for one that sets the
// setting saying it did the work itself (which would otherwise pay twice).

// execSetting runs query in a transaction of its own, after setting setting
// to on for the transaction unless setting is empty.
func execSetting(t *testing.T, s *Store, setting, query string, args ...any) {
	t.Helper()
	ctx := t.Context()
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if setting != "" {
		if _, err := tx.Exec(ctx, `SELECT set_config($1, 'on', true)`, setting); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Exec(ctx, query, args...); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestHealthTriggerServesOnlyThePreviousRelease: the attempts trigger keeps
// endpoint health for the previous release's record, not for one that
// keeps it itself (recordAttemptsSQL).
func TestHealthTriggerServesOnlyThePreviousRelease(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := openSchemaStore(t, &Config{MaxConns: 2})
	ep := testfactory.Endpoint(ctx, t, s, nil)
	res := testfactory.Event(ctx, t, s, &testfactory.EventOpts{CustomerID: ep.CustomerID})
	deliveryID := res.Deliveries[0].ID
	at := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)

	// The previous release's statement, as it was before migration 020.
	const previousRecord = `INSERT INTO attempts (delivery_id, number, at, status_code)
		SELECT u.* FROM unnest($1::text[], $2::int[], $3::timestamptz[], $4::int[]) AS u (delivery_id, number, at, status_code)
		JOIN deliveries d ON d.id = u.delivery_id`
	lastFailure := func() time.Time {
		t.Helper()
		var last *time.Time
		err := s.pool.QueryRow(ctx, `SELECT last_failure_at FROM endpoint_health WHERE endpoint_id = $1`, ep.ID).Scan(&last)
		if err != nil {
			t.Fatal(err)
		}
		if last == nil {
			return time.Time{}
		}
		return last.UTC()
	}

	execSetting(t, s, "", previousRecord, []string{deliveryID}, []int{1}, []time.Time{at}, []int{503})
	if got := lastFailure(); !got.Equal(at) {
		t.Fatalf("after the previous release's record: last failure %v, want %v (the trigger kept health)", got, at)
	}
	execSetting(t, s, "herald.health_by_record", previousRecord, []string{deliveryID}, []int{2}, []time.Time{at.Add(time.Minute)}, []int{503})
	if got := lastFailure(); !got.Equal(at) {
		t.Fatalf("after an insert that keeps health itself: last failure %v, want %v (the trigger stood aside)", got, at)
	}
}

// TestWakeTriggerServesInsertsOtherThanPublish: the deliveries insert
// trigger wakes the endpoint of an insert that writes no wakeups (a
// platform action's, the previous release's publish), not of one that
// writes its own (publishInsertSQL).
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
	insert := func(id, setting string) {
		t.Helper()
		res := testfactory.Event(ctx, t, s, &testfactory.EventOpts{CustomerID: ep.CustomerID})
		execSetting(t, s, setting, `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state,
				next_attempt_at, created_at, updated_at)
			VALUES ($1, $2, $3, $4, 'AssessmentEvent', 'pending', $5, $5, $5)`,
			id, res.Event.ID, endpointID, ep.CustomerID, at)
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

	insert("dlv_other_insert", "")
	if n := wakeups(); n != 1 {
		t.Fatalf("after an insert that writes no wakeups: %d wakeups at its due time, want 1 (the trigger's)", n)
	}
	insert("dlv_own_wakes", "herald.publish_wakes")
	if n := wakeups(); n != 1 {
		t.Fatalf("after an insert that writes its own wakeups: %d wakeups at its due time, want still 1", n)
	}
}
