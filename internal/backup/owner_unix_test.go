//go:build unix

package backup

import (
	"database/sql"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// newDatabase makes a minimal Herald-shaped database: schema_migrations
// recording version 1.
func newDatabase(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, stmt := range []string{
		`CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`,
		`INSERT INTO schema_migrations VALUES (1, 0)`,
	} {
		if _, err := db.ExecContext(t.Context(), stmt); err != nil {
			t.Fatal(err)
		}
	}
}

// TestRestoreKeepsTheOwner: restoring as root over a database another user
// owns (the service's) leaves a file that user owns.
func TestRestoreKeepsTheOwner(t *testing.T) {
	t.Parallel()
	if os.Getuid() != 0 {
		t.Skip("needs root to give files away")
	}
	const uid, gid = 65532, 65532
	dir := t.TempDir()
	target := filepath.Join(dir, "herald.db")
	newDatabase(t, target)
	if err := os.Chown(target, uid, gid); err != nil {
		t.Fatal(err)
	}
	from := filepath.Join(t.TempDir(), "backup.db")
	newDatabase(t, from)

	res, err := Restore(t.Context(), from, target, []int{1}, nil)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(target)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if st.Uid != uid || st.Gid != gid {
		t.Errorf("restored file owned by %d:%d, want %d:%d", st.Uid, st.Gid, uid, gid)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("restored file mode %v, want 0600", fi.Mode().Perm())
	}
	if res.Replaced == "" {
		t.Error("no replaced database reported")
	}
}
