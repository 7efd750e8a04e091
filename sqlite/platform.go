package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/heraldhq/herald"
)

var _ herald.PlatformStore = (*Store)(nil)

// dbtx is what *sql.DB and *sql.Tx have in common: the platform's helpers
// take it, so a read runs on the read pool and the same helper runs inside
// an action's transaction.
type dbtx interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// nextPlatformID hands out the customer's next record id inside tx. The
// upsert takes the customer's sequence row for the rest of the transaction,
// so ids never repeat; one rolled back is handed out again.
func nextPlatformID(ctx context.Context, tx *sql.Tx, customerID string) (string, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO platform_sequences (customer_id, last_id) VALUES (?, 1000)
		ON CONFLICT (customer_id) DO UPDATE SET last_id = last_id + 1
		RETURNING last_id`, customerID).Scan(&id)
	switch {
	case isForeignKeyViolation(err):
		return "", herald.NotFound("customer", customerID)
	case err != nil:
		return "", err
	}
	return strconv.FormatInt(id, 10), nil
}

// publishInTx stores ev with its deliveries as EventPublish does (one
// pending delivery for every endpoint of its customer that wants it, one
// failed for every disabled endpoint subscribed to it: newDelivery) inside
// the caller's transaction, so the event commits with the change that
// caused it, and returns the pending ones. EventPublish's insert is written
// for a batch in a transaction of its own, so this repeats its event INSERT
// against the same table; the endpoint lookup (customerEndpoints), the
// checks (validateEvent) and the deliveries (newDelivery, insertDelivery)
// are EventPublish's own.
func publishInTx(ctx context.Context, tx *sql.Tx, ev *herald.Event) ([]*herald.Delivery, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	eps, err := customerEndpoints(ctx, tx, ev.CustomerID)
	if err != nil {
		return nil, err
	}
	if eps == nil {
		return nil, herald.NotFound("customer", ev.CustomerID)
	}
	ev.CreatedAt = fromMillis(ev.CreatedAt.UnixMilli())
	created := toMillis(ev.CreatedAt)
	systemID, personID := herald.EventSearchKeys(ev)
	if _, err := tx.ExecContext(ctx, `INSERT INTO events
		(id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		ev.ID, ev.CustomerID, string(ev.Type), ev.NewStatus, ev.BodyGzip, ev.LinkHeader, created, systemID, personID, ev.TraceContext); err != nil {
		return nil, fmt.Errorf("insert event: %w", err)
	}
	out := []*herald.Delivery{}
	queues := newSubjectQueues(tx)
	for _, ep := range eps {
		d := herald.NewDelivery(ep, ev)
		if d == nil {
			continue
		}
		if err := queues.place(ctx, d); err != nil {
			return nil, fmt.Errorf("insert delivery: %w", err)
		}
		if _, err := tx.ExecContext(ctx, insertDelivery, deliveryArgs(d)...); err != nil {
			return nil, fmt.Errorf("insert delivery: %w", err)
		}
		if d.State == herald.DeliveryStatePending {
			out = append(out, d)
		}
	}
	return out, nil
}

// inTx runs fn in a write transaction and commits it if fn succeeds. Errors
// are wrapped with op unless they are *herald.Error, which pass unchanged.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx *sql.Tx) error) error {
	if err := s.withTx(ctx, fn); err != nil {
		return wrapOp(op, err)
	}
	return nil
}

// withTx runs fn in a write transaction and commits it if fn returns nil.
// Errors come back as they are; inTx names the operation, and the rules of
// internal/storerules name theirs.
func (s *Store) withTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// atMillis is t as the SQLite store keeps times: whole milliseconds, UTC.
func atMillis(t time.Time) time.Time { return fromMillis(t.UnixMilli()) }

// wrapOp wraps a driver error with op; a *herald.Error is returned as is,
// so the code and its safe message reach the caller unchanged.
func wrapOp(op string, err error) error {
	var he *herald.Error
	if errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// notFound maps sql.ErrNoRows to an ENOTFOUND naming the record.
func notFound(err error, what, id string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return herald.Errorf(herald.ENOTFOUND, "%s %q not found", what, id)
	}
	return err
}
