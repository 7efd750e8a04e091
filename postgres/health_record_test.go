package postgres

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/testfactory"
)

// TestHealthTriggerServesOnlyThePreviousRelease checks migration 020: the
// trigger on attempts still keeps endpoint health for an insert that does
// not say it keeps health itself (the previous release's record, which a
// rolling upgrade runs beside this one), and does nothing for one that
// does (recordAttemptsSQL), which would otherwise pay for the same work
// twice.
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

	if _, err := s.pool.Exec(ctx, previousRecord, []string{deliveryID}, []int{1}, []time.Time{at}, []int{503}); err != nil {
		t.Fatal(err)
	}
	if got := lastFailure(); !got.Equal(at) {
		t.Fatalf("after the previous release's record: last failure %v, want %v (the trigger kept health)", got, at)
	}

	tx, err := s.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SELECT set_config('herald.health_by_record', 'on', true)`); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, previousRecord, []string{deliveryID}, []int{2}, []time.Time{at.Add(time.Minute)}, []int{503}); err != nil {
		t.Fatal(err)
	}
	if err := tx.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	if got := lastFailure(); !got.Equal(at) {
		t.Fatalf("after an insert that keeps health itself: last failure %v, want %v (the trigger stood aside)", got, at)
	}
}
