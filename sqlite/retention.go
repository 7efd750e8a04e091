package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
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

// retentionRules is embedded in Store under an unexported name: Purge is
// storerules', over retentionTx. Each batch is one write transaction, so
// between batches the dispatcher's claims and commits get the writer: a
// purge of millions of rows delays them by one batch at most.
type retentionRules = storerules.Retention

func (s *Store) newRetentionRules() retentionRules {
	return retentionRules{
		Customers: func(ctx context.Context) ([]storerules.CustomerRetention, error) {
			rows, err := s.read.QueryContext(ctx, `SELECT id, retention_days FROM customers ORDER BY id`)
			if err != nil {
				return nil, err
			}
			defer rows.Close()
			var out []storerules.CustomerRetention
			for rows.Next() {
				var c storerules.CustomerRetention
				if err := rows.Scan(&c.ID, &c.Days); err != nil {
					return nil, err
				}
				out = append(out, c)
			}
			return out, rows.Err()
		},
		PurgeQueueDepth: s.queueDepthPurge,
		InPurgeTx: func(ctx context.Context, fn func(storerules.RetentionTx) error) error {
			return s.withTx(ctx, func(tx *sql.Tx) error { return fn(retentionTx{tx}) })
		},
		Round: atMillis,
	}
}

// retentionTx is storerules.RetentionTx over a write transaction. The
// single writer means nothing changes the rows between its statements.
type retentionTx struct{ tx *sql.Tx }

func (t retentionTx) PurgeCandidates(ctx context.Context, customerID string, cutoff, afterAt time.Time, afterID string, limit int) ([]storerules.PurgeEvent, error) {
	after := int64(-1) // before every event
	if !afterAt.IsZero() {
		after = toMillis(afterAt)
	}
	rows, err := t.tx.QueryContext(ctx, `SELECT id, created_at FROM events
		WHERE customer_id = ?1 AND created_at < ?2 AND (created_at, id) > (?3, ?4)
		ORDER BY created_at, id LIMIT ?5`, customerID, toMillis(cutoff), after, afterID, limit)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storerules.PurgeEvent
	for rows.Next() {
		var e storerules.PurgeEvent
		var at int64
		if err := rows.Scan(&e.ID, &at); err != nil {
			return nil, err
		}
		e.CreatedAt = fromMillis(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t retentionTx) PurgeDeliveries(ctx context.Context, eventIDs []string, cutoff time.Time) ([]storerules.PurgeDelivery, error) {
	rows, err := t.tx.QueryContext(ctx, `SELECT id, event_id, state = 'pending' OR updated_at >= ?2
		FROM deliveries WHERE event_id IN (SELECT value FROM json_each(?1))`, jsonArray(eventIDs), toMillis(cutoff))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []storerules.PurgeDelivery
	for rows.Next() {
		var d storerules.PurgeDelivery
		if err := rows.Scan(&d.ID, &d.EventID, &d.Live); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t retentionTx) DeleteAttempts(ctx context.Context, deliveryIDs []string) (int64, error) {
	return t.deleteIn(ctx, `DELETE FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?))`, deliveryIDs)
}

func (t retentionTx) DeleteDeliveries(ctx context.Context, ids []string) (int64, error) {
	return t.deleteIn(ctx, `DELETE FROM deliveries WHERE id IN (SELECT value FROM json_each(?))`, ids)
}

func (t retentionTx) DeleteEvents(ctx context.Context, ids []string) (int64, error) {
	return t.deleteIn(ctx, `DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))`, ids)
}

func (t retentionTx) deleteIn(ctx context.Context, query string, ids []string) (int64, error) {
	r, err := t.tx.ExecContext(ctx, query, jsonArray(ids))
	if err != nil {
		return 0, err
	}
	return r.RowsAffected()
}
