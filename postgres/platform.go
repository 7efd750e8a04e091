package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald"
)

var _ herald.PlatformStore = (*Store)(nil)

// dbtx is what *pgxpool.Pool and pgx.Tx have in common: the platform's
// helpers take it, so one helper serves a plain read and a read inside an
// action's transaction.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// nextPlatformID hands out the customer's next record id inside tx. The
// upsert locks the customer's sequence row until the transaction ends, so
// concurrent transactions (on any node) never get the same id; one rolled
// back is handed out again.
func nextPlatformID(ctx context.Context, tx pgx.Tx, customerID string) (string, error) {
	var id int64
	err := tx.QueryRow(ctx, `INSERT INTO platform_sequences (customer_id, last_id) VALUES ($1, 1000)
		ON CONFLICT (customer_id) DO UPDATE SET last_id = platform_sequences.last_id + 1
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
// caused it; it queues the NOTIFY that wakes every node's dispatcher at
// commit if any delivery is pending, and returns the pending ones.
// EventPublish sends a batch outside any transaction of ours (one
// pgx.Batch), so this repeats its INSERTs for one event against the same
// tables; the checks (validateEvent), the endpoint columns and scanner, the
// deliveries (newDelivery) and the NOTIFY are EventPublish's own. Endpoints
// are read inside the transaction, unlike EventPublish, which costs nothing
// here: an action is one event.
func publishInTx(ctx context.Context, tx pgx.Tx, ev *herald.Event) ([]*herald.Delivery, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT `+endpointColumns+` FROM endpoints WHERE customer_id = $1 ORDER BY created_at, id`, ev.CustomerID)
	if err != nil {
		return nil, err
	}
	eps, err := collectEndpoints(rows, skipAuth)
	if err != nil {
		return nil, err
	}
	ev.CreatedAt = dbTime(ev.CreatedAt)
	systemID, personID := herald.EventSearchKeys(ev)
	_, err = tx.Exec(ctx, `INSERT INTO events (id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		ev.ID, ev.CustomerID, string(ev.Type), ev.NewStatus, ev.BodyGzip, ev.LinkHeader, ev.CreatedAt, systemID, personID, ev.TraceContext)
	if isForeignKeyViolation(err) {
		return nil, herald.NotFound("customer", ev.CustomerID)
	} else if err != nil {
		return nil, fmt.Errorf("insert event: %w", err)
	}
	out := []*herald.Delivery{}
	var ds []*herald.Delivery
	for _, ep := range eps {
		if d := herald.NewDelivery(ep, ev); d != nil {
			ds = append(ds, d)
		}
	}
	// Deliveries to ordered endpoints join their subjects' queues
	// (order.go); the event INSERT above refuses a taken id, so all of
	// them will be inserted.
	if err := placeOrdered(ctx, tx, ds, nil); err != nil {
		return nil, err
	}
	for _, d := range ds {
		if _, err := tx.Exec(ctx, `INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state,
			last_error, next_attempt_at, created_at, updated_at, subject, subject_seq, waiting_for)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)`,
			d.ID, d.EventID, d.EndpointID, d.CustomerID, string(d.EventType), string(d.State), d.LastError,
			d.NextAttemptAt, ev.CreatedAt, d.Subject, d.SubjectSeq, d.WaitingFor); err != nil {
			return nil, fmt.Errorf("insert delivery: %w", err)
		}
		if d.State == herald.DeliveryStatePending {
			out = append(out, d)
		}
	}
	if len(out) > 0 {
		if err := notify(ctx, tx); err != nil {
			return nil, fmt.Errorf("notify work: %w", err)
		}
	}
	return out, nil
}

// inTx runs fn in a transaction and commits it if fn succeeds. Errors are
// wrapped with op unless they are *herald.Error, which pass unchanged.
func (s *Store) inTx(ctx context.Context, op string, fn func(tx pgx.Tx) error) error {
	if err := s.withTx(ctx, pgx.TxOptions{}, fn); err != nil {
		return wrapOp(op, err)
	}
	return nil
}

// withTx runs fn in a transaction with opts and commits it if fn returns
// nil. Errors come back as they are; inTx names the operation, and the
// rules of internal/storerules name theirs.
func (s *Store) withTx(ctx context.Context, opts pgx.TxOptions, fn func(tx pgx.Tx) error) error {
	tx, err := s.pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// wrapOp wraps a driver error with op; a *herald.Error is returned as is,
// so the code and its safe message reach the caller unchanged.
func wrapOp(op string, err error) error {
	var he *herald.Error
	if errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// notFound maps pgx.ErrNoRows to an ENOTFOUND naming the record.
func notFound(err error, what, id string) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return herald.Errorf(herald.ENOTFOUND, "%s %q not found", what, id)
	}
	return err
}

// platformNullTime stores the zero time as NULL.
func platformNullTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}
