// Package sqlite is Herald's Store on SQLite: the default, for a single node.
//
// It uses the pure-Go driver modernc.org/sqlite (no cgo), with one writer
// connection for every write and a pool of read-only connections for reads,
// over a WAL-mode database, and a committed write is on disk before the
// method returns. Callers batch writes (EventPublish,
// DeliveryRecordAttempts), and the hot paths' batches and claims share
// transactions: one that finds others queued behind it leaves its
// transaction open for them, and the last commits for all; one that fails
// is undone alone (hottx.go). Publishes and records fsync after that
// commit, off the writer, one fsync for every commit before it
// (walsync.go), and every other write commits with synchronous=FULL.
//
// Migrations are embedded (migration/*.sql) and applied at Open. The
// statements of every other method are in query/*.sql, which
// internal/sqlstore runs (sqlstore.go gives it this store's connections and
// type encoding); the hot paths and the claim keep their SQL in Go here.
// Only this package and postgres hold statements (internal/sqlstore only
// joins the optional WHERE terms of three list queries); nothing outside
// imports it but cmd/herald and tests.
package sqlite

import (
	"cmp"
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/internal/sqlstore"
	"github.com/heraldhq/herald/internal/storerules"
	"github.com/heraldhq/herald/internal/walvfs"
)

var _ herald.Store = (*Store)(nil)

//go:embed migration/*.sql
var migrationFS embed.FS

// Config configures a Store.
type Config struct {
	// Path is the database file, a plain path (not a "file:" URI, and not
	// ":memory:": the writer and the readers must share one file). It is
	// created if missing. Required.
	Path string
	// Logger receives migration and lifecycle messages. Default: discard.
	Logger *slog.Logger
	// BusyTimeout is how long a statement waits for a lock another
	// process holds before failing with SQLITE_BUSY. Default: 5s.
	BusyTimeout time.Duration
	// MaxReadConns caps the read-only pool. Default: the number of CPUs,
	// at least 4. Readers never block the writer in WAL mode.
	MaxReadConns int
	// NowFunc returns the current time for the timestamps of methods that
	// take no now parameter (CreatedAt, UpdatedAt). Default: time.Now.
	NowFunc func() time.Time
	// Secrets seals endpoint secrets at rest (AES-GCM) and opens them.
	// Default (nil): stored as plain text. Open fails if a stored secret
	// is sealed with a key Secrets does not hold.
	Secrets *secretbox.Keyring
}

func (c *Config) withDefaults() Config {
	out := *c
	if out.Logger == nil {
		out.Logger = slog.New(slog.DiscardHandler)
	}
	if out.BusyTimeout <= 0 {
		out.BusyTimeout = 5 * time.Second
	}
	if out.MaxReadConns <= 0 {
		out.MaxReadConns = max(4, runtime.NumCPU())
	}
	if out.NowFunc == nil {
		out.NowFunc = time.Now
	}
	return out
}

func (c *Config) validate() error {
	if c.Path == "" {
		return errors.New("path is required")
	}
	if strings.ContainsAny(c.Path, "?#") || strings.HasPrefix(c.Path, "file:") || c.Path == ":memory:" {
		return errors.New("path must be a plain file path, without '?' or '#'")
	}
	return nil
}

