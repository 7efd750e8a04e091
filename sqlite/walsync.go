package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// walSyncer makes the hot write paths durable without holding the single
// writer through an fsync (group fsync, decoupled from the commit).
//
// A publish or an attempt record commits with synchronous=NORMAL (see
// beginUnsynced), which in WAL mode writes the transaction's frames to the
// log but does not fsync it, and frees the writer at once. The caller then
// waits, off the writer, for an fsync of the log that began after its
// commit returned: the frames were written before that fsync started, so it
// makes them durable, and the caller's acknowledgement (a 202, a recorded
// attempt) still means "on disk". One fsync serves every commit that
// returned before it began, while the writer goes on committing the next
// batches; with synchronous=FULL each commit held the writer for its own
// fsync, which on this kind of machine is 0.4-1 ms of a writer that is the
// node's bottleneck.
//
// Which fsync covers a commit is decided by the commit's sequence number
// (hotWriter's count of commits), not by when its caller asks: a round
// notes the count when its fsync begins, and covers every commit up to it.
// A caller that asks only after a round began (its goroutine woke late, or
// it was the second write of a shared transaction) joins that round if its
// commit is covered, rather than waiting for the next one.
//
// Frames are in the log before any fsync of it (SQLite writes them with
// pwrite before Commit returns), and SQLite itself syncs the log before a
// checkpoint copies it into the database, so the order SQLite needs on
// recovery holds; this only adds the fsyncs FULL would have made, later and
// fewer.
type walSyncer struct {
	// path is the write-ahead log: the database's path plus "-wal".
	path string
	// sync makes path durable; fsyncWAL, replaced in tests.
	sync func(path string) error
	// committed is the number of the last commit whose frames are in the
	// log (hotWriter.committed).
	committed func() int64

	// rounds counts the fsyncs, and syncing the time they took, for
	// WriterStats.
	rounds  atomic.Int64
	syncing atomic.Int64 // nanoseconds

	mu sync.Mutex
	// durable is the last commit a round that succeeded covered: a wait
	// for it or one before it has nothing to wait for.
	durable int64
	// running is the fsync under way, if any; next is the round that
	// waits not covered by it will have, started when it ends.
	running, next *syncRound
	closed        bool
	goroutines    sync.WaitGroup
}

// syncRound is one fsync of the log and the waits it answers.
type syncRound struct {
	// covers is the last commit whose frames were in the log when the
	// fsync began; set when the round starts.
	covers int64
	done   chan struct{} // closed once err is set
	err    error
}

// errWALSyncerClosed is what a wait after close gets.
var errWALSyncerClosed = errors.New("the log's syncer is closed")

func newWALSyncer(dbPath string, committed func() int64) *walSyncer {
	return newWALSyncerFunc(dbPath+"-wal", fsyncWAL, committed)
}

// newWALSyncerFunc makes a walSyncer of the log at path that syncs with
// sync, of the commits committed numbers. Close it when the store closes.
func newWALSyncerFunc(path string, sync func(path string) error, committed func() int64) *walSyncer {
	return &walSyncer{path: path, sync: sync, committed: committed}
}

// waitFor returns once an fsync that covers commit seq (a value of
// committed after that commit returned) has ended, with its error. Call it
// without holding the writer. If ctx ends first, waitFor returns ctx's
// error and the commit may or may not be durable yet.
func (w *walSyncer) waitFor(ctx context.Context, seq int64) error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return errWALSyncerClosed
	}
	var r *syncRound
	switch {
	case seq <= w.durable:
		// A round that began after the commit has ended already: the
		// writes of a shared transaction wake one by one, and one that
		// wakes late must not start an fsync of its own, nor wait for one.
		w.mu.Unlock()
		return nil
	case w.running == nil:
		r = &syncRound{done: make(chan struct{})}
		w.start(r)
	case w.running.covers >= seq:
		r = w.running
	default:
		if w.next == nil {
			w.next = &syncRound{done: make(chan struct{})}
		}
		r = w.next
	}
	w.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// start makes r the running round and runs it, then the rounds queued
// behind it. w.mu is held.
func (w *walSyncer) start(r *syncRound) {
	r.covers = w.committed()
	w.running = r
	w.goroutines.Add(1)
	go func() {
		defer w.goroutines.Done()
		for r != nil {
			began := time.Now()
			r.err = w.sync(w.path)
			w.syncing.Add(int64(time.Since(began)))
			w.rounds.Add(1)
			w.mu.Lock()
			if r.err == nil {
				w.durable = max(w.durable, r.covers)
			}
			close(r.done)
			r, w.next = w.next, nil
			if r != nil {
				r.covers = w.committed()
			}
			w.running = r
			w.mu.Unlock()
		}
	}()
}

// close refuses new waits and returns once the rounds under way and queued
// have run.
func (w *walSyncer) close() {
	w.mu.Lock()
	w.closed = true
	w.mu.Unlock()
	w.goroutines.Wait()
}

// fsyncWAL makes the file at path durable (syncData). The file is opened anew each time
// (read-write: Windows cannot flush a read-only handle) rather than kept
// open, so it is always the log SQLite writes now, even if it was
// recreated; an fsync covers a file's data whichever descriptor wrote it.
//
// A log that is gone is not an error: SQLite deletes it only when the last
// connection closes, after checkpointing it into the database and syncing
// that, so what it held is durable already.
func fsyncWAL(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	err = syncData(f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
