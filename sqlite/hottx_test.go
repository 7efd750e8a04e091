package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/internal/groupcommit"
)

// hotTestStore opens a store with a scratch table t for hotWriter tests.
func hotTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := Open(t.Context(), &Config{Path: dbtest.NewSQLitePath(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	if _, err := s.write.ExecContext(t.Context(), `CREATE TABLE t (x INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	return s
}

// groupTestStore is hotTestStore with a writer whose groups are bounded by
// their writes only, however slow the machine: a test that queues writes
// behind a held one knows which group each joins.
func groupTestStore(t *testing.T) (*Store, *hotWriter) {
	t.Helper()
	s := hotTestStore(t)
	s.hotWrites.maxAge = time.Hour
	return s, s.hotWrites
}

func insertT(x int) func(context.Context, *sql.Tx) error {
	return func(ctx context.Context, tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO t (x) VALUES (?)`, x)
		return err
	}
}

// committedT lists t's rows as a reader sees them: committed ones only.
func committedT(t *testing.T, s *Store) []int {
	t.Helper()
	rows, err := s.read.QueryContext(t.Context(), `SELECT x FROM t ORDER BY x`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var xs []int
	for rows.Next() {
		var x int
		if err := rows.Scan(&x); err != nil {
			t.Fatal(err)
		}
		xs = append(xs, x)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return xs
}

// startHeldWrite runs a write of x that holds the writer until release is
// closed, and returns its result channel once it holds the writer.
func startHeldWrite(t *testing.T, w *hotWriter, x int, release <-chan struct{}) <-chan error {
	t.Helper()
	return startHeld(t, w, release, insertT(x))
}

// startHeld runs a write that holds the writer until release is closed and
// then runs then, and returns its result channel once it holds the writer.
// The write may run again (hotWriter.undo): it holds the writer the first
// time only.
func startHeld(t *testing.T, w *hotWriter, release <-chan struct{}, then func(context.Context, *sql.Tx) error) <-chan error {
	t.Helper()
	holding := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	go func() {
		done <- w.run(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			once.Do(func() { close(holding) })
			<-release
			return then(ctx, tx)
		})
	}()
	<-holding
	return done
}

// waitForWaiting waits until n writes are queued behind the running one.
func waitForWaiting(t *testing.T, w *hotWriter, n int32) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for w.waiting.Load() != n {
		if time.Now().After(deadline) {
			t.Fatalf("%d writes waiting, want %d", w.waiting.Load(), n)
		}
		time.Sleep(time.Millisecond)
	}
}

// waitForOpenGroup waits until n writes have run in the open group, which
// no write holds the writer for (a lingering one), and returns the group.
func waitForOpenGroup(t *testing.T, w *hotWriter, n int) *hotGroup {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		w.turn.Lock()
		ran, group := len(w.ran), w.group
		w.turn.Unlock()
		if ran == n {
			return group
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d writes ran in the open group, want %d", ran, n)
		}
		time.Sleep(time.Millisecond)
	}
}

// Writes queued behind a running one share its transaction: none is
// visible to readers, and none returns, until the last of them commits;
// one that fails is rolled back alone.
func TestHotWritesShareOneCommitAndFailAlone(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	release := make(chan struct{})
	first := startHeldWrite(t, w, 1, release)

	var sawFirst atomic.Value
	second := make(chan error, 1)
	go func() {
		second <- w.run(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			sawFirst.Store(committedT(t, s))
			return insertT(2)(ctx, tx)
		})
	}()
	failing := errors.New("refused")
	third := make(chan error, 1)
	go func() {
		third <- w.run(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			if err := insertT(3)(ctx, tx); err != nil {
				return err
			}
			return failing
		})
	}()
	waitForWaiting(t, w, 2)
	close(release)

	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	// The first write returns only once its group has committed, and the
	// group held the second write, which was queued when the first ended.
	if got := committedT(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("when the first write returned, %v was committed, want [1 2]", got)
	}
	if err := <-second; err != nil {
		t.Fatalf("second write: %v", err)
	}
	if err := <-third; !errors.Is(err, failing) {
		t.Fatalf("third write: %v, want its own error", err)
	}
	if got := sawFirst.Load().([]int); len(got) != 0 {
		t.Errorf("while the group was open a reader saw %v, want nothing committed", got)
	}
	if got := committedT(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("committed %v, want [1 2]: the failed write rolled back alone", got)
	}
	if st := s.WriterStats(); st.Writes != 3 || st.Transactions != 1 || st.Busy <= 0 {
		t.Errorf("WriterStats %+v, want 3 writes in 1 transaction and some busy time", st)
	}
}