// Store is a herald.Store on one SQLite database file. It is safe for
// concurrent use.
type Store struct {
	// write is the only connection that writes (MaxOpenConns 1). SQLite
	// allows one writer at a time anyway; one connection makes writers
	// queue in Go (database/sql's pool) rather than spin on SQLITE_BUSY
	// inside SQLite, and lets every write transaction BEGIN IMMEDIATE
	// without contention from this process.
	write *sql.DB
	// read is a pool of query_only connections. In WAL mode readers see
	// the last committed state and neither block the writer nor wait for
	// it, so reads (the API, the UI) never slow claims and commits.
	read   *sql.DB
	logger *slog.Logger
	now    func() time.Time
	// claimSlack bounds the due entries a claim passes over before it
	// picks endpoint by endpoint (see DeliveryClaimDue). Tests set it to 0
	// to run the contract through the endpoint-by-endpoint pick.
	claimSlack int
	// skipWalks counts claims that go straight to the endpoint-by-endpoint
	// pick because a recent walk could not settle the claim: under a steady
	// backlog at capped endpoints every walk would fail the same way, and
	// it is a third of a claim's cost. Only the writer connection's holder
	// touches it (claims run on that one connection), but it is atomic so
	// the race detector need not trust that.
	skipWalks atomic.Int32
	// wal makes the hot paths' unsynced commits durable (walsync.go).
	wal *walSyncer
	// hot is the writer's prepared hot statements (stmtcache.go).
	hot stmtCache
	// readStmts is the read pool's statements, prepared at first use.
	readStmts *readStmts
	// hotWrites runs the hot paths' writes in shared transactions (hottx.go).
	hotWrites *hotWriter
	// checkpoints copies the log into the database off the writer
	// (checkpoint.go).
	checkpoints *checkpointer
	// endpoints keeps customers' endpoints for publishing between batches
	// (endpointcache.go).
	endpoints storerules.EndpointCache
	// secrets seals and opens endpoint secrets (nil: plain text).
	secrets *secretbox.Keyring
	// Store gives it the methods whose Go is written once for both stores
	// over this one's query file (sqlstore.go, query/*.sql).
	*sqlstore.Store
}

