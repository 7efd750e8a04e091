package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/heraldhq/herald/internal/groupcommit"
)

// Limits of one shared hot transaction (see hotWriter): it commits after
// this many writes, or once it has been open this long, even while more
// wait. They bound what a write waiting for its group's commit can be kept
// waiting by the writes after it.
const (
	defaultHotGroupWrites = 16
	defaultHotGroupAge    = 5 * time.Millisecond
)

// defaultHotGroupLinger is how long a busy writer keeps a transaction open
// for more writes when none is queued (hotWriter.linger). Every write in
// the group waits for it, and a publisher that waits for its 202 before
// it publishes again cannot bring the company the group waits for, so the
// wait is kept short. herald bench, alternated pairs (docs/performance.md,
// sessions 18 and 19): against no wait, 2 ms took a fifth off Herald's CPU
// per delivery at 1,500 events/s, for 2.5-4.5 ms more on the median; but
// against 1 ms it made 1 and 4 closed-loop publishers 1.54 and 1.46 times
// slower, with the machine mostly idle. 1 ms keeps most of the saving (at
// 1,500 events/s about 6-9 % more CPU and 17 % more bytes than 2 ms) with
// a median 28-37 % lower; at full speed the two do not differ.
const defaultHotGroupLinger = 1 * time.Millisecond

// hotWriter runs the hot paths' writes (publishes, claims, attempt
// records) in shared transactions: a write that finds others queued
// behind it leaves its transaction open for them, and the last of the
// group commits for all. A write that fails is undone alone and the
// others' work stands (undo).
//
// Why: a commit writes every page the transaction dirtied to the log, and
// a publish, the claim that leases its deliveries and the record of their
// attempts all dirty the same pages (the deliveries table's hot leaves and
// its per-endpoint and per-customer index leaves). Committed one by one,
// each writes those pages again; one commit per group writes them once.
// Under load that was most of SQLite's cost per delivery: about 45 KB
// written (11 pages) per delivery at full speed, for three commits.
//
// A busy writer also waits a little for writes that are not queued yet
// (linger): the publisher, the recorder and the claims each hand it a
// batch every millisecond or two under load, and one commit for all of
// them writes the shared pages once. It waits only while its groups show
// that several callers write at once. Small groups are what made SQLite's
// cost per delivery: BenchmarkPublishClaimRecord spends about 80 µs of
// CPU per delivery in calls of 128 and about 190 in calls of 8.
//
// A write learns its outcome only when its group commits: run returns
// then, so nobody acts on a claim or acknowledges a publish that might
// still be rolled back. The commit is not fsync'd (synchronous=NORMAL, as
// beginUnsynced explains); publishes and records wait for the walSyncer
// after it, as before.
type hotWriter struct {
	// begin starts the shared transaction: Store.beginUnsynced.
	begin func(context.Context) (*sql.Tx, func(), error)
	// maxWrites and maxAge bound a group (defaultHotGroupWrites, defaultHotGroupAge).
	maxWrites int
	maxAge    time.Duration
	// linger is how long a group with no write queued stays open for
	// more (defaultHotGroupLinger), while several callers keep the writer
	// busy: only if recent groups held lingerMinWrites writes or more on
	// average (so writes do meet in a transaction; one caller writing
	// again and again never waits), and the transaction before it ended
	// less than two lingers before it began (so a write after a quiet
	// spell commits at once). Without either it commits as with 0.
	linger time.Duration
	// waiting counts writes queued for turn, so a finishing write knows
	// whether to leave the transaction open.
	waiting atomic.Int32
	// turn is held by the write running in the transaction.
	turn sync.Mutex
	// busy (nanoseconds holding turn), writes and transactions are counted
	// for WriterStats.
	busy, writes, transactions atomic.Int64
	// commits numbers the shared transactions that committed: a group's
	// number is what walSyncer needs to know which fsync covers it.
	commits atomic.Int64

	// Guarded by turn: the open transaction and its group, if any.
	tx      *sql.Tx
	done    func() // ends the unsynced connection (beginUnsynced)
	group   *hotGroup
	inGroup int
	began   time.Time
	ran     []hotWrite // the writes in tx, in order
	// lingering: whether this group may wait for writes not yet queued
	// (linger); lingerTimer commits it if none comes.
	lingering   bool
	lingerTimer *time.Timer
	// lastEnd is when the last transaction ended, and avgWrites the
	// recent groups' writes, for linger's tests of a busy writer.
	lastEnd   time.Time
	avgWrites groupcommit.Average
}

