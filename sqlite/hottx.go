package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of one shared hot transaction (see hotWriter): it commits after
// this many writes, or once it has been open this long, even while more
// wait. They bound what a write waiting for its group's commit can be kept
// waiting by the writes after it.
const (
	defaultHotGroupWrites = 16
	defaultHotGroupAge    = 5 * time.Millisecond
)

// hotWriter runs the hot paths' writes (publishes, claims, attempt
// records) in shared transactions: a write that finds others queued
// behind it leaves its transaction open for them, and the last of the
// group commits for all. Each write runs in a savepoint of its own, so one
// that fails is rolled back alone and the others' work stands.
//
// Why: a commit writes every page the transaction dirtied to the log, and
// a publish, the claim that leases its deliveries and the record of their
// attempts all dirty the same pages (the deliveries table's hot leaves and
// its per-endpoint and per-customer index leaves). Committed one by one,
// each writes those pages again; one commit per group writes them once.
// Under load that was most of SQLite's cost per delivery: about 45 KB
// written (11 pages) per delivery at full speed, for three commits.
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
	// waiting counts writes queued for turn, so a finishing write knows
	// whether to leave the transaction open.
	waiting atomic.Int32
	// turn is held by the write running in the transaction.
	turn sync.Mutex
	// busy (nanoseconds holding turn), writes and transactions are counted
	// for WriterStats.
	busy, writes, transactions atomic.Int64

	// Guarded by turn: the open transaction and its group, if any.
	tx      *sql.Tx
	done    func() // ends the unsynced connection (beginUnsynced)
	group   *hotGroup
	inGroup int
	began   time.Time
}

// hotGroup is the outcome of one shared transaction, for every write in it.
type hotGroup struct {
	committed chan struct{} // closed once err is set
	err       error
}

func newHotWriter(s *Store) *hotWriter {
	return &hotWriter{maxWrites: defaultHotGroupWrites, maxAge: defaultHotGroupAge, begin: s.beginUnsynced}
}

// run runs fn in the shared transaction and returns once its group has
// committed (or fn failed, which rolls back fn's own work only). fn must
// not commit or roll back tx, and must be done with every statement and
// row it opened by the time it returns. It runs with ctx's values but not
// its cancellation: interrupting a statement can roll back the whole
// transaction, which holds other callers' writes too.
func (w *hotWriter) run(ctx context.Context, fn func(ctx context.Context, tx *sql.Tx) error) error {
	w.waiting.Add(1)
	w.turn.Lock()
	w.waiting.Add(-1)
	group, err := w.runTurn(context.WithoutCancel(ctx), fn)
	if err != nil {
		return err
	}
	select {
	case <-group.committed:
		return group.err
	case <-ctx.Done():
		// The write may still commit: as when a caller gives up after
		// its commit, before hearing of it.
		return ctx.Err()
	}
}

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
		w.tx, w.done, w.inGroup, w.began = tx, done, 0, time.Now()
		w.group = &hotGroup{committed: make(chan struct{})}
	}
	group := w.group
	w.inGroup++
	err := w.savepoint(ctx, fn)
	if w.tx != nil && (w.waiting.Load() == 0 || w.inGroup >= w.maxWrites || time.Since(w.began) >= w.maxAge) {
		w.end(w.tx.Commit())
	}
	if err != nil {
		return nil, err
	}
	return group, nil
}

// savepoint runs fn in a savepoint of the open transaction. If fn fails,
// its work is rolled back to the savepoint; if that cannot be done (SQLite
// rolls back the whole transaction after some errors, a full disk among
// them), the whole group fails.
func (w *hotWriter) savepoint(ctx context.Context, fn func(context.Context, *sql.Tx) error) error {
	if _, err := w.tx.ExecContext(ctx, "SAVEPOINT hot"); err != nil {
		w.end(fmt.Errorf("shared transaction: %w", err))
		return err
	}
	if err := fn(ctx, w.tx); err != nil {
		_, rbErr := w.tx.ExecContext(ctx, "ROLLBACK TO hot")
		if rbErr == nil {
			_, rbErr = w.tx.ExecContext(ctx, "RELEASE hot")
		}
		if rbErr != nil {
			w.end(fmt.Errorf("shared transaction: a write failed (%w) and could not be rolled back alone: %w", err, rbErr))
		}
		return err
	}
	if _, err := w.tx.ExecContext(ctx, "RELEASE hot"); err != nil {
		w.end(fmt.Errorf("shared transaction: %w", err))
		return err
	}
	return nil
}

// end closes the open transaction: committed if err is nil (err is then
// the commit's outcome), else rolled back, and tells its group.
func (w *hotWriter) end(err error) {
	if err != nil {
		if rbErr := w.tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			err = errors.Join(err, rbErr)
		}
	}
	w.done()
	w.transactions.Add(1)
	w.group.err = err
	close(w.group.committed)
	w.tx, w.done, w.group = nil, nil, nil
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
}

// WriterStats returns the writer's counts so far.
func (s *Store) WriterStats() WriterStats {
	w := s.hotWrites
	return WriterStats{Busy: time.Duration(w.busy.Load()), Writes: w.writes.Load(), Transactions: w.transactions.Load()}
}