// Open opens (creating if needed) the database at cfg.Path and applies any
// migration not applied yet.
func Open(ctx context.Context, cfg *Config) (*Store, error) {
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	c := cfg.withDefaults()
	if err := restrictFiles(c.Path); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}

	if err := walvfs.Register(); err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	busy := strconv.FormatInt(c.BusyTimeout.Milliseconds(), 10)
	common := url.Values{}
	// vfs: the default VFS, except that each commit's log frames are
	// written with one pwrite rather than two per page (internal/walvfs):
	// the log's pwrites were a seventh of a node's CPU.
	common.Add("vfs", walvfs.Name)
	// busy_timeout: wait (up to the limit) for a lock held by another
	// process (a `herald migrate` or a backup) instead of failing at once.
	common.Add("_pragma", "busy_timeout("+busy+")")
	// foreign_keys: SQLite does not enforce REFERENCES unless asked, per
	// connection. We want an event of an unknown customer refused by the
	// database too, not only by our code.
	common.Add("_pragma", "foreign_keys(1)")

	wq := cloneValues(common)
	// page_size: a new database gets 2 KiB pages instead of SQLite's 4 KiB.
	// Every commit logs each page it changed in full, and a hot
	// transaction changes one leaf in each of a delivery's dozen indexes
	// for every customer or endpoint in it, a few rows per leaf. Halving
	// the page roughly halves what each such leaf costs to log, checksum
	// and fsync. herald bench --compare, 2 KiB against 4 KiB, three
	// alternated pairs each: --events 20000 wrote 0.75 of the bytes, used
	// 0.96 of the CPU and delivered 1.04 times as many per second;
	// --rate 1500 wrote 0.68 of the bytes with 0.95 of the CPU. The price
	// is the tail: p99 1.18 times as long at full speed and 1.24 at 1,500
	// events/s (11.2-12.2 ms to 13.2-14.9 ms), since the log holds twice
	// the frames between checkpoints and every page the writer reads is
	// looked up in it. 1 KiB pages wrote 0.59 of the bytes, with p99 1.41
	// times as long (docs/performance.md, session 20). An existing
	// database keeps the page size it was made with: WAL mode fixes it.
	// Only the writer sets it, since only the writer makes a new file's
	// first page (journal_mode, below).
	wq.Add("_pragma", "page_size(2048)")
	// journal_mode=WAL: readers and the writer do not block each other,
	// and a commit appends to the log instead of rewriting pages: one
	// sequential write and one fsync per transaction. It is stored in the
	// file, so setting it on the writer is enough, but harmless to repeat.
	// It is the driver's _journal_mode key, not a _pragma, because the
	// driver runs its _pragma list in alphabetical order and then that
	// key: as a _pragma it would write a new file's first page before
	// page_size ran, and fix the page size at 4 KiB.
	wq.Set("_journal_mode", "WAL")
	// synchronous=FULL: fsync the WAL at every commit. In WAL mode NORMAL
	// may lose the last transactions on power loss, and our 202 promises
	// the event is durable. The hot paths switch to NORMAL for their own
	// transactions and wait for walSyncer's fsync instead (unsynced.go).
	wq.Add("_pragma", "synchronous(FULL)")
	// journal_size_limit: when the log starts over after a checkpoint,
	// truncate it back to 256 MiB rather than keep the high-water mark of
	// a burst on disk. It is well above what the log reaches between
	// checkpoints at full speed (about 40 MB here with 2 KiB pages, 80 MB
	// with 4 KiB; herald bench --events 30000), because a truncated log
	// costs more than its disk space: it grows again block by block, and
	// an fdatasync of a file whose size changed also commits the file
	// system's journal. With 64 MiB the log was cut back about once a
	// second at full speed. herald bench --events 20000 --compare, 64
	// against 256 MiB, six alternated pairs: 11 % more deliveries/s on
	// average (more in 5 of 6 pairs), 8 % less CPU per delivery, p99
	// lower in 4 (docs/performance.md, session 8).
	wq.Add("_pragma", "journal_size_limit(268435456)")
	// cache_size: 32 MiB of page cache (negative means KiB) for the
	// writer, which walks the due index and the hot end of every B-tree
	// on each batch. The default 2 MiB thrashes once the tables grow.
	wq.Add("_pragma", "cache_size(-32768)")
	// temp_store=MEMORY: a statement that may fail halfway inside a
	// transaction (a multi-row UPDATE, one that fires a trigger) keeps the
	// pages it changes in a statement journal, a temporary file by
	// default, and the hot paths' transactions hold several writes each
	// (hottx.go). In memory it costs a copy; in a file it doubled what
	// the hot paths wrote.
	wq.Add("_pragma", "temp_store(MEMORY)")
	// wal_autocheckpoint: the checkpointer (checkpoint.go) copies the log
	// into the database from its own connection; the writer does so only
	// if the log grows past this backstop.
	wq.Add("_pragma", "wal_autocheckpoint("+strconv.Itoa(writerCheckpointPages)+")")
	// _txlock=immediate: every write transaction takes the write lock at
	// BEGIN. A deferred transaction that reads and then writes can fail
	// with SQLITE_BUSY on the upgrade, which busy_timeout cannot retry.
	wq.Set("_txlock", "immediate")

	write, err := sql.Open("sqlite", c.Path+"?"+wq.Encode())
	if err != nil {
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	// One writer connection: see Store.write. Keep it open for ever, so
	// its prepared statement cache and page cache stay warm.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)

	rq := cloneValues(common)
	// query_only: a read connection refuses to write, so a write routed
	// to the wrong pool fails loudly instead of racing the writer.
	rq.Add("_pragma", "query_only(1)")
	rq.Add("_pragma", "cache_size(-8192)")
	read, err := sql.Open("sqlite", c.Path+"?"+rq.Encode())
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	// Readers in WAL mode run in parallel; beyond a few per CPU they only
	// queue on the CPU. Idle ones are kept so reads do not reopen files.
	read.SetMaxOpenConns(c.MaxReadConns)
	read.SetMaxIdleConns(c.MaxReadConns)
	read.SetConnMaxIdleTime(5 * time.Minute)

	ckpt, err := startCheckpointer(c.Path+"?"+common.Encode(), c.Logger, checkpointInterval)
	if err != nil {
		_ = write.Close()
		_ = read.Close()
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}

	s := &Store{write: write, read: read, checkpoints: ckpt, logger: c.Logger, now: c.NowFunc, claimSlack: defaultClaimSlack, secrets: c.Secrets,
		readStmts: newReadStmts(read)}
	s.hotWrites = newHotWriter(s)
	s.wal = newWALSyncer(c.Path, s.hotWrites.committed)
	if s.Store, err = s.newSQLStore(); err != nil {
		_ = ckpt.close()
		_ = write.Close()
		_ = read.Close()
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	if err := s.Migrate(ctx); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	if err := sqlstore.CheckSecrets(ctx, s.Store); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	// After the migrations: the statements name their tables.
	if s.hot, err = prepareHot(ctx, s.write, hotStatements); err != nil {
		_ = s.Close()
		return nil, fmt.Errorf("open sqlite store: %w", err)
	}
	return s, nil
}

// restrictFiles makes the database readable by its owner only: it creates
// the file 0600 if it is missing (SQLite would create it 0644, whatever
// the directory's mode) and takes group and other permissions off an
// existing one and its -wal and -shm files. SQLite creates the -wal and
// -shm files with the database file's permissions, so they follow. The
// database holds endpoint credentials and people's data.
func restrictFiles(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		fi, err := os.Stat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue
		case err != nil:
			return err
		}
		if fi.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(p, fi.Mode().Perm()&0o700); err != nil {
				return err
			}
		}
	}
	return nil
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// Close closes the database. It runs PRAGMA optimize first, which updates
// the query planner's statistics where they have drifted; it is cheap.
func (s *Store) Close() error {
	s.hotWrites.flush()
	s.wal.close()
	s.hot.close()
	s.readStmts.close()
	_, optErr := s.write.Exec("PRAGMA optimize")
	// The writer closes last: the last connection checkpoints the whole
	// log and removes it.
	err := errors.Join(s.checkpoints.close(), s.read.Close(), s.write.Close())
	if err == nil && optErr != nil && !errors.Is(optErr, sql.ErrConnDone) {
		s.logger.Warn("pragma optimize", slog.Any("error", optErr))
	}
	if err != nil {
		return fmt.Errorf("close sqlite store: %w", err)
	}
	return nil
}

