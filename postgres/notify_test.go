package postgres

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
)

// openTestStore opens a Store on connURL, closed when t ends.
func openTestStore(t *testing.T, connURL string) *Store {
	t.Helper()
	s, err := Open(t.Context(), &Config{
		URL:      connURL,
		Logger:   slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug})),
		MaxConns: 4,
	})
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// waitFor waits for a signal on c for up to 10 s.
func waitFor(t *testing.T, c <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-c:
	case <-time.After(10 * time.Second):
		t.Fatalf("timed out waiting for %s", what)
	}
}

// drain empties c, so the next receive is a new wake.
func drain(c chan struct{}) {
	for {
		select {
		case <-c:
		default:
			return
		}
	}
}

// startListening runs ListenWork on s until t ends and, once it listens (a
// NotifyWork came through), returns its wake channel and a count of wakes.
func startListening(t *testing.T, s *Store) (chan struct{}, *atomic.Int64) {
	t.Helper()
	wakes := make(chan struct{}, 1)
	count := new(atomic.Int64)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		if err := s.ListenWork(ctx, func() {
			count.Add(1)
			select {
			case wakes <- struct{}{}:
			default:
			}
		}); err != nil {
			t.Errorf("ListenWork returned %v, want nil when ctx ends", err)
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })

	// A NOTIFY sent before the LISTEN is lost, so notify until one arrives
	// (bounded).
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := s.NotifyWork(t.Context()); err != nil {
			t.Fatalf("notify work: %v", err)
		}
		select {
		case <-wakes:
			return wakes, count
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatal("ListenWork never woke on NotifyWork")
		}
	}
}

func TestListenWork(t *testing.T) {
	t.Parallel()
	connURL := dbtest.NewPostgresSchema(t)
	listener := openTestStore(t, connURL) // one node
	other := openTestStore(t, connURL)    // another node on the same schema
	ctx := t.Context()
	wakes, count := startListening(t, listener)

	t.Run("PublishWakes", func(t *testing.T) {
		e := testfactory.Endpoint(ctx, t, other, nil)
		drain(wakes)
		testfactory.Event(ctx, t, other, &testfactory.EventOpts{CustomerID: e.CustomerID})
		waitFor(t, wakes, "a wake after another node published")
	})

	t.Run("RetryWakes", func(t *testing.T) {
		e := testfactory.Endpoint(ctx, t, other, nil)
		res := testfactory.Event(ctx, t, other, &testfactory.EventOpts{CustomerID: e.CustomerID})
		drain(wakes)
		if _, err := other.DeliveryRetry(ctx, res.Deliveries[0].ID, time.Now()); err != nil {
			t.Fatalf("retry: %v", err)
		}
		waitFor(t, wakes, "a wake after another node retried a delivery")
	})

	t.Run("OtherSchemaDoesNotWake", func(t *testing.T) {
		elsewhere := openTestStore(t, dbtest.NewPostgresSchema(t))
		drain(wakes)
		before := count.Load()
		if err := elsewhere.NotifyWork(ctx); err != nil {
			t.Fatalf("notify work: %v", err)
		}
		// Then one from our schema, committed after it: the listener
		// reads notifications in commit order, so when ours has woken
		// it, the other schema's has been seen (and must not have).
		if err := other.NotifyWork(ctx); err != nil {
			t.Fatalf("notify work: %v", err)
		}
		waitFor(t, wakes, "a wake from our own schema")
		if n := count.Load() - before; n != 1 {
			t.Fatalf("%d wakes for one notification of our schema and one of another", n)
		}
	})

	t.Run("ReconnectsAfterConnectionLoss", func(t *testing.T) {
		pid := listener.listenPID.Load()
		if pid == 0 {
			t.Fatal("no listening connection")
		}
		drain(wakes)
		var ok bool
		if err := other.pool.QueryRow(ctx, `SELECT pg_terminate_backend($1)`, int32(pid)).Scan(&ok); err != nil || !ok {
			t.Fatalf("terminate listening backend %d: %v, %v", pid, ok, err)
		}
		// ListenWork wakes once on reconnecting (notifications sent
		// while it was away are lost)...
		waitFor(t, wakes, "a wake on reconnecting")
		// (It records the new connection before that wake.)
		if p := listener.listenPID.Load(); p == 0 || p == pid {
			t.Fatalf("listening connection %d after the reconnect wake, want a new one (old %d)", p, pid)
		}
		// ...and listens again.
		drain(wakes)
		if err := other.NotifyWork(ctx); err != nil {
			t.Fatalf("notify work: %v", err)
		}
		waitFor(t, wakes, "a wake after reconnecting")
	})
}

// TestMigrateConcurrently starts several nodes on one empty schema at once:
// the advisory lock lets one migrate while the others wait and then find
// nothing to do.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	connURL := dbtest.NewPostgresSchema(t)
	var wg sync.WaitGroup
	stores := make([]*Store, 5)
	errs := make([]error, len(stores))
	for i := range stores {
		wg.Go(func() {
			stores[i], errs[i] = Open(t.Context(), &Config{URL: connURL, MaxConns: 2})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("node %d: open: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}
	ms, err := migrations()
	if err != nil {
		t.Fatal(err)
	}
	var n int
	if err := stores[0].pool.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatalf("count migrations: %v", err)
	}
	if n != len(ms) {
		t.Fatalf("%d migrations recorded, want %d", n, len(ms))
	}
	// Migrate again: nothing to do, no error.
	if err := stores[1].Migrate(t.Context()); err != nil {
		t.Fatalf("migrate again: %v", err)
	}
	// The tables are in the test schema, not public.
	var schema string
	if err := stores[0].pool.QueryRow(t.Context(),
		`SELECT schemaname FROM pg_tables WHERE tablename = 'deliveries' AND schemaname = current_schema()`).Scan(&schema); err != nil {
		t.Fatalf("deliveries table in the test schema: %v", err)
	}
}
