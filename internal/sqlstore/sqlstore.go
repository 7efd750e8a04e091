// Package sqlstore is the Go half of the SQLite and PostgreSQL stores,
// written once. Each store keeps its SQL (a query file of named
// statements, embedded in the store's package), its migrations, its claim
// algorithm and its type encoding (a Dialect), and gives this package a
// connection; sqlstore runs the named statements, scans their rows into
// the domain's types and turns the driver's errors into the domain's.
//
// This is the split River makes with sqlc: its drivers' queries are
// written per database in .sql files, and the Go that runs them is
// generated once per driver. Here the Go is written once for both, against
// the small interfaces below, which database/sql and pgx both fit with a
// few lines of adapter in each store.
//
// The rules that span several statements (publishing, platform actions,
// health scans, replay, retention) are internal/storerules'; this package
// gives them the one-statement transactions they run on.
package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/storerules"
)

// DB is a connection pool or a transaction of either store.
//
// The store's adapter maps its driver's errors so that errors.Is finds
// storerules.ErrNotFound for a QueryRow that found no row,
// storerules.ErrDuplicate for a unique violation and ErrForeignKey for a
// foreign key violation; the driver's error stays wrapped inside.
type DB interface {
	// Exec runs a statement and returns how many rows it changed.
	Exec(ctx context.Context, query string, args ...any) (int64, error)
	Query(ctx context.Context, query string, args ...any) (Rows, error)
	QueryRow(ctx context.Context, query string, args ...any) Row
}

// Rows is a query's result set; Close may be called more than once.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
	Close()
}

// Row is one row of QueryRow.
type Row interface {
	Scan(dest ...any) error
}

// ErrForeignKey is what a DB returns when a statement breaks a foreign
// key; the method that ran it says which record is missing.
var ErrForeignKey = errors.New("foreign key violation")

// Dialect is a store's type encoding: how its columns hold the domain's
// types where the two databases differ; and the few steps of its own
// algorithms (ordered delivery, waking dispatchers) that shared methods
// run in their transactions.
type Dialect interface {
	// Time encodes t as a statement argument; the zero time is stored as
	// the store keeps "no time".
	Time(t time.Time) any
	// ScanTime returns a Scan destination that decodes a column Time
	// or NullTime wrote (NULL as the zero time) into *t, in UTC.
	ScanTime(t *time.Time) any
	// NullTime encodes t as a statement argument, the zero time as NULL
	// (for the nullable columns of both stores).
	NullTime(t time.Time) any
	// IntList encodes a list of integers as one statement argument, for a
	// column that holds the list whole: a JSON array on SQLite, an array
	// on PostgreSQL.
	IntList(v []int64) any
	// ScanIntList returns a Scan destination that decodes a column
	// IntList wrote into *v.
	ScanIntList(v *[]int64) any
	// Arg is the placeholder of the nth (from 1) argument, for the few
	// statements built from optional terms.
	Arg(n int) string
	// InList is the condition "column is one of the Strings arg".
	InList(column, arg string) string
	// Unchain takes the deliveries ids out of their subjects' ordered
	// chains (the store's order.go) in tx, before they are made due at
	// once.
	Unchain(ctx context.Context, tx DB, ids []string) error
	// Wake tells the dispatchers, once tx commits, that deliveries are
	// due (PostgreSQL's NOTIFY; nothing on SQLite, whose one node polls).
	Wake(ctx context.Context, tx DB) error
	// Strings encodes a list of strings as one argument, for a column
	// that holds the list or for a list of ids (SQLite's json_each,
	// PostgreSQL's ANY): a JSON array in TEXT on SQLite, a text[] on
	// PostgreSQL; nil as the empty list, since the columns are NOT NULL.
	Strings(v []string) any
	// ScanStrings returns a Scan destination that decodes a column
	// Strings wrote into *v.
	ScanStrings(v *[]string) any
	// Precision is the resolution of the store's time columns: it keeps
	// times truncated to it (Store.round).
	Precision() time.Duration
}

// Other types need no dialect: both drivers take and scan bool (SQLite
// keeps it as INTEGER 0/1), int64, string, []byte for a BLOB or bytea,
// and *string for a nullable text. A JSON document goes in as a string
// (SQLite's STRICT TEXT columns refuse []byte; pgx takes a string for
// jsonb) and is scanned into []byte.

