package sqlite

import (
	"os"
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/dbtest"
)

// The log is copied into the database by the checkpointer, not by the
// writer: after writes well below the writer's own checkpoint threshold,
// the database file grows (in WAL mode only a checkpoint writes to it).
func TestCheckpointerCopiesTheLogOffTheWriter(t *testing.T) {
	t.Parallel()
	path := dbtest.NewSQLitePath(t)
	s, err := Open(t.Context(), &Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	ctx := t.Context()
	if _, err := s.write.ExecContext(ctx, `CREATE TABLE blobs (b BLOB NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	before := fileSize(t, path)
	// About 2,000 pages, a fifth of writerCheckpointPages.
	const rows = 2000
	if _, err := s.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
		INSERT INTO blobs (b) SELECT randomblob(4000) FROM n`, rows); err != nil {
		t.Fatal(err)
	}
	want := before + rows*4000
	deadline := time.Now().Add(20 * checkpointInterval)
	for fileSize(t, path) < want {
		if time.Now().After(deadline) {
			t.Fatalf("database file is %d bytes %v after the writes, want at least %d: the log was not checkpointed",
				fileSize(t, path), 20*checkpointInterval, want)
		}
		time.Sleep(checkpointInterval / 4)
	}
}

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
