package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"sync"
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

	mu sync.Mutex
	// running is the round whose fsync is under way (nil: none); next is
	// the round that starts when it ends, which every wait that arrives
	// meanwhile joins (nil: nobody waits for one yet).
	running, next *syncRound
}

// syncRound is one fsync of the log and those waiting for it.
type syncRound struct {
	done chan struct{}
	err  error
}

func newWALSyncer(dbPath string) *walSyncer {
	return &walSyncer{path: dbPath + "-wal", sync: fsyncWAL}
}

// wait returns once an fsync of the log that began after the call has
// ended, with its error. Call it after the commit to be made durable has
// returned, and without holding the writer. If ctx ends first, wait returns
// ctx's error and the commit may or may not be durable yet.
func (w *walSyncer) wait(ctx context.Context) error {
	w.mu.Lock()
	r := w.next
	if r == nil {
		r = &syncRound{done: make(chan struct{})}
		w.next = r
	}
	if w.running == nil {
		w.start()
	}
	w.mu.Unlock()
	select {
	case <-r.done:
		return r.err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// start runs w.next, with w.mu held and no round running.
func (w *walSyncer) start() {
	r := w.next
	w.running, w.next = r, nil
	go w.run(r)
}

// run makes one fsync for r, then starts the round that gathered meanwhile.
func (w *walSyncer) run(r *syncRound) {
	r.err = w.sync(w.path)
	close(r.done)
	w.mu.Lock()
	w.running = nil
	if w.next != nil {
		w.start()
	}
	w.mu.Unlock()
}

// fsyncWAL fsyncs the file at path. The file is opened anew each time
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
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
