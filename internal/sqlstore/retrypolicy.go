package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/heraldhq/herald/wire"
)

var _ herald.RetryPolicyStore = (*Store)(nil)

var (
	qRetryPolicyUpsert = query("RetryPolicyUpsert")
	qRetryPolicyGet    = query("RetryPolicyGet")
	qRetryPolicyList   = query("RetryPolicyList")
	qRetryPolicyDelete = query("RetryPolicyDelete")
)

// The retry_policies columns every retry policy statement reads, in this
// order: customer_id, event_type, the schedule in milliseconds,
// max_attempts, max_window in milliseconds, permanent_statuses,
// created_at, updated_at.
func (s *Store) scanRetryPolicy(r Row) (*herald.CustomerRetryPolicy, error) {
	var p herald.CustomerRetryPolicy
	var eventType string
	var schedule, statuses []int64
	var window int64
	if err := r.Scan(&p.CustomerID, &eventType, s.d.ScanIntList(&schedule), &p.MaxAttempts, &window,
		s.d.ScanIntList(&statuses), s.d.ScanTime(&p.CreatedAt), s.d.ScanTime(&p.UpdatedAt)); err != nil {
		return nil, err
	}
	p.EventType = wire.EventType(eventType)
	for _, ms := range schedule {
		p.Schedule = append(p.Schedule, time.Duration(ms)*time.Millisecond)
	}
	for _, st := range statuses {
		p.PermanentStatuses = append(p.PermanentStatuses, int(st))
	}
	p.MaxWindow = time.Duration(window) * time.Millisecond
	return &p, nil
}

// RetryPolicySet implements herald.RetryPolicyStore.
func (s *Store) RetryPolicySet(ctx context.Context, p *herald.CustomerRetryPolicy) error {
	if err := p.Validate(); err != nil {
		return err
	}
	schedule := make([]int64, len(p.Schedule))
	for i, w := range p.Schedule {
		schedule[i] = w.Milliseconds()
	}
	statuses := make([]int64, len(p.PermanentStatuses))
	for i, st := range p.PermanentStatuses {
		statuses[i] = int64(st)
	}
	now := s.now()
	var createdAt time.Time
	err := s.write.QueryRow(ctx, s.sql(qRetryPolicyUpsert),
		p.CustomerID, string(p.EventType), s.d.IntList(schedule), p.MaxAttempts, p.MaxWindow.Milliseconds(),
		s.d.IntList(statuses), s.d.Time(now)).Scan(s.d.ScanTime(&createdAt))
	switch {
	case errors.Is(err, ErrForeignKey):
		return herald.NotFound("customer", p.CustomerID)
	case err != nil:
		return fmt.Errorf("set retry policy: %w", err)
	}
	p.CreatedAt, p.UpdatedAt = createdAt, now
	return nil
}

// RetryPolicyGet implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyGet(ctx context.Context, customerID string, eventType wire.EventType) (*herald.CustomerRetryPolicy, error) {
	p, err := s.scanRetryPolicy(s.read.QueryRow(ctx, s.sql(qRetryPolicyGet), customerID, string(eventType)))
	switch {
	case errors.Is(err, storerules.ErrNotFound):
		return nil, herald.RetryPolicyNotFound(customerID, eventType)
	case err != nil:
		return nil, fmt.Errorf("get retry policy: %w", err)
	}
	return p, nil
}

// RetryPolicyList implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyList(ctx context.Context, customerID string) ([]*herald.CustomerRetryPolicy, error) {
	rows, err := s.read.Query(ctx, s.sql(qRetryPolicyList), customerID)
	out, err := collect(rows, err, s.scanRetryPolicy)
	if err != nil {
		return nil, fmt.Errorf("list retry policies: %w", err)
	}
	return out, nil
}

// RetryPolicyDelete implements herald.RetryPolicyStore.
func (s *Store) RetryPolicyDelete(ctx context.Context, customerID string, eventType wire.EventType) error {
	n, err := s.write.Exec(ctx, s.sql(qRetryPolicyDelete), customerID, string(eventType))
	switch {
	case err != nil:
		return fmt.Errorf("delete retry policy: %w", err)
	case n == 0:
		return herald.RetryPolicyNotFound(customerID, eventType)
	}
	return nil
}
