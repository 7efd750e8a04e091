package sqlite

import (
	"context"
	"errors"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/testfactory"
)

// gatedSync is a walSyncer.sync that counts its calls and blocks each one
// until the test lets it finish.
type gatedSync struct {
	started atomic.Int32
	begun   chan struct{} // one value per call, as it starts
	release chan error    // one value per call lets it finish with that error
}

func newGatedSync() *gatedSync {
	return &gatedSync{begun: make(chan struct{}, 100), release: make(chan error)}
}

func (g *gatedSync) sync(string) error {
	g.started.Add(1)
	g.begun <- struct{}{}
	return <-g.release
}

// commitLog numbers the commits of a test's walSyncer.
type commitLog struct{ commits atomic.Int64 }

// newTestSyncer is a walSyncer of sync whose commits log numbers.
func newTestSyncer(sync func(string) error) (*walSyncer, *commitLog) {
	log := &commitLog{}
	return newWALSyncerFunc("unused", sync, log.commits.Load), log
}

// newGatedTestSyncer is a walSyncer of a gatedSync, closed when the test
// ends.
func newGatedTestSyncer(t *testing.T) (*gatedSync, *walSyncer, *commitLog) {
	t.Helper()
	g := newGatedSync()
	w, log := newTestSyncer(g.sync)
	t.Cleanup(w.close)
	return g, w, log
}

// waitAsync commits (numbers a commit) and runs w.waitFor for it in a
// goroutine, as a publish does after its commit returns, and returns its
// result channel.
func waitAsync(ctx context.Context, w *walSyncer, log *commitLog) <-chan error {
	return waitForAsync(ctx, w, log.commits.Add(1))
}

// waitForAsync waits for commit seq's fsync in a goroutine of its own.
func waitForAsync(ctx context.Context, w *walSyncer, seq int64) <-chan error {
	done := make(chan error, 1)
	go func() { done <- w.waitFor(ctx, seq) }()
	return done
}

func mustNotReturn(t *testing.T, done <-chan error, what string) {
	t.Helper()
	select {
	case err := <-done:
		t.Fatalf("%s returned (%v) before the fsync it needs", what, err)
	case <-time.After(20 * time.Millisecond):
	}
}

func TestWALSyncerWaitsForAnFsyncThatBeganAfterIt(t *testing.T) {
	t.Parallel()
	g, w, log := newGatedTestSyncer(t)
	ctx := t.Context()

	first := waitAsync(ctx, w, log)
	<-g.begun // round 1 is under way

	// A commit that returns now may have written its frames after round
	// 1's fsync began: its wait must not be satisfied by round 1.
	second := waitAsync(ctx, w, log)
	third := waitAsync(ctx, w, log)
	mustNotReturn(t, second, "a wait that arrived during a running fsync")

	g.release <- nil // round 1 ends
	if err := <-first; err != nil {
		t.Fatalf("first wait: %v", err)
	}
	mustNotReturn(t, second, "a wait that arrived during round 1")

	<-g.begun // round 2, which both later waits joined
	g.release <- nil
	for i, done := range []<-chan error{second, third} {
		if err := <-done; err != nil {
			t.Fatalf("wait %d: %v", i+2, err)
		}
	}
	if n := g.started.Load(); n != 2 {
		t.Fatalf("%d fsyncs for three waits, two of them concurrent; want 2 (one shared)", n)
	}
}