// lingerMinWrites is the average group size (hotWriter.avgWrites) from
// which a busy writer lingers, as PostgreSQL's commit_delay waits only
// while commit_siblings other transactions are open. Without lingering,
// herald bench's groups held 1.4 writes on average, at full speed and at
// 1,500 events/s alike; 2.6-3.0 with a linger of 2 ms and 1.9-2.6 with
// 1 ms. A caller alone makes groups of one.
const lingerMinWrites = 1.25

// hotGroup is the outcome of one shared transaction, for every write in it.
type hotGroup struct {
	committed chan struct{} // closed once err and seq are set
	err       error
	// seq is the transaction's number among the commits (hotWriter.commits),
	// if it committed.
	seq int64
}

func newHotWriter(s *Store) *hotWriter {
	return &hotWriter{maxWrites: defaultHotGroupWrites, maxAge: defaultHotGroupAge, linger: defaultHotGroupLinger,
		avgWrites: groupcommit.NewAverage(1), begin: s.beginUnsynced}
}

// run runs fn in the shared transaction and returns once its group has
// committed (or fn failed, which undoes fn's own work only). fn must not
// commit or roll back tx, must be done with every statement and row it
// opened by the time it returns, and must set its results anew each time it
// runs: it may run again, in a new transaction, if a later write of its
// group fails (undo). It runs with ctx's values but not
// its cancellation: interrupting a statement can roll back the whole
// transaction, which holds other callers' writes too.
func (w *hotWriter) run(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	_, err := w.runNumbered(ctx, fn)
	return err
}

// runNumbered is run, and returns the number of the commit that carried
// fn's work (committed), for walSyncer.waitFor.
func (w *hotWriter) runNumbered(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) (int64, error) {
	w.waiting.Add(1)
	w.turn.Lock()
	w.waiting.Add(-1)
	group, err := w.runTurn(context.WithoutCancel(ctx), fn)
	if err != nil {
		return 0, err
	}
	select {
	case <-group.committed:
		return group.seq, group.err
	case <-ctx.Done():
		// The write may still commit: as when a caller gives up after
		// its commit, before hearing of it.
		return 0, ctx.Err()
	}
}

// committed is the number of the last shared transaction that committed:
// its frames, and those of every one before it, are in the log.
func (w *hotWriter) committed() int64 { return w.commits.Load() }

// runTurn runs fn holding turn, and ends the group if nobody waits or the
// group is full.
func (w *hotWriter) runTurn(ctx context.Context, fn func(context.Context, *sql.Tx) error) (*hotGroup, error) {
	held := time.Now()
	defer func() {
		w.busy.Add(int64(time.Since(held)))
		w.writes.Add(1)
		w.turn.Unlock()
	}()
	if w.tx == nil {
		tx, done, err := w.begin(ctx)
		if err != nil {
			return nil, err
		}
		w.tx, w.done, w.inGroup, w.began, w.ran = tx, done, 0, time.Now(), nil
		w.group = &hotGroup{committed: make(chan struct{})}
		w.lingering = w.linger > 0 && w.avgWrites.Mean() >= lingerMinWrites && w.began.Sub(w.lastEnd) < 2*w.linger
	}
	group := w.group
	w.inGroup++
	err := fn(ctx, w.tx)
	switch {
	case err == nil:
		w.ran = append(w.ran, hotWrite{ctx, fn})
	case errors.Is(err, errWroteNothing):
		// Nothing of it to undo: the transaction goes on for the others.
	default:
		w.undo(ctx, err)
	}
	if w.tx != nil {
		w.settle()
	}
	if err != nil {
		return nil, err
	}
	return group, nil
}

// settle decides, after a write of the open group, whether the group
// commits now: it does once full or old (maxWrites, maxAge), and else
// once no write waits for turn, unless it is lingering and younger than
// linger; then the first write after it, or lingerTimer, decides again.
// The caller holds turn.
func (w *hotWriter) settle() {
	age := time.Since(w.began)
	switch {
	case w.inGroup >= w.maxWrites || age >= w.maxAge:
	case w.waiting.Load() > 0:
		return
	case w.lingering && age < w.linger:
		if w.lingerTimer == nil {
			group := w.group
			w.lingerTimer = time.AfterFunc(w.linger-age, func() { w.commitLingering(group) })
		}
		return
	}
	w.end(w.tx.Commit())
}

