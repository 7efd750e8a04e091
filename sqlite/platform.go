package sqlite

import (
	"context"
	"database/sql"
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