// TestWALSyncerCoversACommitByItsNumber checks that a wait joins the
// fsync under way when that fsync began after its commit, however late the
// wait arrives, and only then.
func TestWALSyncerCoversACommitByItsNumber(t *testing.T) {
	t.Parallel()
	g := newGatedSync()
	w, log := newTestSyncer(g.sync)
	commits := &log.commits
	t.Cleanup(w.close)
	ctx := t.Context()

	commits.Store(5)
	first := waitForAsync(ctx, w, 5)
	<-g.begun // round 1 covers commits 1-5

	// Commit 4 asks late, while round 1 runs: round 1 covers it.
	late := waitForAsync(ctx, w, 4)
	// Commit 6 returned after round 1 began: round 1 may have missed its
	// frames.
	commits.Store(6)
	after := waitForAsync(ctx, w, 6)
	mustNotReturn(t, after, "a wait for a commit the running fsync does not cover")

	g.release <- nil // round 1 ends
	for i, done := range []<-chan error{first, late} {
		if err := <-done; err != nil {
			t.Fatalf("wait %d covered by round 1: %v", i+1, err)
		}
	}
	mustNotReturn(t, after, "a wait for commit 6 after round 1")
	<-g.begun // round 2
	g.release <- nil
	if err := <-after; err != nil {
		t.Fatalf("wait for commit 6: %v", err)
	}
	if n := g.started.Load(); n != 2 {
		t.Fatalf("%d fsyncs, want 2: the late wait for commit 4 joins round 1", n)
	}
}

func TestWALSyncerCloseRunsTheQueuedRoundsAndRefusesNewWaits(t *testing.T) {
	t.Parallel()
	g := newGatedSync()
	w, log := newTestSyncer(g.sync)
	ctx := t.Context()
	first := waitAsync(ctx, w, log)
	<-g.begun
	second := waitAsync(ctx, w, log) // queued for round 2
	mustNotReturn(t, second, "a wait queued behind a running fsync")

	closed := make(chan struct{})
	go func() { w.close(); close(closed) }()
	g.release <- nil
	<-g.begun // close lets round 2 run
	select {
	case <-closed:
		t.Fatal("close returned before the queued round ran")
	case <-time.After(20 * time.Millisecond):
	}
	g.release <- nil
	<-closed
	for i, done := range []<-chan error{first, second} {
		if err := <-done; err != nil {
			t.Fatalf("wait %d: %v", i+1, err)
		}
	}
	if err := w.waitFor(ctx, log.commits.Add(1)); !errors.Is(err, errWALSyncerClosed) {
		t.Fatalf("wait after close = %v, want errWALSyncerClosed", err)
	}
}

func TestWALSyncerReportsTheFsyncError(t *testing.T) {
	t.Parallel()
	g, w, log := newGatedTestSyncer(t)
	done := waitAsync(t.Context(), w, log)
	<-g.begun
	failed := errors.New("EIO")
	g.release <- failed
	if err := <-done; !errors.Is(err, failed) {
		t.Fatalf("wait = %v, want the fsync's error", err)
	}
	// The next wait gets a new round, not the old error.
	done = waitAsync(t.Context(), w, log)
	<-g.begun
	g.release <- nil
	if err := <-done; err != nil {
		t.Fatalf("wait after a failed round = %v, want nil", err)
	}
}

func TestWALSyncerWaitEndsWithItsContext(t *testing.T) {
	t.Parallel()
	g, w, log := newGatedTestSyncer(t)
	ctx, cancel := context.WithCancel(t.Context())
	done := waitAsync(ctx, w, log)
	<-g.begun
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("wait = %v, want context.Canceled", err)
	}
	g.release <- nil // let the round end, as the fsync would
}

