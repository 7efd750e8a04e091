package sqlite_test

import (
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/sqlite"
)

// holdWriteLock takes the database's write lock from another connection
// (as a `herald migrate` or a backup in another process would) until t ends.
func holdWriteLock(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, _ = conn.ExecContext(t.Context(), "ROLLBACK")
		_ = conn.Close()
		_ = db.Close()
	})
}

// TestBusyDatabaseIsUnavailable: a write that cannot get the lock within
// the busy timeout fails EUNAVAILABLE (503 with Retry-After in the API),
// not as an internal error.
func TestBusyDatabaseIsUnavailable(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "herald.db")
	s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path, BusyTimeout: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	c := testfactory.Customer(ctx, t, s, nil)
	holdWriteLock(t, path)

	_, err = s.EventPublish(ctx, []*herald.Event{testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: c.ID})})
	if code := herald.ErrorCode(err); code != herald.EUNAVAILABLE {
		t.Fatalf("publish with the write lock held elsewhere: code %q (%v), want %q", code, err, herald.EUNAVAILABLE)
	}
	err = s.DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{{Lease: herald.DeliveryLease{DeliveryID: "dlv_x", Token: "t"}, State: herald.DeliveryStateDelivered}})
	if code := herald.ErrorCode(err); code != herald.EUNAVAILABLE {
		t.Fatalf("record with the write lock held elsewhere: code %q (%v), want %q", code, err, herald.EUNAVAILABLE)
	}
}

// TestDatabaseFilesAreOwnerOnly: the database and its WAL and SHM files
// are 0600, whether the directory existed or not and whatever the umask
// let SQLite use; an existing world-readable database is tightened.
func TestDatabaseFilesAreOwnerOnly(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // exists already, 0700
	for _, tt := range []struct {
		name     string
		existing bool
	}{{"new file", false}, {"existing world-readable file", true}} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".db")
			if tt.existing {
				if err := os.WriteFile(path, nil, 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chmod(path, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path})
			if err != nil {
				t.Fatal(err)
			}
			// A write, so the WAL and SHM files exist.
			testfactory.Customer(t.Context(), t, s, nil)
			for _, p := range []string{path, path + "-wal", path + "-shm"} {
				fi, err := os.Stat(p)
				if err != nil {
					t.Fatal(err)
				}
				if perm := fi.Mode().Perm(); perm != 0o600 {
					t.Errorf("%s: mode %#o, want 0600", filepath.Base(p), perm)
				}
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
		})
	}
}
