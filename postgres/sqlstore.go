package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/heraldhq/herald/internal/sqlstore"
	"github.com/heraldhq/herald/internal/storerules"
)

// The statements internal/sqlstore runs for this store, by name.
//
//go:embed query/*.sql
var queryFS embed.FS

// newSQLStore gives internal/sqlstore this store's pool, query file and
// type encoding.
func (s *Store) newSQLStore() (*sqlstore.Store, error) {
	q, err := sqlstore.ParseQueries(queryFS, "query")
	if err != nil {
		return nil, err
	}
	// The ordered-delivery locks' statement, which order.go keeps.
	q["ReplayCandidatesLock"] = replayCandidatesLockSQL
	pool := pgDB{s.pool}
	return sqlstore.New(sqlstore.Config{
		Read:  pool,
		Write: pool,
		InTx: func(ctx context.Context, fn func(sqlstore.DB) error) error {
			return s.withTx(ctx, pgx.TxOptions{}, func(tx pgx.Tx) error { return fn(pgDB{tx}) })
		},
		// REPEATABLE READ: READ COMMITTED would take a snapshot per statement.
		InReadTx: func(ctx context.Context, fn func(sqlstore.DB) error) error {
			return s.withTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly},
				func(tx pgx.Tx) error { return fn(pgDB{tx}) })
		},
		Dialect: dialect{},
		Queries: q,
		Secrets: s.secrets,
		Now:     s.nowUTC,

		// The platform actions publish through this store's own publish
		// path (platform_action.go).
		PlatformPublish: platformPublish,
		CustomerTables:  customerTables,
		InSnapshotTx: func(ctx context.Context, fn func(sqlstore.DB) error) error {
			return s.withTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead}, func(tx pgx.Tx) error { return fn(pgDB{tx}) })
		},
	})
}

// replayCandidatesLockSQL takes the locks of the subjects of a replay
// batch's deliveries (those of sqlstore's ReplayCandidates: $1 the cursor,
// $2 the last delivery id, $3 the batch size, its filter after), in key
// order, before ReplayCandidates locks their rows (order.go).
var replayCandidatesLockSQL = `SELECT pg_advisory_xact_lock(` + strconv.Itoa(int(lockClassSubject)) + `, k) FROM (
		SELECT DISTINCT ` + subjectKeySQL + ` AS k FROM (
			SELECT d.endpoint_id, d.subject FROM deliveries d
			WHERE /*filter*/ AND d.id > $1 AND d.id <= $2 ORDER BY d.id LIMIT $3) b
		WHERE subject <> '' ORDER BY k OFFSET 0) s`

// pgDB is sqlstore.DB over a pool or a transaction (dbtx).
type pgDB struct{ q dbtx }

func (d pgDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	tag, err := d.q.Exec(ctx, query, args...)
	return tag.RowsAffected(), classify(err)
}

func (d pgDB) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := d.q.Query(ctx, query, args...)
	if err != nil {
		return nil, classify(err)
	}
	return rows, nil
}

func (d pgDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	return pgRow{d.q.QueryRow(ctx, query, args...)}
}

type pgRow struct{ pgx.Row }

func (r pgRow) Scan(dest ...any) error { return classify(r.Row.Scan(dest...)) }

// classify marks err with the sqlstore error it is (see sqlstore.DB).
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, pgx.ErrNoRows):
		return fmt.Errorf("%w: %w", storerules.ErrNotFound, err)
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %w", storerules.ErrDuplicate, err)
	case isForeignKeyViolation(err):
		return fmt.Errorf("%w: %w", sqlstore.ErrForeignKey, err)
	}
	return err
}

// dialect is PostgreSQL's type encoding: times are timestamptz in whole
// microseconds, NULL for none.
type dialect struct{}

func (dialect) Time(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return dbTime(t)
}

func (d dialect) NullTime(t time.Time) any { return d.Time(t) }

func (dialect) Arg(n int) string { return "$" + strconv.Itoa(n) }

func (dialect) InList(column, arg string) string { return column + " = ANY(" + arg + ")" }

func (dialect) ScanTime(t *time.Time) any { return utcScanner{t} }

func (dialect) Precision() time.Duration { return time.Microsecond }

func (dialect) IntList(v []int64) any {
	if v == nil {
		return []int64{} // an empty array: pgx would send nil as NULL
	}
	return v
}

func (dialect) ScanIntList(v *[]int64) any { return v }

func (dialect) Strings(v []string) any { return nonNil(v) }

func (dialect) ScanStrings(v *[]string) any { return v }

// utcScanner decodes a timestamptz (or NULL, as the zero time) in UTC.
type utcScanner struct{ t *time.Time }

func (u utcScanner) ScanTimestamptz(v pgtype.Timestamptz) error {
	if !v.Valid {
		*u.t = time.Time{}
		return nil
	}
	*u.t = v.Time.UTC()
	return nil
}
