package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/heraldhq/herald"
)

var _ herald.PlatformStore = (*Store)(nil)

// dbtx is what *pgxpool.Pool and pgx.Tx have in common, so one helper
// serves a plain read and a read inside a transaction.
type dbtx interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// withTx runs fn in a transaction with opts and commits it if fn returns
// nil. Errors come back as they are; the rules of internal/storerules and
// internal/sqlstore name the operation.
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