// TestHotWritesAreDurableBeforeTheyReturn checks the promise the decoupled
// fsync must keep: a publish (the 202) and an attempt record return only
// after an fsync of the log that began after their commit, and a claim
// does not wait for one.
func TestHotWritesAreDurableBeforeTheyReturn(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := Open(ctx, &Config{Path: dbtest.NewSQLitePath(t)})
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ep := testfactory.Endpoint(ctx, t, s, nil)

	var mu sync.Mutex
	real := s.wal.sync
	var gate chan struct{} // nil: fsync at once
	s.wal.sync = func(path string) error {
		mu.Lock()
		g := gate
		mu.Unlock()
		if g != nil {
			<-g
		}
		return real(path)
	}
	hold := func() chan struct{} {
		mu.Lock()
		defer mu.Unlock()
		gate = make(chan struct{})
		return gate
	}
	free := func(g chan struct{}) {
		mu.Lock()
		gate = nil
		mu.Unlock()
		close(g)
	}

	g := hold()
	published := make(chan error, 1)
	go func() {
		_, err := s.EventPublish(ctx, []*herald.Event{testfactory.NewEvent(t, &testfactory.EventOpts{CustomerID: ep.CustomerID})})
		published <- err
	}()
	mustNotReturn(t, published, "EventPublish")
	free(g)
	if err := <-published; err != nil {
		t.Fatalf("publish: %v", err)
	}

	g = hold()
	claimed, err := s.DeliveryClaimDue(ctx, &herald.DeliveryClaimParams{Owner: "test", Limit: 10,
		Now: time.Now(), LeaseUntil: time.Now().Add(time.Minute)})
	if err != nil || len(claimed) != 1 {
		t.Fatalf("claim while the fsync is held = %d deliveries, %v; want 1 without waiting", len(claimed), err)
	}
	recorded := make(chan error, 1)
	go func() {
		recorded <- s.DeliveryRecordAttempts(ctx, []*herald.AttemptRecord{{Lease: claimed[0].Lease,
			State: herald.DeliveryStateDelivered, Attempt: &herald.Attempt{Number: 1, At: time.Now(), StatusCode: 200}}})
	}()
	mustNotReturn(t, recorded, "DeliveryRecordAttempts")
	free(g)
	if err := <-recorded; err != nil {
		t.Fatalf("record: %v", err)
	}
}

func TestFsyncWAL(t *testing.T) {
	t.Parallel()
	path := t.TempDir() + "/herald.db-wal"
	if err := fsyncWAL(path); err != nil {
		t.Fatalf("fsync of a log SQLite has removed = %v, want nil (it was checkpointed and synced)", err)
	}
	if err := os.WriteFile(path, []byte("frames"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := fsyncWAL(path); err != nil {
		t.Fatalf("fsync of the log: %v", err)
	}
	if err := fsyncWAL(t.TempDir()); err == nil {
		t.Fatal("fsync of a directory opened read-write succeeded, want an error")
	}
}

// TestWALSyncerDoesNotSyncACommitAgain checks that a wait for a commit that
// an ended round covered returns at once, without an fsync of its own: the
// writes of a shared transaction wake one by one, some after the round
// their commit needed has ended. After a failed round it syncs again.
func TestWALSyncerDoesNotSyncACommitAgain(t *testing.T) {
	t.Parallel()
	g, w, log := newGatedTestSyncer(t)
	ctx := t.Context()

	log.commits.Store(3)
	first := waitForAsync(ctx, w, 3)
	<-g.begun // round 1 covers commits 1-3
	g.release <- nil
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	for _, seq := range []int64{3, 2} {
		select {
		case err := <-waitForAsync(ctx, w, seq):
			if err != nil {
				t.Fatalf("late wait for commit %d: %v", seq, err)
			}
		case <-g.begun:
			g.release <- nil
			t.Fatalf("a late wait for commit %d started an fsync of its own", seq)
		}
	}
	if n := g.started.Load(); n != 1 {
		t.Fatalf("%d fsyncs, want 1: the late waits were covered by round 1", n)
	}

	// Commit 4's round fails: a wait for it must sync again, not take
	// the failed round's word for it or an earlier round's.
	log.commits.Store(4)
	fourth := waitForAsync(ctx, w, 4)
	<-g.begun
	failed := errors.New("EIO")
	g.release <- failed
	if err := <-fourth; !errors.Is(err, failed) {
		t.Fatalf("wait for commit 4 = %v, want the fsync's error", err)
	}
	again := waitForAsync(ctx, w, 4)
	select {
	case <-g.begun:
	case err := <-again:
		t.Fatalf("a wait for commit 4 after its round failed returned %v without an fsync", err)
	}
	g.release <- nil
	if err := <-again; err != nil {
		t.Fatal(err)
	}
	if n := g.started.Load(); n != 3 {
		t.Fatalf("%d fsyncs, want 3", n)
	}
}