// A group ends at maxWrites even while writes wait, so a write waits for
// a bounded number of others.
func TestHotWriteGroupsAreBounded(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	w := s.hotWrites
	w.maxWrites = 1
	release := make(chan struct{})
	first := startHeldWrite(t, w, 1, release)

	second := make(chan []int, 1)
	go func() {
		_ = w.run(t.Context(), func(ctx context.Context, tx *sql.Tx) error {
			second <- committedT(t, s)
			return nil
		})
	}()
	waitForWaiting(t, w, 1)
	close(release)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
	if got := <-second; !slices.Equal(got, []int{1}) {
		t.Errorf("the write after a full group saw %v committed, want [1]", got)
	}
}

// A write whose caller gives up still runs to its end in the transaction
// (a statement interrupted there could roll back the others' writes), and
// the caller hears of the cancellation.
func TestHotWriteOfACancelledCallerDoesNotBreakTheGroup(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	release := make(chan struct{})
	first := startHeldWrite(t, w, 1, release)

	ctx, cancel := context.WithCancel(t.Context())
	second := make(chan error, 1)
	go func() { second <- w.run(ctx, insertT(2)) }()
	waitForWaiting(t, w, 1)
	cancel()
	close(release)
	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := <-second; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled write: %v", err)
	}
	if got := committedT(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("committed %v, want [1 2]", got)
	}
}

// The first write of a transaction runs without a savepoint: if it fails,
// the transaction is rolled back, which undoes its work only, and the
// writes queued behind it start a new one.
func TestHotWriteFirstInItsTransactionFailsAlone(t *testing.T) {
	t.Parallel()
	s := hotTestStore(t)
	w := s.hotWrites
	release := make(chan struct{})
	failing := errors.New("refused")
	first := startHeld(t, w, release, func(ctx context.Context, tx *sql.Tx) error {
		if err := insertT(1)(ctx, tx); err != nil {
			return err
		}
		return failing
	})
	second := make(chan error, 1)
	go func() { second <- w.run(t.Context(), insertT(2)) }()
	waitForWaiting(t, w, 1)
	close(release)
	if err := <-first; !errors.Is(err, failing) {
		t.Fatalf("first write: %v, want its own error", err)
	}
	if err := <-second; err != nil {
		t.Fatalf("second write: %v", err)
	}
	if got := committedT(t, s); !slices.Equal(got, []int{2}) {
		t.Errorf("committed %v, want [2]", got)
	}
}

// If a write fails and an earlier write of its group fails when run again
// (hotWriter.undo), the whole group fails: nothing of it commits, and
// every caller hears so.
func TestHotWriteGroupFailsIfAnEarlierWriteFailsAgain(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	release := make(chan struct{})
	runs := 0
	first := startHeld(t, w, release, func(ctx context.Context, tx *sql.Tx) error {
		if runs++; runs > 1 {
			return errors.New("fails the second time")
		}
		return insertT(1)(ctx, tx)
	})
	failing := errors.New("refused")
	second := make(chan error, 1)
	go func() {
		second <- w.run(t.Context(), func(context.Context, *sql.Tx) error { return failing })
	}()
	waitForWaiting(t, w, 1)
	close(release)
	if err := <-second; !errors.Is(err, failing) {
		t.Fatalf("failing write: %v, want its own error", err)
	}
	if err := <-first; err == nil {
		t.Fatal("the first write succeeded though it could not run again")
	}
	if got := committedT(t, s); len(got) != 0 {
		t.Errorf("committed %v, want nothing", got)
	}
}

// A write that fails having written nothing (errWroteNothing) leaves its
// group alone: the writes before it are not rolled back and run again, and
// the group commits them with the writes after it.
func TestHotWriteThatWroteNothingLeavesItsGroupAlone(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	release := make(chan struct{})
	var firstRuns atomic.Int32
	first := startHeld(t, w, release, func(ctx context.Context, tx *sql.Tx) error {
		firstRuns.Add(1)
		return insertT(1)(ctx, tx)
	})
	stale := fmt.Errorf("stale plan (%w)", errWroteNothing)
	second := make(chan error, 1)
	go func() {
		second <- w.run(t.Context(), func(context.Context, *sql.Tx) error { return stale })
	}()
	waitForWaiting(t, w, 1)
	third := make(chan error, 1)
	go func() { third <- w.run(t.Context(), insertT(3)) }()
	waitForWaiting(t, w, 2)
	close(release)

	if err := <-first; err != nil {
		t.Fatalf("first write: %v", err)
	}
	if err := <-second; !errors.Is(err, stale) {
		t.Fatalf("second write: %v, want its own error", err)
	}
	if err := <-third; err != nil {
		t.Fatalf("third write: %v", err)
	}
	if got := committedT(t, s); !slices.Equal(got, []int{1, 3}) {
		t.Errorf("committed %v, want [1 3]", got)
	}
	if n := firstRuns.Load(); n != 1 {
		t.Errorf("the first write ran %d times, want once: nothing was undone", n)
	}
	if st := s.WriterStats(); st.Transactions != 1 {
		t.Errorf("%d transactions, want the group's one", st.Transactions)
	}
}

