package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

var _ herald.PlatformStore = (*Store)(nil)

// withTx runs fn in a write transaction and commits it if fn returns nil.
// Errors come back as they are; the rules of internal/storerules and
// internal/sqlstore name the operation.
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
