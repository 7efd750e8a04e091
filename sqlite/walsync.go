package sqlite

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/heraldhq/herald/internal/groupcommit"
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
	// rounds is the group commit (internal/groupcommit) whose commit is
	// one fsync: a wait that arrives while an fsync runs is queued for the
	// next one, so the fsync that answers it began after it arrived.
	rounds *groupcommit.Batcher[struct{}, struct{}]
}

func newWALSyncer(dbPath string) *walSyncer {
	return newWALSyncerFunc(dbPath+"-wal", fsyncWAL)
}

// newWALSyncerFunc makes a walSyncer of the log at path that syncs with
// sync. Close it when the store closes.
func newWALSyncerFunc(path string, sync func(path string) error) *walSyncer {
	w := &walSyncer{path: path, sync: sync}
	w.rounds = groupcommit.New(groupcommit.Config[struct{}, struct{}]{
		CommitFunc: func(_ context.Context, waits []struct{}) ([]struct{}, error) {
			return make([]struct{}, len(waits)), w.sync(w.path)
		},
		// A failed fsync fails every commit it was to cover alike.
		SplitFunc: func(error) bool { return false },
		MaxBatch:  1024,
		Workers:   1,
	})
	return w
}

// wait returns once an fsync of the log that began after the call has
// ended, with its error. Call it after the commit to be made durable has
// returned, and without holding the writer. If ctx ends first, wait returns
// ctx's error and the commit may or may not be durable yet.
func (w *walSyncer) wait(ctx context.Context) error {
	_, err := w.rounds.Do(ctx, struct{}{})
	return err
}

// close ends the rounds once the ones queued have run.
func (w *walSyncer) close() { w.rounds.Close() }

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