// A busy writer keeps a group with no write queued open for linger, and a
// write that comes meanwhile joins it: one commit for both.
func TestHotWriteLingersForTheNextWhileBusy(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	// A transaction just ended, and groups have held two writes: several
	// callers keep the writer busy.
	w.linger, w.lastEnd, w.avgWrites = time.Minute, time.Now(), groupcommit.NewAverage(2)

	first := make(chan error, 1)
	go func() { first <- w.run(t.Context(), insertT(1)) }()
	// The first write's group stays open for the second, which is not
	// queued yet: wait until the first has run in it.
	waitForOpenGroup(t, w, 1)
	select {
	case err := <-first:
		t.Fatalf("the first write returned (%v) before its group's linger was over", err)
	default:
	}
	second := make(chan error, 1)
	go func() { second <- w.run(t.Context(), insertT(2)) }()
	// Two writes are in the group now; end the wait as its timer would.
	w.commitLingering(waitForOpenGroup(t, w, 2))
	for i, ch := range []chan error{first, second} {
		if err := <-ch; err != nil {
			t.Fatalf("write %d: %v", i+1, err)
		}
	}
	if got := committedT(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("committed %v, want [1 2]", got)
	}
	if st := s.WriterStats(); st.Writes != 2 || st.Transactions != 1 {
		t.Errorf("WriterStats %+v, want 2 writes in 1 transaction", st)
	}
}

// A write after a quiet spell commits at once, however long linger is:
// a trickle of publishes is not kept waiting for company.
func TestHotWriteAfterAQuietSpellCommitsAtOnce(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	w.linger = time.Hour
	for i, lastEnd := range []time.Time{{}, time.Now().Add(-3 * time.Hour)} {
		w.turn.Lock()
		w.lastEnd, w.avgWrites = lastEnd, groupcommit.NewAverage(2)
		w.turn.Unlock()
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := w.run(ctx, insertT(i+1))
		cancel()
		if err != nil {
			t.Fatalf("write %d, the last transaction ended at %v: %v (it waited for company)", i+1, lastEnd, err)
		}
	}
	if got := committedT(t, s); !slices.Equal(got, []int{1, 2}) {
		t.Errorf("committed %v, want [1 2]", got)
	}
}

// A caller that writes again and again, alone, never waits for company:
// its groups hold one write each. Nor does it once a busy spell's groups
// are behind it.
func TestHotWriteOfACallerAloneCommitsAtOnce(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	w.linger = time.Hour
	for i := range 40 {
		if i == 20 {
			// Groups of several writes before: lingering decays as the
			// caller's lone writes come (a wait of 50 ms each, here).
			w.turn.Lock()
			w.linger, w.avgWrites = 50*time.Millisecond, groupcommit.NewAverage(2.5)
			w.turn.Unlock()
		}
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := w.run(ctx, insertT(i+1))
		cancel()
		if err != nil {
			t.Fatalf("write %d: %v (it waited for company)", i+1, err)
		}
	}
	w.turn.Lock()
	avg := w.avgWrites.Mean()
	w.turn.Unlock()
	if avg >= lingerMinWrites {
		t.Errorf("after 20 lone writes the writer still lingers (average group %.2f)", avg)
	}
	if got := committedT(t, s); len(got) != 40 {
		t.Errorf("committed %d rows, want 40", len(got))
	}
}

// A lingering group's timer commits it when no write comes.
func TestHotWriteLingerEndsWithItsTimer(t *testing.T) {
	t.Parallel()
	s, w := groupTestStore(t)
	w.linger, w.lastEnd, w.avgWrites = 20*time.Millisecond, time.Now(), groupcommit.NewAverage(2)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := w.run(ctx, insertT(1)); err != nil {
		t.Fatal(err)
	}
	if got := committedT(t, s); !slices.Equal(got, []int{1}) {
		t.Errorf("committed %v, want [1]", got)
	}
}

// Closing the store commits a lingering group rather than leave its
// writes waiting.
func TestCloseCommitsALingeringGroup(t *testing.T) {
	t.Parallel()
	path := dbtest.NewSQLitePath(t)
	s, err := Open(t.Context(), &Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.write.ExecContext(t.Context(), `CREATE TABLE t (x INTEGER PRIMARY KEY)`); err != nil {
		t.Fatal(err)
	}
	w := s.hotWrites
	w.linger, w.maxAge, w.lastEnd, w.avgWrites = time.Hour, time.Hour, time.Now(), groupcommit.NewAverage(2)
	done := make(chan error, 1)
	go func() { done <- w.run(t.Context(), insertT(1)) }()
	waitForOpenGroup(t, w, 1)
	closed := make(chan error, 1)
	go func() { closed <- s.Close() }()
	select {
	case err := <-closed:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close waits for the lingering group")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the lingering write: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the lingering write still waits after Close")
	}
	s, err = Open(t.Context(), &Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if got := committedT(t, s); !slices.Equal(got, []int{1}) {
		t.Errorf("after reopening, committed %v, want [1]", got)
	}
}
