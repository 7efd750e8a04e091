package sqlite_test

import (
	"database/sql"
	"encoding/binary"
	"io"
	"os"
	"testing"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/sqlite"
)

func TestOpen(t *testing.T) {
	t.Parallel()

	t.Run("ReopenKeepsDataAndMigratesOnce", func(t *testing.T) {
		t.Parallel()
		ctx := t.Context()
		path := dbtest.NewSQLitePath(t)

		s, err := sqlite.Open(ctx, &sqlite.Config{Path: path})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		c := testfactory.Customer(ctx, t, s, nil)
		// Migrate again on an up-to-date database: nothing to do.
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("migrate an up-to-date database: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}

		s, err = sqlite.Open(ctx, &sqlite.Config{Path: path})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		got, err := s.CustomerGet(ctx, c.ID)
		if err != nil {
			t.Fatalf("get customer after reopen: %v", err)
		}
		if got.Name != c.Name {
			t.Fatalf("name = %q after reopen, want %q", got.Name, c.Name)
		}
	})

	t.Run("InvalidConfig", func(t *testing.T) {
		t.Parallel()
		for _, path := range []string{"", ":memory:", "file:x.db", "x.db?mode=ro"} {
			if s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path}); err == nil {
				_ = s.Close()
				t.Fatalf("Open(%q) succeeded, want an error", path)
			}
		}
	})

	t.Run("ReleaseOrphansAtStart", func(t *testing.T) {
		// The use DeliveryReleaseOrphans is for: a process died holding
		// leases, and the next one to open the file takes them back.
		t.Parallel()
		ctx := t.Context()
		path := dbtest.NewSQLitePath(t)
		s, err := sqlite.Open(ctx, &sqlite.Config{Path: path})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		e := testfactory.Endpoint(ctx, t, s, nil)
		res := testfactory.Event(ctx, t, s, &testfactory.EventOpts{CustomerID: e.CustomerID})
		now := res.Event.CreatedAt
		cs, err := s.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 10, LeaseUntil: now.Add(herald.DefaultRetrySchedule[0]), Owner: "dead"})
		if err != nil || len(cs) != 1 {
			t.Fatalf("claim: %d, %v", len(cs), err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}

		s, err = sqlite.Open(ctx, &sqlite.Config{Path: path})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		t.Cleanup(func() { _ = s.Close() })
		if n, err := s.DeliveryReleaseOrphans(ctx, now); err != nil || n != 1 {
			t.Fatalf("release orphans: %d, %v; want 1", n, err)
		}
		cs, err = s.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Now: now, Limit: 10, LeaseUntil: now.Add(herald.DefaultRetrySchedule[0]), Owner: "next"})
		if err != nil || len(cs) != 1 {
			t.Fatalf("claim after release: %d, %v", len(cs), err)
		}
	})

	t.Run("NewDatabaseHas2KiBPagesAndWAL", func(t *testing.T) {
		t.Parallel()
		path := dbtest.NewSQLitePath(t)
		s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if size, wal := fileHeader(t, path); size != 2048 || !wal {
			t.Fatalf("new database: page size %d, WAL %v; want 2048, true", size, wal)
		}
	})

	t.Run("ExistingDatabaseKeepsItsPageSize", func(t *testing.T) {
		// A database made by an earlier release, with 4 KiB pages, opens,
		// migrates and keeps them: WAL mode cannot change a page size.
		t.Parallel()
		ctx := t.Context()
		path := dbtest.NewSQLitePath(t)
		old, err := sql.Open("sqlite", path)
		if err != nil {
			t.Fatalf("open raw: %v", err)
		}
		for _, q := range []string{"PRAGMA page_size = 4096", "PRAGMA journal_mode = WAL", "CREATE TABLE earlier (x)"} {
			if _, err := old.ExecContext(ctx, q); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		if err := old.Close(); err != nil {
			t.Fatalf("close raw: %v", err)
		}
		s, err := sqlite.Open(ctx, &sqlite.Config{Path: path})
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		testfactory.Customer(ctx, t, s, nil)
		if err := s.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		if size, wal := fileHeader(t, path); size != 4096 || !wal {
			t.Fatalf("existing database: page size %d, WAL %v; want 4096, true", size, wal)
		}
	})
}

// fileHeader reads a database file's page size and whether it is in WAL
// mode from its 100-byte header (https://sqlite.org/fileformat.html).
func fileHeader(t *testing.T, path string) (pageSize int, wal bool) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	b := make([]byte, 100)
	if _, err := io.ReadFull(f, b); err != nil {
		t.Fatalf("read header of %s: %v", path, err)
	}
	pageSize = int(binary.BigEndian.Uint16(b[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	return pageSize, b[18] == 2 && b[19] == 2
}
