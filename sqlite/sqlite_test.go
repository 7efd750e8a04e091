package sqlite_test

import (
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
}
