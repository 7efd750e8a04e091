package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/heraldhq/herald/internal/sqlstore"
	"github.com/heraldhq/herald/internal/storerules"
)

// The statements internal/sqlstore runs for this store, by name.
//
//go:embed query/*.sql
var queryFS embed.FS

// newSQLStore gives internal/sqlstore this store's connections, query file
// and type encoding.
func (s *Store) newSQLStore() (*sqlstore.Store, error) {
	q, err := sqlstore.ParseQueries(queryFS, "query")
	if err != nil {
		return nil, err
	}
	return sqlstore.New(sqlstore.Config{
		Read:  sqlDB{q: s.read, prepared: s.readStmts},
		Write: sqlDB{q: s.write},
		InTx: func(ctx context.Context, fn func(sqlstore.DB) error) error {
			return s.withTx(ctx, func(tx *sql.Tx) error { return fn(sqlDB{q: tx}) })
		},
		InReadTx: func(ctx context.Context, fn func(sqlstore.DB) error) error {
			return s.withReadTx(ctx, func(tx *sql.Tx) error { return fn(sqlDB{q: tx}) })
		},
		Dialect: dialect{},
		Queries: q,
		Secrets: s.secrets,
		Now:     func() time.Time { return fromMillis(s.now().UnixMilli()) },

		// The platform actions publish through this store's own publish
		// path (platform_action.go).
		PlatformPublish: platformPublish,
		CustomerTables:  customerTables,
	})
}

// withReadTx runs fn in a read transaction on a read connection: one
// snapshot of the WAL, never queued behind the writer.
func (s *Store) withReadTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer func() { _ = tx.Rollback() }()
	return fn(tx)
}

// sqlConn is what *sql.DB and *sql.Tx have in common.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlDB is sqlstore.DB over database/sql. On the read pool, prepared
// holds each statement prepared once (readStmts); elsewhere it is nil.
type sqlDB struct {
	q        sqlConn
	prepared *readStmts
}

func (d sqlDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	var res sql.Result
	var err error
	if st := d.prepared.get(ctx, query); st != nil {
		res, err = st.ExecContext(ctx, args...)
	} else {
		res, err = d.q.ExecContext(ctx, query, args...)
	}
	if err != nil {
		return 0, classify(err)
	}
	return res.RowsAffected()
}

func (d sqlDB) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	var rows *sql.Rows
	var err error
	if st := d.prepared.get(ctx, query); st != nil {
		rows, err = st.QueryContext(ctx, args...)
	} else {
		rows, err = d.q.QueryContext(ctx, query, args...)
	}
	if err != nil {
		return nil, classify(err)
	}
	return sqlRows{rows}, nil
}

func (d sqlDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
	if st := d.prepared.get(ctx, query); st != nil {
		return sqlRow{st.QueryRowContext(ctx, args...)}
	}
	return sqlRow{d.q.QueryRowContext(ctx, query, args...)}
}

type sqlRows struct{ *sql.Rows }

func (r sqlRows) Close() { _ = r.Rows.Close() }

type sqlRow struct{ *sql.Row }

func (r sqlRow) Scan(dest ...any) error { return classify(r.Row.Scan(dest...)) }

// classify marks err with the sqlstore error it is (see sqlstore.DB); a
// busy database becomes herald.BusyError, a 503 with Retry-After.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("%w: %w", storerules.ErrNotFound, err)
	case isUniqueViolation(err):
		return fmt.Errorf("%w: %w", storerules.ErrDuplicate, err)
	case isForeignKeyViolation(err):
		return fmt.Errorf("%w: %w", sqlstore.ErrForeignKey, err)
	}
	return busyAsUnavailable(err)
}

// dialect is SQLite's type encoding: times are INTEGER unix milliseconds,
// 0 for none.
type dialect struct{}

func (dialect) Time(t time.Time) any { return toMillis(t) }

func (dialect) NullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

func (dialect) Arg(n int) string { return "?" + strconv.Itoa(n) }

func (dialect) InList(column, arg string) string {
	return column + " IN (SELECT value FROM json_each(" + arg + "))"
}

// Wake has nothing to do: SQLite's one node polls, and the dispatcher that
// made deliveries due knows it.
func (dialect) Wake(context.Context, sqlstore.DB) error { return nil }

func (dialect) ScanTime(t *time.Time) any { return millisScanner{t} }

func (dialect) Precision() time.Duration { return time.Millisecond }

func (dialect) IntList(v []int64) any {
	b, _ := json.Marshal(append([]int64{}, v...)) // "[]", not "null", for none
	return string(b)
}

func (dialect) ScanIntList(v *[]int64) any { return jsonList[int64]{v} }

func (dialect) Strings(v []string) any { return jsonArray(v) }

func (dialect) ScanStrings(v *[]string) any { return jsonList[string]{v} }

// millisScanner decodes an INTEGER (or NULL) unix-milliseconds column.
type millisScanner struct{ t *time.Time }

func (m millisScanner) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*m.t = time.Time{}
	case int64:
		*m.t = fromMillis(v)
	default:
		return fmt.Errorf("time column holds %T, not unix milliseconds", v)
	}
	return nil
}

// jsonList decodes a TEXT column holding a JSON array (of strings, of
// integers).
type jsonList[T any] struct{ v *[]T }

func (j jsonList[T]) Scan(src any) error {
	switch src := src.(type) {
	case string:
		return json.Unmarshal([]byte(src), j.v)
	case []byte:
		return json.Unmarshal(src, j.v)
	}
	return fmt.Errorf("list column holds %T, not a JSON array", src)
}
