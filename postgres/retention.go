package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
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

// retentionRules is embedded in Store under an unexported name: Purge is
// storerules', over retentionTx. Each batch is one short transaction that
// locks only the rows it removes: claims never wait on it (they take pending
// rows, which it never touches), and two nodes purging at once skip each
// other's events (SKIP LOCKED) instead of queueing.
type retentionRules = storerules.Retention

func (s *Store) newRetentionRules() retentionRules {
	return retentionRules{
		Customers: func(ctx context.Context) ([]storerules.CustomerRetention, error) {
			rows, err := s.pool.Query(ctx, `SELECT id, retention_days FROM customers ORDER BY id`)
			if err != nil {
				return nil, err
			}
			return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storerules.CustomerRetention, error) {
				var c storerules.CustomerRetention
				err := r.Scan(&c.ID, &c.Days)
				return c, err
			})
		},
		PurgeQueueDepth: s.queueDepthPurge,
		InPurgeTx: func(ctx context.Context, fn func(storerules.RetentionTx) error) error {
			return s.withTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error { return fn(retentionTx{tx}) })
		},
		Round: dbTime,
	}
}

// retentionTx is storerules.RetentionTx over a transaction.
type retentionTx struct{ tx pgx.Tx }

// PurgeCandidates: FOR UPDATE, so a replay or a new delivery for one of
// these events (which takes a KEY SHARE lock on the event for its foreign
// key) waits for this batch instead of racing it; SKIP LOCKED, so another
// node's purge keeps those and this one moves on past them.
func (t retentionTx) PurgeCandidates(ctx context.Context, customerID string, cutoff, afterAt time.Time, afterID string, limit int) ([]storerules.PurgeEvent, error) {
	rows, err := t.tx.Query(ctx, `SELECT id, created_at FROM events
		WHERE customer_id = $1 AND created_at < $2 AND (created_at, id) > ($3, $4)
		ORDER BY created_at, id LIMIT $5
		FOR UPDATE SKIP LOCKED`, customerID, cutoff, afterAt, afterID, limit)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storerules.PurgeEvent, error) {
		var e storerules.PurgeEvent
		err := r.Scan(&e.ID, &e.CreatedAt)
		return e, err
	})
}

// PurgeDeliveries locks every delivery of the candidates and decides on
// what the lock returns: in READ COMMITTED, FOR UPDATE waits for a
// concurrent DeliveryRetry or record and returns the row as it committed, so
// a delivery made pending a moment ago is seen pending and keeps its event.
func (t retentionTx) PurgeDeliveries(ctx context.Context, eventIDs []string, cutoff time.Time) ([]storerules.PurgeDelivery, error) {
	rows, err := t.tx.Query(ctx, `SELECT id, event_id, state = 'pending' OR updated_at >= $2
		FROM deliveries WHERE event_id = ANY($1) FOR UPDATE`, eventIDs, cutoff)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, func(r pgx.CollectableRow) (storerules.PurgeDelivery, error) {
		var d storerules.PurgeDelivery
		err := r.Scan(&d.ID, &d.EventID, &d.Live)
		return d, err
	})
}

// The deletes are three statements rather than one with data-modifying
// CTEs, so each foreign-key check sees the previous statement's deletes.

func (t retentionTx) DeleteAttempts(ctx context.Context, deliveryIDs []string) (int64, error) {
	return t.deleteAny(ctx, `DELETE FROM attempts WHERE delivery_id = ANY($1)`, deliveryIDs)
}

func (t retentionTx) DeleteDeliveries(ctx context.Context, ids []string) (int64, error) {
	return t.deleteAny(ctx, `DELETE FROM deliveries WHERE id = ANY($1)`, ids)
}

func (t retentionTx) DeleteEvents(ctx context.Context, ids []string) (int64, error) {
	return t.deleteAny(ctx, `DELETE FROM events WHERE id = ANY($1)`, ids)
}

func (t retentionTx) deleteAny(ctx context.Context, query string, ids []string) (int64, error) {
	tag, err := t.tx.Exec(ctx, query, ids)
	if err != nil {
		return 0, err
	}
	return tag.RowsAffected(), nil
}
