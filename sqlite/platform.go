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
		return herald.NotFound(what, id)
	}
	return err
}

// notFoundAs maps sql.ErrNoRows to notFound, an ENOTFOUND whose message is
// not "<what> <id> not found".
func notFoundAs(err error, notFound *herald.Error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return notFound
	}
	return err
}
