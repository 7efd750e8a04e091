// Package backup takes and checks copies of Herald's SQLite database for
// `herald backup` and `herald restore`, and writes the pg_dump and
// pg_restore command lines for PostgreSQL, which those tools back up better
// than Herald could.
//
// It works on database files, not through herald.Store: a backup is a
// property of the file (a consistent snapshot, its integrity, the
// migrations it records), the same for every table. That is why this
// package holds a few lines of SQL outside the sqlite package (house style
// keeps SQL there): none of it touches Herald's tables but
// schema_migrations, and keeping it here leaves the store alone.
package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"

	// The pure-Go SQLite driver ("sqlite"), the one the store uses.
	_ "modernc.org/sqlite"
)

// ErrExists is returned by SQLite when the output file exists and
// SQLiteOpts.Overwrite is false.
var ErrExists = errors.New("output file exists")

// ErrCorrupt is returned by Verify for a file that is not a sound SQLite
// database.
var ErrCorrupt = errors.New("not a sound SQLite database")

// ErrNotHerald is returned by Verify for a database without Herald's
// schema_migrations table.
var ErrNotHerald = errors.New("not a Herald database")

// ErrNewerSchema is returned by Verify for a database recording a
// migration the running binary does not have: a newer Herald wrote it.
var ErrNewerSchema = errors.New("written by a newer Herald")

// SQLiteOpts are SQLite's optional arguments; nil means the defaults.
type SQLiteOpts struct {
	// Overwrite replaces an existing output file. Default: refuse with
	// ErrExists.
	Overwrite bool
	// ProgressFunc, if set, is called every ProgressEvery while the copy
	// runs, with the bytes written so far.
	ProgressFunc func(written int64)
	// ProgressEvery is the interval between ProgressFunc calls. Default: 2s.
	ProgressEvery time.Duration
}

// SQLiteResult describes a finished backup.
type SQLiteResult struct {
	// Bytes is the size of the backup file.
	Bytes int64
	// Elapsed is the time the copy took.
	Elapsed time.Duration
	// Versions are the migrations the backup records, in order.
	Versions []int
}

// SQLite writes a consistent copy of the database at src to dst while
// other processes (a running Herald) read and write src.
//
// The copy is SQLite's VACUUM INTO: one read transaction, so it is the
// database as of one commit, everything committed before it began and
// nothing half-written, and in WAL mode it never blocks the writer. (The
// online backup API, sqlite3_backup_step, restarts whenever another
// connection writes between steps, so under steady publishing it might
// never finish.) It is written to a temporary file beside dst, made 0600
// (the database holds endpoint credentials and people's data), synced to
// disk (VACUUM INTO does not fsync), and renamed to dst, so dst is either
// the old file or the whole new one.
func SQLite(ctx context.Context, src, dst string, opts *SQLiteOpts) (*SQLiteResult, error) {
	if opts == nil {
		opts = &SQLiteOpts{}
	}
	// Opening a missing file would create an empty database.
	srcInfo, err := os.Stat(src)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	} else if !srcInfo.Mode().IsRegular() {
		return nil, fmt.Errorf("backup: %s is not a regular file", src)
	}
	// With --force, a backup over the database (or its WAL) would replace
	// the file a running node writes to.
	for _, live := range []string{src, src + "-wal", src + "-shm", src + "-journal"} {
		li, lerr := os.Stat(live)
		di, derr := os.Stat(dst)
		if lerr == nil && derr == nil && os.SameFile(li, di) {
			return nil, fmt.Errorf("backup: %s is the database's own %s, not a place for its backup", dst, live)
		}
	}
	if err := checkOverwrite(dst, opts.Overwrite); err != nil {
		return nil, err
	}
	start := time.Now()

	db, err := openDB(src, false)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer db.Close()
	// Fail before copying anything if src is not a Herald database.
	versions, err := migrationVersions(ctx, db)
	if err != nil {
		return nil, fmt.Errorf("backup %s: %w", src, err)
	}

	// CreateTemp makes the file 0600; VACUUM INTO accepts an empty file
	// and keeps its mode. Beside dst, so the rename stays on one file
	// system.
	tmp, err := os.CreateTemp(filepath.Dir(dst), "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	tmpPath := tmp.Name()
	if err := tmp.Close(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	done := false
	defer func() {
		if !done {
			_ = os.Remove(tmpPath)
		}
	}()

	stop := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if opts.ProgressFunc == nil {
			return
		}
		every := opts.ProgressEvery
		if every <= 0 {
			every = 2 * time.Second
		}
		tick := time.NewTicker(every)
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				if fi, err := os.Stat(tmpPath); err == nil {
					opts.ProgressFunc(fi.Size())
				}
			}
		}
	}()
	_, err = db.ExecContext(ctx, `VACUUM INTO ?`, tmpPath)
	close(stop)
	<-progressDone
	if err != nil {
		return nil, fmt.Errorf("backup: vacuum into %s: %w", tmpPath, err)
	}
	size, err := syncFile(tmpPath)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	// Checked again: the copy may have taken minutes. A file created in
	// the instant between this and the rename is still replaced; that
	// race is with another operator's command, not with Herald.
	if err := checkOverwrite(dst, opts.Overwrite); err != nil {
		return nil, err
	}
	if err := os.Rename(tmpPath, dst); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	done = true
	if err := syncDir(filepath.Dir(dst)); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return &SQLiteResult{Bytes: size, Elapsed: time.Since(start), Versions: versions}, nil
}

