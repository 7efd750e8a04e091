package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
)

var _ herald.RetentionStore = (*Store)(nil)

// CustomerRetentionGet implements herald.RetentionStore.
func (s *Store) CustomerRetentionGet(ctx context.Context, customerID string) (int, error) {
	var days int
	err := s.pool.QueryRow(ctx, `SELECT retention_days FROM customers WHERE id = $1`, customerID).Scan(&days)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
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
	tag, err := s.pool.Exec(ctx, `UPDATE customers SET retention_days = $1 WHERE id = $2`, days, customerID)
	if err != nil {
		return fmt.Errorf("set customer retention: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return herald.NotFound("customer", customerID)
	}
	return nil
}

// Purge implements herald.RetentionStore. Each batch is one short
// transaction that locks only the rows it removes: claims never wait on it
// (they take pending rows, which it never touches), and two nodes purging at
// once skip each other's events (SKIP LOCKED) instead of queueing.
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
	rows, err := s.pool.Query(ctx, `SELECT id, retention_days FROM customers ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	customers, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (customer, error) {
		var c customer
		err := r.Scan(&c.id, &c.days)
		return c, err
	})
	if err != nil {
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
		cutoff := dbTime(p.Cutoff(c.days))
		// after is the (created_at, id) of the last event looked at, so
		// each batch starts past the events the previous one kept. The
		// zero time sorts before every event (-infinity would too).
		after := purgeCursor{createdAt: time.Time{}}
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
	createdAt time.Time
	id        string
}

// purgeBatch looks at the customer's next limit events created before
// cutoff, removes those whose deliveries are all final and unchanged since
// cutoff, adds what it removed to res, and reports whether more events may
// follow.
func (s *Store) purgeBatch(ctx context.Context, customerID string, cutoff time.Time, after *purgeCursor, limit int, res *herald.PurgeResult) (bool, error) {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	// FOR UPDATE: a replay or a new delivery for one of these events
	// (which takes a KEY SHARE lock on the event for its foreign key)
	// waits for this batch instead of racing it. SKIP LOCKED: another
	// node's purge holds those; this one moves on past them.
	rows, err := tx.Query(ctx, `SELECT id, created_at FROM events
		WHERE customer_id = $1 AND created_at < $2 AND (created_at, id) > ($3, $4)
		ORDER BY created_at, id LIMIT $5
		FOR UPDATE SKIP LOCKED`, customerID, cutoff, after.createdAt, after.id, limit)
	if err != nil {
		return false, err
	}
	var candidates []string
	for rows.Next() {
		if err := rows.Scan(&after.id, &after.createdAt); err != nil {
			rows.Close()
			return false, err
		}
		candidates = append(candidates, after.id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	if len(candidates) == 0 {
		return false, nil
	}

	// Lock every delivery of the candidates, then decide on what the lock
	// returns: in READ COMMITTED, FOR UPDATE waits for a concurrent
	// DeliveryRetry or record and returns the row as it committed, so a
	// delivery made pending a moment ago is seen pending and keeps its
	// event. Once locked, nothing can change them before the deletes.
	rows, err = tx.Query(ctx, `SELECT id, event_id, state = 'pending' OR updated_at >= $2
		FROM deliveries WHERE event_id = ANY($1) FOR UPDATE`, candidates, cutoff)
	if err != nil {
		return false, err
	}
	byEvent := map[string][]string{}
	keep := map[string]bool{}
	for rows.Next() {
		var id, eventID string
		var live bool
		if err := rows.Scan(&id, &eventID, &live); err != nil {
			rows.Close()
			return false, err
		}
		byEvent[eventID] = append(byEvent[eventID], id)
		if live {
			keep[eventID] = true
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
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
	// Three statements rather than one with data-modifying CTEs, so each
	// foreign-key check sees the previous statement's deletes.
	var counts [3]int64
	for i, q := range []struct {
		sql string
		ids []string
	}{
		{`DELETE FROM attempts WHERE delivery_id = ANY($1)`, deliveries},
		{`DELETE FROM deliveries WHERE id = ANY($1)`, deliveries},
		{`DELETE FROM events WHERE id = ANY($1)`, events},
	} {
		if len(q.ids) == 0 {
			continue
		}
		tag, err := tx.Exec(ctx, q.sql, q.ids)
		if err != nil {
			return false, err
		}
		counts[i] = tag.RowsAffected()
	}
	if err := tx.Commit(ctx); err != nil {
		return false, err
	}
	res.Attempts += int(counts[0])
	res.Deliveries += int(counts[1])
	res.Events += int(counts[2])
	res.Batches++
	return more, nil
}
