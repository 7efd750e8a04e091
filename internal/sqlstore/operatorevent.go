package sqlstore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald"
)

var (
	qOperatorEventClaimUnsent = query("OperatorEventClaimUnsent")
	qOperatorEventRecordSend  = query("OperatorEventRecordSend")
	qOperatorEventListSelect  = query("OperatorEventListSelect")
)

// scanOperatorEvent reads the columns every operator event statement
// returns: id, type, customer_id, endpoint_id, delivery_id, at, detail,
// created_at, sent_at, send_attempts, last_send_error, send_abandoned.
func (s *Store) scanOperatorEvent(r Row) (*herald.OperatorEvent, error) {
	var ev herald.OperatorEvent
	var typ string
	err := r.Scan(&ev.ID, &typ, &ev.CustomerID, &ev.EndpointID, &ev.DeliveryID, s.d.ScanTime(&ev.At), &ev.Detail,
		s.d.ScanTime(&ev.CreatedAt), s.d.ScanTime(&ev.SentAt), &ev.SendAttempts, &ev.LastSendError, &ev.SendAbandoned)
	ev.Type = herald.OperatorEventType(typ)
	return &ev, err
}

// OperatorEventList implements herald.HealthStore, with keyset pagination
// on id as DeliveryList. Its filters are optional, so the statement is
// built here from the conditions asked for; it is the same on both stores
// (times as Dialect.Time encodes them) and $N placeholders, which both
// drivers number positionally.
func (s *Store) OperatorEventList(ctx context.Context, p *herald.OperatorEventListParams) (*herald.OperatorEventListResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	limit, err := herald.PageLimit(p.Limit)
	if err != nil {
		return nil, err
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return s.d.Arg(len(args))
	}
	if p.CustomerID != "" {
		where = append(where, `customer_id = `+arg(p.CustomerID))
	}
	if p.Type != "" {
		where = append(where, `type = `+arg(string(p.Type)))
	}
	if !p.Since.IsZero() {
		where = append(where, `created_at >= `+arg(s.d.Time(p.Since)))
	}
	if p.Cursor != "" {
		after, err := herald.ParseCursor(p.Cursor, herald.IDPrefixOperatorEvent)
		if err != nil {
			return nil, err
		}
		where = append(where, `id < `+arg(after))
	}
	q := s.sql(qOperatorEventListSelect)
	if len(where) > 0 {
		q += ` WHERE ` + strings.Join(where, ` AND `)
	}
	rows, err := s.read.Query(ctx, q+` ORDER BY id DESC LIMIT `+arg(limit+1), args...)
	evs, err := collect(rows, err, s.scanOperatorEvent)
	if err != nil {
		return nil, fmt.Errorf("list operator events: %w", err)
	}
	res := &herald.OperatorEventListResult{Events: evs}
	if len(evs) > limit {
		res.Events = evs[:limit]
		res.NextCursor = herald.NewCursor(evs[limit-1].ID)
	}
	return res, nil
}

// OperatorEventClaimUnsent implements herald.HealthStore: the due events
// move to the end of the lease in the same statement that returns them.
func (s *Store) OperatorEventClaimUnsent(ctx context.Context, now, leaseUntil time.Time, limit int) ([]*herald.OperatorEvent, error) {
	if err := herald.ValidateClaim(limit, now, leaseUntil); err != nil {
		return nil, err
	}
	rows, err := s.write.Query(ctx, s.sql(qOperatorEventClaimUnsent), s.d.Time(leaseUntil), s.d.Time(now), limit)
	evs, err := collect(rows, err, s.scanOperatorEvent)
	if err != nil {
		return nil, fmt.Errorf("claim operator events: %w", err)
	}
	// RETURNING gives no order; callers send oldest first.
	slices.SortFunc(evs, func(a, b *herald.OperatorEvent) int { return strings.Compare(a.ID, b.ID) })
	return evs, nil
}

// OperatorEventRecordSend implements herald.HealthStore.
func (s *Store) OperatorEventRecordSend(ctx context.Context, r *herald.OperatorEventSendRecord) error {
	var sentAt, next time.Time // the zero time: none
	abandoned := false
	switch {
	case r.Sent:
		sentAt = r.At
	case r.NextAttemptAt.IsZero():
		abandoned = true
	default:
		next = r.NextAttemptAt
	}
	n, err := s.write.Exec(ctx, s.sql(qOperatorEventRecordSend),
		s.d.Time(sentAt), s.d.Time(next), r.Error, abandoned, r.ID)
	if err != nil {
		return fmt.Errorf("record operator event send: %w", err)
	}
	return rowsChanged(n, nil, "operator event", r.ID)
}
