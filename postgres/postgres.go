// Package postgres is Herald's Store on PostgreSQL, for several Herald nodes
// sharing one database.
//
// It talks to the server through pgx's own interface and connection pool
// (github.com/jackc/pgx/v5/pgxpool), with no database/sql layer: batches are
// sent as pgx.Batch pipelines and multi-row unnest statements, so a batch of
// events or attempt results costs one or two round trips, not one per row.
//
// Nodes share deliveries by leasing rows: a claim takes due rows with
// FOR UPDATE SKIP LOCKED and moves their next_attempt_at to the end of the
// lease, so no other node sees them as due until the lease runs out. The
// per-endpoint concurrency cap holds across nodes (see DeliveryClaimDue). A
// node that commits new due work wakes the others through LISTEN/NOTIFY
// (ListenWork).
//
// Migrations are embedded (migration/*.sql) and applied at Open under an
// advisory lock, so nodes starting together do not race. Tables live in the
// first schema of the connection's search_path. The statements of the
// methods outside the claim, publish and record paths are in query/*.sql,
// which internal/sqlstore runs (sqlstore.go gives it this store's pool and
// type encoding). Only this package and sqlite hold statements
// (internal/sqlstore only joins the optional WHERE terms of three list
// queries); nothing outside imports it but cmd/herald and tests.
package postgres

import (
	"cmp"
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/sqlstore"
	"github.com/heraldhq/herald/internal/storerules"
)

var _ herald.Store = (*Store)(nil)

//go:embed migration/*.sql
var migrationFS embed.FS

// Advisory lock classes: the first key of the two-key form of
// pg_advisory_xact_lock, so Herald's locks cannot collide with another
// application's locks in the same database (which mostly use the one-key
// form) nor with each other. The second key says which object.
const (
	// lockClassMigrate serializes migrations of one schema.
	lockClassMigrate int32 = 0x48524c01
	// 0x48524c02 serialized claims for one endpoint until migration 014
	// (endpoint_queues row locks); do not reuse it.
	// lockClassSubject serializes changes to one (endpoint, subject)
	// queue of an ordered endpoint; see order.go.
	lockClassSubject int32 = 0x48524c03
	// 0x48524c10 serializes HealthScans of one schema; it is written in
	// the statement that takes it (HealthScanLock, query/health.sql).
)

// Config configures a Store.
type Config struct {
	// URL is the connection string, as a postgres:// URL or key=value
	// pairs (libpq's syntax, which pgx parses). Its search_path picks the
	// schema Herald's tables live in. Required.
	URL string
	// Logger receives migration and LISTEN messages. Default: discard.
	Logger *slog.Logger
	// MaxConns caps the pool. Default: the URL's pool_max_conns, else
	// defaultMaxConns. A node needs a connection per concurrent
	// transaction (claims, publish and record batches, API reads) plus one
	// held by ListenWork outside the pool; keep nodes × MaxConns under the
	// server's max_connections.
	MaxConns int32
	// NowFunc returns the current time for the timestamps of methods that
	// take no now parameter (CreatedAt, UpdatedAt). Default: time.Now.
	NowFunc func() time.Time
	// Secrets seals endpoint secrets at rest (AES-GCM) and opens them.
	// Default (nil): stored as plain text. Open fails if a stored secret
	// is sealed with a key Secrets does not hold.
	Secrets *secretbox.Keyring
	// Warm readies the pool for a serving node before Open returns: it
	// keeps warmConns connections open (or MaxConns if fewer, or the
	// URL's pool_min_conns) and runs the hot paths' statements once on
	// each, and on every connection the pool opens later (warmConn).
	// Without it the first events after a start wait for connections to
	// open and for each statement's first run on each of them. Commands
	// that run a few statements leave it off.
	Warm bool
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.NowFunc == nil {
		out.NowFunc = time.Now
	}
	return out
}

func (c *Config) validate() error {
	if c.URL == "" {
		return errors.New("url is required")
	}
	if c.MaxConns < 0 {
		return errors.New("max_conns cannot be negative")
	}
	return nil
}