// Config is what a store gives New.
type Config struct {
	// Read runs reads. SQLite gives its pool of read-only connections, so
	// reads never queue behind the writer.
	Read DB
	// Write runs single-statement writes outside a transaction.
	Write DB
	// InTx runs fn in a write transaction and commits it if fn returns
	// nil; errors come back as they are.
	InTx func(ctx context.Context, fn func(tx DB) error) error
	// InReadTx runs fn in a read-only transaction whose statements all see
	// one snapshot; errors come back as they are.
	InReadTx func(ctx context.Context, fn func(tx DB) error) error
	// Dialect is the store's type encoding.
	Dialect Dialect
	// Queries is the store's named statements (ParseQueries).
	Queries map[string]string
	// Now returns the current time as the store keeps it (rounded to its
	// columns' precision, UTC).
	Now func() time.Time
	// Secrets seals and opens endpoint secrets (nil: plain text).
	Secrets *secretbox.Keyring
	// PlatformPublish gives a platform action the store's publishing
	// statements over tx, a transaction of InTx, so the action's event is
	// stored by the store's own publish path and commits with the action.
	PlatformPublish func(tx DB) storerules.PublishTx
	// CustomerTables lists, in CustomerDelete's transaction, the tables
	// other than customers that hold a customer's rows, in the order they
	// are to be emptied: each database describes its schema and checks
	// its foreign keys its own way.
	CustomerTables func(ctx context.Context, tx DB) ([]CustomerTable, error)
	// InSnapshotTx runs fn as InTx does, in a transaction whose reads all
	// see one snapshot of the data (nil: InTx's transactions do, as
	// SQLite's single writer's).
	InSnapshotTx func(ctx context.Context, fn func(tx DB) error) error
}

// Store implements the parts of herald.Store whose Go is the same on both
// databases. The sqlite and postgres Stores embed it.
type Store struct {
	read, write DB
	inTx        func(ctx context.Context, fn func(tx DB) error) error
	inReadTx    func(ctx context.Context, fn func(tx DB) error) error
	d           Dialect
	q           map[string]string
	now         func() time.Time
	secrets     *secretbox.Keyring
	// platformRules gives the Store the platform actions and record writes
	// written once in storerules (platform_action.go).
	platformRules
	// customerTables is Config.CustomerTables.
	customerTables func(ctx context.Context, tx DB) ([]CustomerTable, error)
	inSnapshot     func(ctx context.Context, fn func(tx DB) error) error
}

// New returns a Store over cfg. It fails if cfg.Queries lacks a statement
// this package runs or has one it does not know, so a store whose query
// file drifted does not open.
func New(cfg Config) (*Store, error) {
	if err := checkQueries(cfg.Queries); err != nil {
		return nil, err
	}
	s := &Store{read: cfg.Read, write: cfg.Write, inTx: cfg.InTx, inReadTx: cfg.InReadTx, d: cfg.Dialect, q: cfg.Queries, now: cfg.Now,
		secrets: cfg.Secrets, customerTables: cfg.CustomerTables, inSnapshot: cfg.InSnapshotTx}
	s.platformRules = s.newPlatformRules(cfg.PlatformPublish)
	return s, nil
}

// tx runs fn in a write transaction; errors are named with op unless they
// are the domain's.
func (s *Store) tx(ctx context.Context, op string, fn func(tx DB) error) error {
	return wrapOp(op, s.inTx(ctx, fn))
}

// readTx runs fn in a read-only snapshot; errors are named with op unless
// they are the domain's.
func (s *Store) readTx(ctx context.Context, op string, fn func(tx DB) error) error {
	return wrapOp(op, s.inReadTx(ctx, fn))
}

// wrapOp names the operation in err unless err is nil or a *herald.Error,
// which reaches the user as it is.
func wrapOp(op string, err error) error {
	var he *herald.Error
	if err == nil || errors.As(err, &he) {
		return err
	}
	return fmt.Errorf("%s: %w", op, err)
}

// notFound maps a missing row to an ENOTFOUND naming the record.
func notFound(err error, what, id string) error {
	if errors.Is(err, storerules.ErrNotFound) {
		return herald.NotFound(what, id)
	}
	return err
}

// notFoundAs maps a missing row to notFound, an ENOTFOUND whose message is
// not "<what> <id> not found".
func notFoundAs(err error, notFound *herald.Error) error {
	if errors.Is(err, storerules.ErrNotFound) {
		return notFound
	}
	return err
}

// collect scans every row of a query with scan; an empty result is an
// empty slice, not nil (the API answers [], not null).
func collect[T any](rows Rows, err error, scan func(Row) (T, error)) ([]T, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []T{}
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// round gives t at the store's precision, in UTC (storerules' Round).
func (s *Store) round(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC().Truncate(s.d.Precision())
}

// tx is a transaction of the store, for the storerules' per-database
// interfaces (storerules.RetentionTx, ...) that sqlstore implements once.
type tx struct {
	db DB
	s  *Store
}

// rowsChanged turns "no row changed" into an ENOTFOUND naming the record.
func rowsChanged(n int64, err error, what, id string) error {
	if err == nil && n == 0 {
		return herald.NotFound(what, id)
	}
	return err
}
