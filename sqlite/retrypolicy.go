package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

var _ herald.RetryPolicyStore = (*Store)(nil)

const retryPolicyColumns = `customer_id, event_type, schedule, max_attempts, max_window,
	permanent_statuses, created_at, updated_at`

func scanRetryPolicy(r rowScanner) (*herald.CustomerRetryPolicy, error) {
	var p herald.CustomerRetryPolicy
	var schedule, statuses string
	var window, createdAt, updatedAt int64
	if err := r.Scan(&p.CustomerID, &p.EventType, &schedule, &p.MaxAttempts, &window,
		&statuses, &createdAt, &updatedAt); err != nil {
		return nil, err
	}
	var ms []int64
	if err := json.Unmarshal([]byte(schedule), &ms); err != nil {
		return nil, fmt.Errorf("retry policy %s/%s: schedule: %w", p.CustomerID, p.EventType, err)
	}
	for _, m := range ms {
		p.Schedule = append(p.Schedule, time.Duration(m)*time.Millisecond)
	}
	if err := json.Unmarshal([]byte(statuses), &p.PermanentStatuses); err != nil {
		return nil, fmt.Errorf("retry policy %s/%s: permanent_statuses: %w", p.CustomerID, p.EventType, err)
	}
	if len(p.PermanentStatuses) == 0 {
		p.PermanentStatuses = nil
	}
	p.MaxWindow = time.Duration(window) * time.Millisecond
	p.CreatedAt, p.UpdatedAt = fromMillis(createdAt), fromMillis(updatedAt)
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
	schedule, err := json.Marshal(ms)
	if err != nil {
		return fmt.Errorf("set retry policy: %w", err)
	}
	statuses := []int{}
	statuses = append(statuses, p.PermanentStatuses...)
	permanent, err := json.Marshal(statuses)
	if err != nil {
		return fmt.Errorf("set retry policy: %w", err)
	}
	now := toMillis(s.now())
	var createdAt int64
	err = s.write.QueryRowContext(ctx, `INSERT INTO retry_policies (`+retryPolicyColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (customer_id, event_type) DO UPDATE SET
			schedule = excluded.schedule, max_attempts = excluded.max_attempts,
			max_window = excluded.max_window, permanent_statuses = excluded.permanent_statuses,
			updated_at = excluded.updated_at
		RETURNING created_at`,
		p.CustomerID, string(p.EventType), string(schedule), p.MaxAttempts, p.MaxWindow.Milliseconds(),
		string(permanent), now, now).Scan(&createdAt)
	switch {
	case isForeignKeyViolation(err):
		return herald.NotFound("customer", p.CustomerID)
	case err != nil:
		return fmt.Errorf("set retry policy: %w", err)
	}
	p.CreatedAt, p.UpdatedAt = fromMillis(createdAt), fromMillis(now)
	return nil
}

// RetryPolicyGet implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyGet(ctx context.Context, customerID string, eventType wire.EventType) (*herald.CustomerRetryPolicy, error) {
	p, err := scanRetryPolicy(s.read.QueryRowContext(ctx, `SELECT `+retryPolicyColumns+`
		FROM retry_policies WHERE customer_id = ? AND event_type = ?`, customerID, string(eventType)))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.RetryPolicyNotFound(customerID, eventType)
	case err != nil:
		return nil, fmt.Errorf("get retry policy: %w", err)
	}
	return p, nil
}

// RetryPolicyList implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyList(ctx context.Context, customerID string) ([]*herald.CustomerRetryPolicy, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT `+retryPolicyColumns+`
		FROM retry_policies WHERE customer_id = ? ORDER BY event_type`, customerID)
	if err != nil {
		return nil, fmt.Errorf("list retry policies: %w", err)
	}
	defer rows.Close()
	out := []*herald.CustomerRetryPolicy{}
	for rows.Next() {
		p, err := scanRetryPolicy(rows)
		if err != nil {
			return nil, fmt.Errorf("list retry policies: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list retry policies: %w", err)
	}
	return out, nil
}

// RetryPolicyDelete implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyDelete(ctx context.Context, customerID string, eventType wire.EventType) error {
	res, err := s.write.ExecContext(ctx, `DELETE FROM retry_policies WHERE customer_id = ? AND event_type = ?`,
		customerID, string(eventType))
	if err != nil {
		return fmt.Errorf("delete retry policy: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return herald.RetryPolicyNotFound(customerID, eventType)
	}
	return nil
}
