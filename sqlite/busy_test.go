package sqlite_test

import (
	"database/sql"
	"path/filepath"
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