// commitLingering commits group, if it is still the open one: no write
// came for it to stay open for.
func (w *hotWriter) commitLingering(group *hotGroup) {
	w.turn.Lock()
	defer w.turn.Unlock()
	if w.group == group && w.tx != nil {
		held := time.Now()
		w.end(w.tx.Commit())
		w.busy.Add(int64(time.Since(held)))
	}
}

// flush commits the open group, if any, for Store.Close: a lingering one
// would otherwise wait for its timer.
func (w *hotWriter) flush() {
	w.turn.Lock()
	defer w.turn.Unlock()
	if w.tx != nil {
		w.end(w.tx.Commit())
	}
}

// errWroteNothing marks the error of a write that failed before it wrote
// anything (a publish whose plan is stale, say): runTurn has nothing of it
// to undo, so the writes before it in the transaction neither roll back
// nor run again.
var errWroteNothing = errors.New("the write wrote nothing")

// undo takes back the work of a write that failed (with failed), and only
// its work. SQLite can roll back one write of a transaction only if it ran
// in a savepoint, and a savepoint is not free: SQLite copies every page a
// write changes inside one to a statement journal, which was a twentieth
// of a node's CPU at full speed. Writes fail rarely, so none runs in one:
// the transaction is rolled back and the group's earlier writes, which
// succeeded, run again in a new one, in the same turn. Each write's
// function sets its results anew when it runs (it must), so their callers
// see those of the run that commits. If one of them fails this time, or
// the new transaction cannot begin, the whole group fails.
func (w *hotWriter) undo(ctx context.Context, failed error) {
	earlier := w.ran
	if len(earlier) == 0 {
		w.end(failed) // the rollback undoes this write's work and nobody else's
		return
	}
	_ = w.tx.Rollback()
	w.done()
	w.tx, w.done, w.ran = nil, nil, nil
	tx, done, err := w.begin(ctx)
	if err != nil {
		w.end(fmt.Errorf("shared transaction: a write failed (%w) and the others could not run again: %w", failed, err))
		return
	}
	w.tx, w.done = tx, done
	for _, r := range earlier {
		if err := r.fn(r.ctx, tx); err != nil {
			w.end(fmt.Errorf("shared transaction: a write failed (%w) and another failed when run again: %w", failed, err))
			return
		}
		w.ran = append(w.ran, r)
	}
}

// hotWrite is a write of the open transaction that succeeded, kept in case
// it must run again (undo).
type hotWrite struct {
	ctx context.Context
	fn  func(context.Context, *sql.Tx) error
}

// end closes the open transaction, if any: committed if err is nil (err
// is then the commit's outcome), else rolled back, and tells its group.
func (w *hotWriter) end(err error) {
	if err != nil && w.tx != nil {
		if rbErr := w.tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			err = errors.Join(err, rbErr)
		}
	}
	if w.done != nil {
		w.done()
	}
	if w.lingerTimer != nil {
		// A timer that already fired finds another group, or none, and
		// leaves it be (commitLingering).
		w.lingerTimer.Stop()
		w.lingerTimer = nil
	}
	w.lastEnd = time.Now()
	w.avgWrites.Add(w.inGroup)
	w.transactions.Add(1)
	w.group.err = err
	if err == nil {
		// After Commit returned, so a walSyncer round that reads this
		// number finds the frames in the log.
		w.group.seq = w.commits.Add(1)
	}
	close(w.group.committed)
	w.tx, w.done, w.group, w.ran = nil, nil, nil, nil
}

// WriterStats is what the SQLite store's single writer has done since it
// opened, for metrics: the writer is its bottleneck under load, and how
// busy it is tells whether a node is limited by it or by its CPUs.
type WriterStats struct {
	// Busy is the time the hot paths held the writer.
	Busy time.Duration
	// Writes are the hot paths' writes (publish batches, claims, attempt
	// record batches), and Transactions the shared transactions that
	// carried them (hotWriter).
	Writes, Transactions int64
	// LogSyncs are the fsyncs of the log that made those transactions
	// durable (walSyncer), and LogSyncTime the time they took: a publish
	// waits for one after its commit.
	LogSyncs    int64
	LogSyncTime time.Duration
}

// WriterStats returns the writer's counts so far.
func (s *Store) WriterStats() WriterStats {
	w := s.hotWrites
	return WriterStats{Busy: time.Duration(w.busy.Load()), Writes: w.writes.Load(), Transactions: w.transactions.Load(),
		LogSyncs: s.wal.rounds.Load(), LogSyncTime: time.Duration(s.wal.syncing.Load())}
}
