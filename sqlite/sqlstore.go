package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
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
	sub, err := fs.Sub(queryFS, "query")
	if err != nil {
		return nil, err
	}
	q, err := sqlstore.ParseQueries(sub)
	if err != nil {
		return nil, err
	}
	// Statements order.go keeps, as DeliveryRetry runs them too.
	q["ReplayUnlink"] = unlinkSQL
	return sqlstore.New(sqlstore.Config{
		Read:  sqlDB{s.read},
		Write: sqlDB{s.write},
		InTx: func(ctx context.Context, fn func(sqlstore.DB) error) error {
			return s.withTx(ctx, func(tx *sql.Tx) error { return fn(sqlDB{tx}) })
		},
		Dialect: dialect{},
		Queries: q,
		Secrets: s.secrets,
		Now:     func() time.Time { return fromMillis(s.now().UnixMilli()) },
	})
}

// sqlConn is what *sql.DB and *sql.Tx have in common.
type sqlConn interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// sqlDB is sqlstore.DB over database/sql.
type sqlDB struct{ q sqlConn }

func (d sqlDB) Exec(ctx context.Context, query string, args ...any) (int64, error) {
	res, err := d.q.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, classify(err)
	}
	return res.RowsAffected()
}

func (d sqlDB) Query(ctx context.Context, query string, args ...any) (sqlstore.Rows, error) {
	rows, err := d.q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, classify(err)
	}
	return sqlRows{rows}, nil
}

func (d sqlDB) QueryRow(ctx context.Context, query string, args ...any) sqlstore.Row {
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

func (dialect) IDList(ids []string) any { return jsonArray(ids) }

func (dialect) ScanTime(t *time.Time) any { return millisScanner{t} }

func (dialect) Precision() time.Duration { return time.Millisecond }

func (dialect) InList(expr, param string) string {
	return expr + " IN (SELECT value FROM json_each(" + param + "))"
}

func (dialect) Strings(v []string) any {
	if v == nil {
		v = []string{}
	}
	b, _ := json.Marshal(v) // a []string always marshals.
	return string(b)
}

func (dialect) ScanStrings(v *[]string) any { return jsonScanner{v} }

// jsonScanner decodes a JSON array of strings held as TEXT.
type jsonScanner struct{ v *[]string }

func (j jsonScanner) Scan(src any) error {
	switch src := src.(type) {
	case string:
		return json.Unmarshal([]byte(src), j.v)
	case []byte:
		return json.Unmarshal(src, j.v)
	}
	return fmt.Errorf("list column holds %T, not JSON text", src)
}

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