// Store is a herald.Store on a PostgreSQL database. It is safe for
// concurrent use, and several Stores (in several processes) may share one
// database.
type Store struct {
	pool *pgxpool.Pool
	// endpoints keeps customers' endpoints for publishing between batches
	// (endpointsFor, migration 019).
	endpoints storerules.EndpointCache
	logger    *slog.Logger
	now       func() time.Time
	// listenPID is the server process of ListenWork's connection while
	// it listens, else 0; tests kill it to check the reconnect.
	listenPID atomic.Uint32
	// secrets seals and opens endpoint secrets (nil: plain text).
	secrets *secretbox.Keyring
	// leaseSwept is the claim time (Unix ns) of this store's last sweep of
	// expired leases (wakeExpiredLeases).
	leaseSwept atomic.Int64
	// Store gives it the methods whose Go is written once for both stores
	// over this one's query file (sqlstore.go, query/*.sql).
	*sqlstore.Store
}

// Open connects to the database at cfg.URL and applies any migration not
// applied yet.
func Open(ctx context.Context, cfg *Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	c := cfg.withDefaults()

	pc, err := pgxpool.ParseConfig(c.URL)
	if err != nil {
		// pgconn's parse error can quote the whole URL, password
		// included; say only that it did not parse.
		return nil, errors.New("open postgres store: url does not parse as a PostgreSQL connection string")
	}
	// MaxConns: Config.MaxConns, else the URL's pool_max_conns (the
	// operator's knob, README), else defaultMaxConns.
	switch {
	case c.MaxConns != 0:
		pc.MaxConns = c.MaxConns
	case !connStringSets(c.URL, "pool_max_conns"):
		pc.MaxConns = defaultMaxConns()
	}
	// MaxConnIdleTime: give idle connections back to the server after a
	// burst, so several nodes do not sit on max_connections.
	pc.MaxConnIdleTime = 5 * time.Minute
	// HealthCheckPeriod: notice a restarted server within seconds rather
	// than on the next query of each idle connection.
	pc.HealthCheckPeriod = 15 * time.Second
	// A warm pool keeps warmConns connections open (MinConns): opening
	// one under load costs a server process start and the statements'
	// first runs, what Warm is there to take off the first events. The
	// pool reopens them in the background when they reach their lifetime.
	var warmNew atomic.Bool // set once the schema is migrated
	if c.Warm {
		if pc.MinConns == 0 {
			pc.MinConns = min(pc.MaxConns, warmConns)
		}
		pc.AfterConnect = func(ctx context.Context, conn *pgx.Conn) error {
			if warmNew.Load() {
				if err := warmConn(ctx, conn); err != nil {
					// A cold connection still works: serve with it.
					c.Logger.Warn("postgres: could not warm a new connection", "err", err)
				}
			}
			return nil
		}
	}

	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	s := &Store{pool: pool, logger: c.Logger, now: c.NowFunc, secrets: c.Secrets}
	if s.Store, err = s.newSQLStore(); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if err := sqlstore.CheckSecrets(ctx, s.Store); err != nil {
		pool.Close()
		return nil, fmt.Errorf("open postgres store: %w", err)
	}
	if c.Warm {
		// The statements need the migrated schema: connections opened
		// from here on warm themselves, and those opened before are
		// warmed now.
		warmNew.Store(true)
		if err := s.warmPool(ctx, int(pc.MinConns)); err != nil {
			pool.Close()
			return nil, fmt.Errorf("open postgres store: %w", err)
		}
	}
	return s, nil
}

// defaultMaxConns is a node's pool size when neither Config nor the URL
// sets one: 4 per CPU and at least 8. pgxpool's own default, max(4, CPUs),
// is too few for a node that runs claims, publish batches, record batches
// and API reads at once on a small machine, and an idle connection costs
// the server little.
func defaultMaxConns() int32 {
	return max(8, 4*int32(min(runtime.NumCPU(), 64)))
}

// connStringSets reports whether connString, as a URL or as key=value
// pairs, names the setting key. It parses with pgconn, as pgxpool does,
// which keeps the settings libpq does not know (pool_max_conns) in
// RuntimeParams; pgxpool cannot say whether a value it returns was given
// or is its default.
func connStringSets(connString, key string) bool {
	cc, err := pgconn.ParseConfig(connString)
	if err != nil {
		return false
	}
	_, ok := cc.RuntimeParams[key]
	return ok
}

