package sqlite

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

// OperatorEventClaimUnsent implements herald.HealthStore: the due events
// move to the end of the lease in the same statement that returns them.
func (s *Store) OperatorEventClaimUnsent(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*herald.OperatorEvent, error) {
	if err := herald.ValidateClaim(limit, now, leaseUntil); err != nil {
		return nil, err
	}
	rows, err := s.write.QueryContext(ctx, `UPDATE operator_events SET send_next_at = ?1
		WHERE id IN (SELECT id FROM operator_events WHERE send_next_at <> 0 AND send_next_at <= ?2
			ORDER BY send_next_at, id LIMIT ?3)
		RETURNING `+operatorEventColumns, toMillis(leaseUntil), toMillis(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim operator events: %w", err)
	}
	evs, err := scanOperatorEvents(rows)
	if err != nil {
		return nil, fmt.Errorf("claim operator events: %w", err)
	}
	// RETURNING gives no order; callers send oldest first.
	sortOperatorEvents(evs)
	return evs, nil
}

// OperatorEventRecordSend implements herald.HealthStore.
func (s *Store) OperatorEventRecordSend(ctx context.Context, r *herald.OperatorEventSendRecord) error {
	var sentAt, next int64
	abandoned := false
	switch {
	case r.Sent:
		sentAt = toMillis(r.At)
	case r.NextAttemptAt.IsZero():
		abandoned = true
	default:
		next = toMillis(r.NextAttemptAt)
	}
	res, err := s.write.ExecContext(ctx, `UPDATE operator_events SET sent_at = ?, send_next_at = ?,
			send_attempts = send_attempts + 1, last_send_error = ?, send_abandoned = ?
		WHERE id = ?`, sentAt, next, r.Error, boolInt(abandoned), r.ID)
	if err != nil {
		return fmt.Errorf("record operator event send: %w", err)
	}
	return notFoundIfNone(res, "operator event", r.ID)
}

func sortOperatorEvents(evs []*herald.OperatorEvent) {
	slices.SortFunc(evs, func(a, b *herald.OperatorEvent) int { return strings.Compare(a.ID, b.ID) })
}
