package dispatch_test

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/sqlite"
)

// TestPublishAnswersUnavailableWhenTheDatabaseIsLocked: with the write lock
// held by another process, a publish fails EUNAVAILABLE (the API answers
// 503 with Retry-After) once its wait is over, instead of holding the
// caller for the store's whole busy timeout and then failing internal.
func TestPublishAnswersUnavailableWhenTheDatabaseIsLocked(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "herald.db")
	store, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path, BusyTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	c := testfactory.Customer(t.Context(), t, store, nil)

	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	conn, err := db.Conn(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(t.Context(), "BEGIN IMMEDIATE"); err != nil {
		t.Fatal(err)
	}
	pub := dispatch.NewPublisher(dispatch.PublisherConfig{Store: store, Wait: 200 * time.Millisecond})
	// Cleanups run last first: the lock goes, then the publisher drains.
	t.Cleanup(pub.Close)
	t.Cleanup(func() { _, _ = conn.ExecContext(t.Context(), "ROLLBACK"); _ = conn.Close(); _ = db.Close() })

	_, err = pub.Publish(t.Context(), testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: c.ID}))
	if code := herald.ErrorCode(err); code != herald.EUNAVAILABLE {
		t.Fatalf("publish with the database locked: code %q (%v), want %q", code, err, herald.EUNAVAILABLE)
	}
}