// warmConns is how many connections a warm pool keeps open: what a node's
// hot paths hold at once when traffic starts (two publish writers, the
// recorder, claims, API reads). On herald bench's 2-core machine, at
// 1,500 events/s from a fresh start, the run's p99 was 154-280 ms with
// none kept open, 143-215 ms with 4, and 42-103 ms with 8. It does not grow
// with the node's CPUs as MaxConns does: kept open on every node, that
// would hold a large share of the server's max_connections while idle.
const warmConns = 8

// warmPool holds n of the pool's connections at once, so that it opens
// them, and warms each (warmConn): those opened before the schema was
// migrated are not yet. A statement that fails here fails Open, unlike
// in a later connection's warm-up: it is one the node is about to run.
// A connection the server refuses does not (max_connections, say): the
// node serves with those it has, as it would without Warm, and the pool
// keeps trying to open the rest.
func (s *Store) warmPool(ctx context.Context, n int) error {
	conns := make([]*pgxpool.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	for range n {
		c, err := s.pool.Acquire(ctx)
		if err != nil {
			s.logger.Warn("postgres: could not open every connection of a warm pool", "open", len(conns), "want", n, "err", err)
			break
		}
		conns = append(conns, c)
	}
	errs := make([]error, len(conns))
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Go(func() { errs[i] = warmConn(ctx, c.Conn()) })
	}
	wg.Wait()
	return errors.Join(errs...)
}

// Close closes every connection of the pool, waiting for those in use to be
// returned.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

type migration struct {
	version int
	name    string
}

func migrations() ([]migration, error) {
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return nil, fmt.Errorf("migration %s has no numeric prefix", base)
		}
		ms = append(ms, migration{version: v, name: n})
	}
	slices.SortFunc(ms, func(a, b migration) int { return cmp.Compare(a.version, b.version) })
	return ms, nil
}

// Migrate applies, in one transaction, every embedded migration not yet
// recorded in schema_migrations. Open calls it; `herald migrate` too.
//
// Several nodes may start at once: each takes a transaction-scoped advisory
// lock on the schema first, so one applies the migrations while the others
// wait, then find them recorded and apply nothing. PostgreSQL's DDL is
// transactional, so a failed migration leaves no half-made schema.
func (s *Store) Migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()

	// The lock is per schema (hashtext of current_schema()), so tests
	// migrating their own schemas in parallel do not queue on each other.
	// Held until commit: the next node waits here, not at CREATE TABLE.
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, hashtext(current_schema()))`,
		lockClassMigrate); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	if _, err := tx.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		applied_at timestamptz NOT NULL
	)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	rows, err := tx.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var done []string
	for _, m := range ms {
		if slices.Contains(applied, m.version) {
			continue
		}
		body, err := migrationFS.ReadFile(m.name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		// Exec without arguments uses the simple protocol, which runs a
		// file of several statements as one.
		if _, err := tx.Exec(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate: %s: %w", path.Base(m.name), err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`,
			m.version, path.Base(m.name), s.now().UTC()); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		done = append(done, path.Base(m.name))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, n := range done {
		s.logger.InfoContext(ctx, "migration applied", slog.String("migration", n))
	}
	return nil
}

// nowUTC is the store's clock, at the precision the database keeps, so a
// value returned to the caller equals the one read back later.
func (s *Store) nowUTC() time.Time { return dbTime(s.now()) }

// dbTime is t as PostgreSQL stores it: UTC, whole microseconds.
func dbTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

// fromNullTime is the inverse of nullTime, in UTC.
func fromNullTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// PostgreSQL error codes we turn into herald codes
// (https://www.postgresql.org/docs/current/errcodes-appendix.html).
const (
	pgUniqueViolation     = "23505"
	pgForeignKeyViolation = "23503"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// busyAsUnavailable turns a database that cannot take the work now (a
// lock or statement timeout, a deadlock or serialization failure, no free
// connection) into herald.BusyError (503 with Retry-After), and leaves any
// other error as it is.
func busyAsUnavailable(err error) error {
	switch pgCode(err) {
	case "55P03", // lock_not_available (lock_timeout)
		"57014", // query_canceled (statement_timeout)
		"40001", // serialization_failure
		"40P01", // deadlock_detected
		"53300": // too_many_connections
		return herald.BusyError(err)
	}
	return err
}

func isUniqueViolation(err error) bool     { return pgCode(err) == pgUniqueViolation }
func isForeignKeyViolation(err error) bool { return pgCode(err) == pgForeignKeyViolation }