func checkOverwrite(dst string, overwrite bool) error {
	fi, err := os.Stat(dst)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return fmt.Errorf("backup: %w", err)
	case !fi.Mode().IsRegular():
		return fmt.Errorf("backup: %s exists and is not a regular file", dst)
	case !overwrite:
		return fmt.Errorf("backup: %s: %w", dst, ErrExists)
	}
	return nil
}

// VerifyResult describes a database Verify accepted.
type VerifyResult struct {
	// Versions are the migrations the database records, in order.
	Versions []int
	// Pending are the migrations the running binary has and the database
	// does not: the next start applies them.
	Pending []int
}

// Verify checks that the database at path is sound (PRAGMA
// integrity_check, which reads every page), is a Herald database, and
// records no migration outside known (the running binary's, from
// sqlite.MigrationVersions). It only reads. Its errors do not name path;
// the caller does.
func Verify(ctx context.Context, path string, known []int) (*VerifyResult, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err
	}
	db, err := openDB(path, true)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	// integrity_check, not quick_check: it also checks that every index
	// matches its table, and a restore is worth the full read.
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		// "file is not a database" and the like come here.
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
		}
		problems = append(problems, s)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		if len(problems) > 5 {
			problems = append(problems[:5], fmt.Sprintf("and %d more", len(problems)-5))
		}
		return nil, fmt.Errorf("%w: integrity check: %s", ErrCorrupt, strings.Join(problems, "; "))
	}
	versions, err := migrationVersions(ctx, db)
	if err != nil {
		return nil, err
	}
	var unknown []string
	for _, v := range versions {
		if !slices.Contains(known, v) {
			unknown = append(unknown, fmt.Sprintf("%03d", v))
		}
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("%w: it records migrations %s, which this binary does not have; restore it with that Herald version or newer",
			ErrNewerSchema, strings.Join(unknown, ", "))
	}
	res := &VerifyResult{Versions: versions}
	for _, v := range known {
		if !slices.Contains(versions, v) {
			res.Pending = append(res.Pending, v)
		}
	}
	return res, nil
}

// openDB opens path with one connection; queryOnly makes it refuse to
// write. VACUUM INTO writes only its output file, but SQLite counts it as
// a write and refuses it on a query_only connection, so SQLite's copy
// goes without (and runs nothing else).
func openDB(path string, queryOnly bool) (*sql.DB, error) {
	q := url.Values{}
	// busy_timeout: wait for a lock the running Herald holds (a
	// checkpoint) rather than fail at once.
	q.Add("_pragma", "busy_timeout(10000)")
	if queryOnly {
		q.Add("_pragma", "query_only(1)")
	}
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return db, nil
}

// migrationVersions reads the versions recorded in schema_migrations.
func migrationVersions(ctx context.Context, db *sql.DB) ([]int, error) {
	var n int
	err := db.QueryRowContext(ctx, `SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'schema_migrations'`).Scan(&n)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	if n == 0 {
		return nil, fmt.Errorf("%w: it has no schema_migrations table", ErrNotHerald)
	}
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	var vs []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			_ = rows.Close()
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		vs = append(vs, v)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	if len(vs) == 0 {
		return nil, fmt.Errorf("%w: schema_migrations is empty", ErrNotHerald)
	}
	return vs, nil
}

// syncFile flushes path to disk and returns its size.
func syncFile(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return 0, err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return 0, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return 0, err
	}
	return fi.Size(), f.Close()
}

// syncDir flushes a directory, so a rename in it survives a power loss.
// Windows cannot open a directory for writing and commits renames itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	if err := d.Sync(); err != nil {
		d.Close()
		return err
	}
	return d.Close()
}