// Migrate applies, in one transaction, every embedded migration not yet
// recorded in schema_migrations. Open calls it; `herald migrate` too.
func (s *Store) Migrate(ctx context.Context) error {
	names, err := fs.Glob(migrationFS, "migration/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	type migration struct {
		version int
		name    string
	}
	var ms []migration
	for _, n := range names {
		base := path.Base(n)
		v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migrate: migration %s has no numeric prefix", base)
		}
		ms = append(ms, migration{version: v, name: n})
	}
	slices.SortFunc(ms, func(a, b migration) int { return cmp.Compare(a.version, b.version) })

	tx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    INTEGER PRIMARY KEY,
		applied_at INTEGER NOT NULL
	) STRICT`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	applied := map[int]bool{}
	rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return fmt.Errorf("migrate: %w", err)
		}
		applied[v] = true
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var done []string
	for _, m := range ms {
		if applied[m.version] {
			continue
		}
		body, err := migrationFS.ReadFile(m.name)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return fmt.Errorf("migrate: %s: %w", path.Base(m.name), err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)`,
			m.version, s.now().UnixMilli()); err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		done = append(done, path.Base(m.name))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for _, n := range done {
		s.logger.InfoContext(ctx, "migration applied", slog.String("migration", n))
	}
	return nil
}

// toMillis stores t as unix milliseconds; the zero time is 0.
func toMillis(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

// fromMillis is the inverse of toMillis, in UTC.
func fromMillis(ms int64) time.Time {
	if ms == 0 {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}

// newLeaseToken returns a fresh random token for one claim.
func newLeaseToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// sqliteCode returns the extended result code of a driver error, or 0.
func sqliteCode(err error) int {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code()
	}
	return 0
}

// isBusy reports whether err is SQLite's refusal to wait longer for a
// lock (SQLITE_BUSY after busy_timeout, SQLITE_LOCKED), in any of their
// extended codes.
func isBusy(err error) bool {
	c := sqliteCode(err) & 0xff
	return c == sqlite3.SQLITE_BUSY || c == sqlite3.SQLITE_LOCKED
}

// busyAsUnavailable turns a busy database into herald.BusyError (503 with
// Retry-After) and leaves any other error as it is.
func busyAsUnavailable(err error) error {
	if err != nil && isBusy(err) {
		return herald.BusyError(err)
	}
	return err
}

func isUniqueViolation(err error) bool {
	c := sqliteCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

func isForeignKeyViolation(err error) bool {
	return sqliteCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// rowScanner is what *sql.Row and *sql.Rows have in common.
type rowScanner interface {
	Scan(dest ...any) error
}
