package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

var _ herald.RetryPolicyStore = (*Store)(nil)

const retryPolicyColumns = `customer_id, event_type, schedule_ms, max_attempts, max_window_ms,
	permanent_statuses, created_at, updated_at`

func scanRetryPolicy(r pgx.Row) (*herald.CustomerRetryPolicy, error) {
	var p herald.CustomerRetryPolicy
	var ms []int64
	var statuses []int32
	var window int64
	var eventType string
	if err := r.Scan(&p.CustomerID, &eventType, &ms, &p.MaxAttempts, &window,
		&statuses, &p.CreatedAt, &p.UpdatedAt); err != nil {
		return nil, err
	}
	p.EventType = wire.EventType(eventType)
	for _, m := range ms {
		p.Schedule = append(p.Schedule, time.Duration(m)*time.Millisecond)
	}
	for _, s := range statuses {
		p.PermanentStatuses = append(p.PermanentStatuses, int(s))
	}
	p.MaxWindow = time.Duration(window) * time.Millisecond
	p.CreatedAt, p.UpdatedAt = p.CreatedAt.UTC(), p.UpdatedAt.UTC()
	return &p, nil
}

// RetryPolicySet implements herald.RetryPolicyStore.
func (s *Store) RetryPolicySet(ctx context.Context, p *herald.CustomerRetryPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	ms := make([]int64, len(p.Schedule))
	for i, w := range p.Schedule {
		ms[i] = w.Milliseconds()
	}
	statuses := make([]int32, len(p.PermanentStatuses))
	for i, st := range p.PermanentStatuses {
		statuses[i] = int32(st)
	}
	now := s.nowUTC()
	var createdAt time.Time
	err := s.pool.QueryRow(ctx, `INSERT INTO retry_policies (`+retryPolicyColumns+`)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (customer_id, event_type) DO UPDATE SET
			schedule_ms = excluded.schedule_ms, max_attempts = excluded.max_attempts,
			max_window_ms = excluded.max_window_ms, permanent_statuses = excluded.permanent_statuses,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		p.CustomerID, string(p.EventType), ms, p.MaxAttempts, p.MaxWindow.Milliseconds(), statuses, now).Scan(&createdAt)
	switch {
	case isForeignKeyViolation(err):
		return herald.NotFound("customer", p.CustomerID)
	case err != nil:
		return fmt.Errorf("set retry policy: %w", err)
	}
	p.CreatedAt, p.UpdatedAt = createdAt.UTC(), now
	return nil
}

// RetryPolicyGet implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyGet(ctx context.Context, customerID string, eventType wire.EventType) (*herald.CustomerRetryPolicy, error) {
	p, err := scanRetryPolicy(s.pool.QueryRow(ctx, `SELECT `+retryPolicyColumns+`
		FROM retry_policies WHERE customer_id = $1 AND event_type = $2`, customerID, string(eventType)))
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.RetryPolicyNotFound(customerID, eventType)
	case err != nil:
		return nil, fmt.Errorf("get retry policy: %w", err)
	}
	return p, nil
}

// RetryPolicyList implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyList(ctx context.Context, customerID string) ([]*herald.CustomerRetryPolicy, error) {
	// COLLATE "C": byte order, as SQLite sorts, so both stores list alike.
	rows, err := s.pool.Query(ctx, `SELECT `+retryPolicyColumns+`
		FROM retry_policies WHERE customer_id = $1 ORDER BY event_type COLLATE "C"`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list retry policies: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (*herald.CustomerRetryPolicy, error) {
		return scanRetryPolicy(r)
	})
	if err != nil {
		return nil, fmt.Errorf("list retry policies: %w", err)
	}
	if out == nil {
		out = []*herald.CustomerRetryPolicy{}
	}
	return out, nil
}

// RetryPolicyDelete implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyDelete(ctx context.Context, customerID string, eventType wire.EventType) error {
	tag, err := s.pool.Exec(ctx, `DELETE FROM retry_policies WHERE customer_id = $1 AND event_type = $2`,
		customerID, string(eventType))
	if err != nil {
		return fmt.Errorf("delete retry policy: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.RetryPolicyNotFound(customerID, eventType)
	}
	return nil
}
