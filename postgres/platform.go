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
		return herald.NotFound(what, id)
	}
	return err
}

// notFoundAs maps pgx.ErrNoRows to notFound, an ENOTFOUND whose message is
// not "<what> <id> not found".
func notFoundAs(err error, notFound *herald.Error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return notFound
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
