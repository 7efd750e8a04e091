package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
)

var _ herald.RetentionStore = (*Store)(nil)

// CustomerRetentionGet implements herald.RetentionStore.
func (s *Store) CustomerRetentionGet(ctx context.Context, customerID string) (int, error) {
	var days int
	err := s.read.QueryRowContext(ctx, `SELECT retention_days FROM customers WHERE id = ?`, customerID).Scan(&days)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return 0, herald.NotFound("customer", customerID)
	case err != nil:
		return 0, fmt.Errorf("get customer retention: %w", err)
	}
	return days, nil
}

// CustomerRetentionSet implements herald.RetentionStore.
func (s *Store) CustomerRetentionSet(ctx context.Context, customerID string, days int) error {
	if err := herald.ValidateRetentionDays(days); err != nil {
		return err
	}
	res, err := s.write.ExecContext(ctx, `UPDATE customers SET retention_days = ? WHERE id = ?`, days, customerID)
	if err != nil {
		return fmt.Errorf("set customer retention: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("set customer retention: %w", err)
	} else if n == 0 {
		return herald.NotFound("customer", customerID)
	}
	return nil
}

// Purge implements herald.RetentionStore. Each batch is one write
// transaction, so between batches the dispatcher's claims and commits get
// the writer: a purge of millions of rows delays them by one batch at most.
func (s *Store) Purge(ctx context.Context, p *herald.PurgeParams) (*herald.PurgeResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	limit := p.BatchSize
	if limit == 0 {
		limit = herald.DefaultPurgeBatchSize
	}
	type customer struct {
		id   string
		days int
	}
	var customers []customer
	rows, err := s.read.QueryContext(ctx, `SELECT id, retention_days FROM customers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	for rows.Next() {
		var c customer
		if err := rows.Scan(&c.id, &c.days); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("purge: %w", err)
		}
		customers = append(customers, c)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}

	res := &herald.PurgeResult{}
	// Queue depth samples first, in one statement: they are small rows,
	// kept QueueDepthRetention whatever the customers' retention.
	n, err := s.queueDepthPurge(ctx, p.Now.Add(-herald.QueueDepthRetention))
	if err != nil {
		return res, fmt.Errorf("purge queue depth samples: %w", err)
	}
	res.QueueDepthSamples = n
	for _, c := range customers {
		cutoff := toMillis(p.Cutoff(c.days))
		// after is the (created_at, id) of the last event looked at, so
		// each batch starts past the events the previous one kept.
		after := purgeCursor{createdAt: -1}
		for {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			more, err := s.purgeBatch(ctx, c.id, cutoff, &after, limit, res)
			if err != nil {
				return res, fmt.Errorf("purge customer %s: %w", c.id, err)
			}
			if !more {
				break
			}
		}
	}
	return res, nil
}

// purgeCursor is where a customer's purge resumes.
type purgeCursor struct {
	createdAt int64
	id        string
}

// purgeBatch looks at the customer's next limit events created before
// cutoff, removes those whose deliveries are all final and unchanged since
// cutoff, adds what it removed to res, and reports whether more events may
// follow.
func (s *Store) purgeBatch(ctx context.Context, customerID string, cutoff int64, after *purgeCursor, limit int, res *herald.PurgeResult) (bool, error) {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback() }()

	rows, err := tx.QueryContext(ctx, `SELECT id, created_at FROM events
		WHERE customer_id = ?1 AND created_at < ?2 AND (created_at, id) > (?3, ?4)
		ORDER BY created_at, id LIMIT ?5`, customerID, cutoff, after.createdAt, after.id, limit)
	if err != nil {
		return false, err
	}
	var candidates []string
	for rows.Next() {
		if err := rows.Scan(&after.id, &after.createdAt); err != nil {
			_ = rows.Close()
			return false, err
		}
		candidates = append(candidates, after.id)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, err
	}
	if len(candidates) == 0 {
		return false, nil
	}

	// Every delivery of the candidates: one that is pending, or changed
	// since the cutoff, keeps its event (and the event's other
	// deliveries) for a later purge.
	rows, err = tx.QueryContext(ctx, `SELECT id, event_id, state = 'pending' OR updated_at >= ?2
		FROM deliveries WHERE event_id IN (SELECT value FROM json_each(?1))`, jsonArray(candidates), cutoff)
	if err != nil {
		return false, err
	}
	byEvent := map[string][]string{}
	keep := map[string]bool{}
	for rows.Next() {
		var id, eventID string
		var live bool
		if err := rows.Scan(&id, &eventID, &live); err != nil {
			_ = rows.Close()
			return false, err
		}
		byEvent[eventID] = append(byEvent[eventID], id)
		if live {
			keep[eventID] = true
		}
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, err
	}
	var events, deliveries []string
	for _, id := range candidates {
		if !keep[id] {
			events = append(events, id)
			deliveries = append(deliveries, byEvent[id]...)
		}
	}
	more := len(candidates) == limit
	if len(events) == 0 {
		return more, nil // nothing to write: the transaction rolls back
	}

	// Children first: attempts reference deliveries, deliveries events.
	var counts [3]int64
	for i, q := range []struct {
		sql string
		ids []string
	}{
		{`DELETE FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?))`, deliveries},
		{`DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?))`, deliveries},
		{`DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))`, events},
	} {
		if len(q.ids) == 0 {
			continue
		}
		r, err := tx.ExecContext(ctx, q.sql, jsonArray(q.ids))
		if err != nil {
			return false, err
		}
		if counts[i], err = r.RowsAffected(); err != nil {
			return false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return false, err
	}
	res.Attempts += int(counts[0])
	res.Deliveries += int(counts[1])
	res.Events += int(counts[2])
	res.Batches++
	return more, nil
}
