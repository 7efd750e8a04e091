package sqlstore

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

var _ herald.RetentionStore = (*Store)(nil)

var (
	qRetentionGet              = query("RetentionGet")
	qRetentionSet              = query("RetentionSet")
	qRetentionCustomers        = query("RetentionCustomers")
	qRetentionPurgeQueueDepth  = query("RetentionPurgeQueueDepth")
	qRetentionPurgeCandidates  = query("RetentionPurgeCandidates")
	qRetentionPurgeDeliveries  = query("RetentionPurgeDeliveries")
	qRetentionDeleteAttempts   = query("RetentionDeleteAttempts")
	qRetentionDeleteDeliveries = query("RetentionDeleteDeliveries")
	qRetentionDeleteEvents     = query("RetentionDeleteEvents")
)

// CustomerRetentionGet implements herald.RetentionStore.
func (s *Store) CustomerRetentionGet(ctx context.Context, customerID string) (int, error) {
	var days int
	err := s.read.QueryRow(ctx, s.sql(qRetentionGet), customerID).Scan(&days)
	if err != nil {
		return 0, wrapOp("get customer retention", notFound(err, "customer", customerID))
	}
	return days, nil
}

// CustomerRetentionSet implements herald.RetentionStore.
func (s *Store) CustomerRetentionSet(ctx context.Context, customerID string, days int) error {
	if err := herald.ValidateRetentionDays(days); err != nil {
		return err
	}
	n, err := s.write.Exec(ctx, s.sql(qRetentionSet), days, customerID)
	return wrapOp("set customer retention", rowsChanged(n, err, "customer", customerID))
}

// Purge implements herald.RetentionStore: storerules' rules over this
// store's statements. Each batch is one write transaction of its own, so
// the dispatcher's claims and records get the database between batches: a
// purge of millions of rows delays them by one batch at most.
func (s *Store) Purge(ctx context.Context, p *herald.PurgeParams) (*herald.PurgeResult, error) {
	return s.retentionRules().Purge(ctx, p)
}

func (s *Store) retentionRules() storerules.Retention {
	return storerules.Retention{
		Customers: func(ctx context.Context) ([]storerules.CustomerRetention, error) {
			rows, err := s.read.Query(ctx, s.sql(qRetentionCustomers))
			return collect(rows, err, func(r Row) (c storerules.CustomerRetention, err error) {
				err = r.Scan(&c.ID, &c.Days)
				return c, err
			})
		},
		PurgeQueueDepth: func(ctx context.Context, before time.Time) (int, error) {
			n, err := s.write.Exec(ctx, s.sql(qRetentionPurgeQueueDepth), s.d.Time(before))
			return int(n), err
		},
		InPurgeTx: func(ctx context.Context, fn func(storerules.RetentionTx) error) error {
			return s.inTx(ctx, func(db DB) error { return fn(retentionTx{tx{db, s}}) })
		},
		Round: s.round,
	}
}

// retentionTx is storerules.RetentionTx over a write transaction. Where the
// database has row locks, each store's statements take them (see its
// query file).
type retentionTx struct{ tx }

// PurgeCandidates: the first batch (afterAt zero) passes NULL as the
// position, which each store's statement reads as before every event.
func (t retentionTx) PurgeCandidates(ctx context.Context, customerID string, cutoff, afterAt time.Time, afterID string, limit int) ([]storerules.PurgeEvent, error) {
	rows, err := t.db.Query(ctx, t.s.sql(qRetentionPurgeCandidates),
		customerID, t.s.d.Time(cutoff), t.s.d.NullTime(afterAt), afterID, limit)
	return collect(rows, err, func(r Row) (e storerules.PurgeEvent, err error) {
		err = r.Scan(&e.ID, t.s.d.ScanTime(&e.CreatedAt))
		return e, err
	})
}

func (t retentionTx) PurgeDeliveries(ctx context.Context, eventIDs []string, cutoff time.Time) ([]storerules.PurgeDelivery, error) {
	rows, err := t.db.Query(ctx, t.s.sql(qRetentionPurgeDeliveries), t.s.d.Strings(eventIDs), t.s.d.Time(cutoff))
	return collect(rows, err, func(r Row) (d storerules.PurgeDelivery, err error) {
		err = r.Scan(&d.ID, &d.EventID, &d.Live)
		return d, err
	})
}

func (t retentionTx) DeleteAttempts(ctx context.Context, deliveryIDs []string) (int64, error) {
	return t.db.Exec(ctx, t.s.sql(qRetentionDeleteAttempts), t.s.d.Strings(deliveryIDs))
}

func (t retentionTx) DeleteDeliveries(ctx context.Context, ids []string) (int64, error) {
	return t.db.Exec(ctx, t.s.sql(qRetentionDeleteDeliveries), t.s.d.Strings(ids))
}

func (t retentionTx) DeleteEvents(ctx context.Context, ids []string) (int64, error) {
	return t.db.Exec(ctx, t.s.sql(qRetentionDeleteEvents), t.s.d.Strings(ids))
}
