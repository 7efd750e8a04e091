package walvfs_test

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/heraldhq/herald/internal/walvfs"
)

// open opens path in WAL mode with synchronous=NORMAL (no sync at commit,
// as Herald's hot writes commit), through the VFS if viaVFS.
func open(t *testing.T, path string, viaVFS bool, pragmas ...string) *sql.DB {
	t.Helper()
	if err := walvfs.Register(); err != nil {
		t.Fatal(err)
	}
	q := []string{"_pragma=journal_mode(WAL)", "_pragma=synchronous(NORMAL)", "_pragma=busy_timeout(5000)"}
	for _, p := range pragmas {
		q = append(q, "_pragma="+p)
	}
	if viaVFS {
		q = append(q, "vfs="+walvfs.Name)
	}
	db, err := sql.Open("sqlite", path+"?"+strings.Join(q, "&"))
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	return db
}

func exec(t *testing.T, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// commitRows inserts n rows of size bytes each from first on in one
// transaction, each into its own region of an index so that the commit
// writes many pages.
func commitRows(t *testing.T, db *sql.DB, first, n, size int) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := first; i < first+n; i++ {
		if _, err := tx.Exec(`INSERT INTO t (id, k, body) VALUES (?, ?, ?)`, i, fmt.Sprintf("%03d-%d", i%97, i), strings.Repeat("x", size)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func count(t *testing.T, db *sql.DB) (rows, bytes int) {
	t.Helper()
	if err := db.QueryRow(`SELECT count(*), coalesce(sum(length(body)), 0) FROM t`).Scan(&rows, &bytes); err != nil {
		t.Fatal(err)
	}
	return rows, bytes
}

// A commit's frames reach the log in a few writes, and before the commit
// returns: a reader that does not use the VFS (another process, say) sees
// every commit at once and whole.
func TestCommitsAreWrittenWholeBeforeTheyReturn(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	w := open(t, path, true, "wal_autocheckpoint(0)")
	exec(t, w, `CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, body TEXT NOT NULL)`)
	exec(t, w, `CREATE INDEX t_k ON t (k)`)
	r := open(t, path, false)

	asked0, made0 := walvfs.Stats()
	rows := 0
	for i := range 40 {
		n := 1 + i*5
		commitRows(t, w, rows, n, 300)
		rows += n
		if held := walvfs.Holding(); held != 0 {
			// SQLite would then write its frames some other way than a
			// 24-byte header and a page (fileWrite): only the barrier's
			// safety net would keep readers right, and a failed write
			// could no longer fail the commit.
			t.Fatalf("after commit %d, %d logs still hold bytes", i, held)
		}
		if got, bytes := count(t, r); got != rows || bytes != rows*300 {
			t.Fatalf("after commit %d a reader of the plain VFS sees %d rows (%d bytes), want %d", i, got, bytes, rows)
		}
	}
	asked, made := walvfs.Stats()
	asked, made = asked-asked0, made-made0
	t.Logf("%d writes asked, %d made", asked, made)
	if made == 0 || made*4 > asked {
		t.Errorf("%d writes asked, %d made: want a quarter or fewer", asked, made)
	}
}

// A transaction larger than the buffer, and than one write of the unix VFS
// (128 KiB), commits whole.
func TestLargeCommits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db")
	w := open(t, path, true, "wal_autocheckpoint(0)")
	exec(t, w, `CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, body TEXT NOT NULL)`)
	exec(t, w, `CREATE INDEX t_k ON t (k)`)
	commitRows(t, w, 0, 3000, 1000) // about 3 MB: several buffers
	commitRows(t, w, 3000, 1, 10)
	if got, _ := count(t, open(t, path, false)); got != 3001 {
		t.Fatalf("%d rows, want 3001", got)
	}
}

// What the log file holds on disk when the process stops without a
// checkpoint (a copy of the files, as a kill -9 leaves them) recovers every
// commit through the plain VFS, which checks each frame's checksum.
func TestTheLogOnDiskRecoversEveryCommit(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	w := open(t, path, true, "wal_autocheckpoint(0)")
	exec(t, w, `CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, body TEXT NOT NULL)`)
	exec(t, w, `CREATE INDEX t_k ON t (k)`)
	rows := 0
	for i := range 30 {
		commitRows(t, w, rows, 10+i, 200)
		rows += 10 + i
	}
	copied := filepath.Join(t.TempDir(), "db")
	for _, suffix := range []string{"", "-wal"} {
		copyFile(t, path+suffix, copied+suffix)
	}
	r := open(t, copied, false)
	if got, bytes := count(t, r); got != rows || bytes != rows*200 {
		t.Fatalf("recovered %d rows (%d bytes), want %d", got, bytes, rows)
	}
	var check string
	if err := r.QueryRow(`PRAGMA integrity_check`).Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check: %q, %v", check, err)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	src, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		t.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		t.Fatal(err)
	}
}
