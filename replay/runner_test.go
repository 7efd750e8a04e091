package replay_test

import (
	"context"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
	"github.com/heraldhq/herald/replay"
	"github.com/heraldhq/herald/sqlite"
)

var base = time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)

func openStore(t *testing.T, path string) *sqlite.Store {
	t.Helper()
	s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path, Logger: slog.New(slog.NewTextHandler(t.Output(), nil))})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	return s
}

// stoppingStore cancels a context after a number of steps: a node stopped
// half way through a job.
type stoppingStore struct {
	herald.ReplayStore
	after  int32
	steps  atomic.Int32
	cancel context.CancelFunc
}

func (s *stoppingStore) ReplayJobStep(ctx context.Context, id string, now time.Time, batch int) (*herald.ReplayJobStepResult, error) {
	res, err := s.ReplayStore.ReplayJobStep(ctx, id, now, batch)
	if s.steps.Add(1) == s.after {
		s.cancel()
	}
	return res, err
}

func TestRunnerResumesAfterRestart(t *testing.T) {
	t.Parallel()
	path := dbtest.NewSQLitePath(t)
	store := openStore(t, path)
	ctx := t.Context()
	e := testfactory.Endpoint(ctx, t, store, nil)
	var batch []*herald.Event
	for i := range 2500 {
		batch = append(batch, testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base.Add(time.Duration(i) * time.Millisecond)}))
	}
	if _, err := store.EventPublish(ctx, batch); err != nil {
		t.Fatalf("publish: %v", err)
	}
	j := &herald.ReplayJob{CustomerID: e.CustomerID}
	if err := store.ReplayJobCreate(ctx, j, base.Add(time.Hour)); err != nil {
		t.Fatalf("create job: %v", err)
	}

	// First run: stopped after two batches.
	runCtx, cancel := context.WithCancel(ctx)
	stopping := &stoppingStore{ReplayStore: store, after: 2, cancel: cancel}
	var wakes atomic.Int32
	r, err := replay.New(replay.Config{Store: stopping, WakeFunc: func() { wakes.Add(1) }, NowFunc: func() time.Time { return base.Add(time.Hour) }})
	if err != nil {
		t.Fatalf("new runner: %v", err)
	}
	if err := r.Run(runCtx); err != nil {
		t.Fatalf("run: %v", err)
	}
	mid, err := store.ReplayJobGet(ctx, j.ID)
	if err != nil || mid.Done != 1000 || mid.Finished() {
		t.Fatalf("job after the stop = %+v, %v; want 1000 done, unfinished", mid, err)
	}
	if wakes.Load() != 2 {
		t.Fatalf("woke the dispatcher %d times, want 2", wakes.Load())
	}
	if err := store.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}

	// A new process on the same database finishes the job.
	store = openStore(t, path)
	t.Cleanup(func() { _ = store.Close() })
	r, err = replay.New(replay.Config{Store: store, NowFunc: func() time.Time { return base.Add(2 * time.Hour) }})
	if err != nil {
		t.Fatalf("new runner: %v", err)
	}
	if err := r.RunOnce(ctx); err != nil {
		t.Fatalf("run once: %v", err)
	}
	done, err := store.ReplayJobGet(ctx, j.ID)
	if err != nil || !done.Finished() || done.Done != 2500 || done.Total != 2500 || done.Replayed != 2500 {
		t.Fatalf("job = %+v, %v; want 2500/2500 replayed", done, err)
	}
	// The first 1000 were replayed by the first run, the rest by the second.
	due := map[time.Time]int{}
	cursor := ""
	for {
		page, err := store.DeliveryFind(ctx, &herald.DeliveryFilter{CustomerID: e.CustomerID}, cursor, 500)
		if err != nil {
			t.Fatalf("find: %v", err)
		}
		for _, d := range page.Deliveries {
			due[d.NextAttemptAt]++
		}
		if cursor = page.NextCursor; cursor == "" {
			break
		}
	}
	if len(due) != 2 || due[base.Add(time.Hour)] != 1000 || due[base.Add(2*time.Hour)] != 1500 {
		t.Fatalf("due times = %v, want 1000 at the first run's time, 1500 at the second's", due)
	}
}

func TestRunnerWake(t *testing.T) {
	t.Parallel()
	store := openStore(t, dbtest.NewSQLitePath(t))
	t.Cleanup(func() { _ = store.Close() })
	ctx, cancel := context.WithCancel(t.Context())
	e := testfactory.Endpoint(ctx, t, store, nil)
	testfactory.Event(ctx, t, store, &testfactory.EventOpts{CustomerID: e.CustomerID, CreatedAt: base})
	woken := make(chan struct{}, 1)
	r, err := replay.New(replay.Config{Store: store, PollInterval: time.Hour, WakeFunc: func() {
		select {
		case woken <- struct{}{}:
		default:
		}
	}})
	if err != nil {
		t.Fatalf("new runner: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	j := &herald.ReplayJob{CustomerID: e.CustomerID}
	if err := store.ReplayJobCreate(ctx, j, base); err != nil {
		t.Fatalf("create job: %v", err)
	}
	r.Wake()
	select {
	case <-woken:
	case <-time.After(10 * time.Second):
		t.Fatalf("the runner did not replay after Wake")
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v", err)
	}
	got, err := store.ReplayJobGet(t.Context(), j.ID)
	if err != nil || !got.Finished() || got.Replayed != 1 {
		t.Fatalf("job = %+v, %v", got, err)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	if _, err := replay.New(replay.Config{}); err == nil {
		t.Fatalf("New without a store succeeded")
	}
}
