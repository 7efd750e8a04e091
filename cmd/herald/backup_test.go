package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/internal/backup"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

// runHerald runs one herald command in-process and returns its stdout and
// error.
func runHerald(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), args, strings.NewReader(""), &out, t.Output())
	return out.String(), err
}

// TestBackupWhilePublishing takes a backup while clients publish to a
// running node, and checks that every event acknowledged (202, so
// committed) before the backup started is in it, and that the backup opens
// as a store.
// Not parallel: startServe sets the admin token in the environment.
func TestBackupWhilePublishing(t *testing.T) {
	dataDir := t.TempDir()
	base := startServe(t, "--data", dataDir)
	partner := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(partner.Close)
	c := api.NewClient(base, testAdminToken, nil)
	ctx := t.Context()
	if _, err := c.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "6269", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EndpointCreate(ctx, "6269", &api.EndpointCreateRequest{
		URL: partner.URL + "/icims", EventTypes: []wire.EventType{wire.EventTypeWorkFlowStatusChange},
		Auth: &api.AuthRequest{Type: "basic", Username: "acme", Password: "correct-horse-battery"},
	}); err != nil {
		t.Fatal(err)
	}

	// Publishers run until the backup is done (at most maxEvents).
	const publishers, maxEvents = 4, 4000
	var (
		mu      sync.Mutex
		acked   []string
		pubErr  error
		enough  = make(chan struct{})
		stopPub = make(chan struct{})
		wg      sync.WaitGroup
	)
	for p := range publishers {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stopPub:
					return
				default:
				}
				res, err := c.EventPublish(ctx, "6269", &api.EventPublishRequest{EventParams: wire.EventParams{
					EventType: wire.EventTypeWorkFlowStatusChange, SystemID: fmt.Sprintf("%d-%d", p, i),
					PersonID: "9166", UserID: "1239", JobID: "1385", OldStatus: "1753", NewStatus: "20786",
				}})
				mu.Lock()
				if err != nil {
					pubErr = err
					mu.Unlock()
					return
				}
				acked = append(acked, res.ID)
				n := len(acked)
				mu.Unlock()
				if n == 200 {
					close(enough)
				}
				if n >= maxEvents {
					return
				}
			}
		})
	}
	pubDone := make(chan struct{})
	go func() { wg.Wait(); close(pubDone) }()
	select {
	case <-enough:
	case <-pubDone:
		t.Fatalf("publishers stopped early (%d events): %v", len(acked), pubErr)
	case <-time.After(60 * time.Second):
		close(stopPub)
		<-pubDone
		t.Fatalf("200 events were not published within a minute (%d; publish error: %v)", len(acked), pubErr)
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()

	out := filepath.Join(t.TempDir(), "herald-backup.db")
	stdout, err := runHerald(t, "backup", "--data", dataDir, "--out", out)
	close(stopPub)
	<-pubDone
	if err != nil {
		t.Fatalf("backup while publishing: %v", err)
	}
	if pubErr != nil {
		t.Fatalf("publish: %v", pubErr)
	}
	if !strings.Contains(stdout, "wrote "+out) {
		t.Errorf("backup said %q, want it to name %s", stdout, out)
	}
	mu.Lock()
	total := len(acked)
	mu.Unlock()
	t.Logf("%d events acknowledged before the backup, %d in all", len(before), total)

	st, err := sqlite.Open(ctx, &sqlite.Config{Path: out})
	if err != nil {
		t.Fatalf("open the backup: %v", err)
	}
	defer st.Close()
	for i, id := range before {
		ev, err := st.EventGet(ctx, id)
		if err != nil {
			t.Fatalf("event %s, acknowledged before the backup began, is not in it: %v", id, err)
		}
		// The copy answers the explorer's searches as the original did.
		if i%10 != 0 {
			continue
		}
		systemID, _ := herald.EventSearchKeys(ev)
		res, err := st.DeliveryList(ctx, &herald.DeliveryListParams{CustomerID: "6269", SystemID: systemID})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Deliveries) != 1 || res.Deliveries[0].EventID != id {
			t.Fatalf("the backup's search by systemId %q found %d deliveries, want event %s's one", systemID, len(res.Deliveries), id)
		}
	}
}

// newTestDatabase makes a SQLite database in dir/herald.db holding one
// customer with the given ID.
func newTestDatabase(t *testing.T, dir, customerID string) string {
	t.Helper()
	path := filepath.Join(dir, "herald.db")
	st, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CustomerCreate(t.Context(), &herald.Customer{ID: customerID, Name: "Customer " + customerID}); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestBackupRefusesToOverwrite(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	newTestDatabase(t, dataDir, "2187")
	out := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(out, []byte("keep me"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runHerald(t, "backup", "--data", dataDir, "--out", out)
	if !errors.Is(err, backup.ErrExists) || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("backup over an existing file: %v, want ErrExists naming --force", err)
	}
	if b, _ := os.ReadFile(out); string(b) != "keep me" {
		t.Fatalf("the existing file was changed to %d bytes", len(b))
	}
	if _, err := runHerald(t, "backup", "--data", dataDir, "--out", out, "--force"); err != nil {
		t.Fatalf("backup --force: %v", err)
	}
	fi, err := os.Stat(out)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("backup file mode %v, want 0600", fi.Mode().Perm())
	}
	// Nothing but the backup is left beside it.
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 1 {
		t.Errorf("backup directory holds %d files, want only the backup", len(entries))
	}

	// Not even --force writes the backup over the database itself.
	db := filepath.Join(dataDir, "herald.db")
	sum := sha256File(t, db)
	if _, err := runHerald(t, "backup", "--data", dataDir, "--out", db, "--force"); err == nil {
		t.Error("backup over the database itself succeeded")
	}
	if sha256File(t, db) != sum {
		t.Error("backup over the database itself changed it")
	}

	for _, tc := range []struct {
		name string
		args []string
	}{
		{"no --out", []string{"backup", "--data", dataDir}},
		{"bad database", []string{"backup", "--database", "mysql://x", "--out", out + "2"}},
	} {
		var ue *usageError
		if _, err := runHerald(t, tc.args...); !errors.As(err, &ue) {
			t.Errorf("%s: %v, want a usage error", tc.name, err)
		}
	}
	// A missing database is not created by backing it up.
	empty := t.TempDir()
	if _, err := runHerald(t, "backup", "--data", empty, "--out", out+"3"); err == nil {
		t.Error("backup of a missing database succeeded")
	}
	if _, err := os.Stat(filepath.Join(empty, "herald.db")); err == nil {
		t.Error("backup created the database it was asked to copy")
	}
}

// TestBackupPostgresNamesPgDump: for PostgreSQL, backup and restore print
// the pg_dump and pg_restore commands, without the password, and exit 1.
func TestBackupPostgresNamesPgDump(t *testing.T) {
	t.Parallel()
	url := "postgres://herald:hunter2-secret@db.example:5432/herald?sslmode=require&pool_max_conns=20&search_path=herald_prod"
	stdout, err := runHerald(t, "backup", "--database", url, "--out", "/backup/herald.dump")
	if err == nil || exitCode(err, &bytes.Buffer{}) != 1 {
		t.Fatalf("backup on PostgreSQL: %v, want exit 1", err)
	}
	want := "pg_dump --format=custom --file=/backup/herald.dump --schema=herald_prod --dbname='postgres://herald@db.example:5432/herald?sslmode=require'"
	if !strings.Contains(stdout, want) {
		t.Errorf("backup said:\n%s\nwant the command\n%s", stdout, want)
	}
	if strings.Contains(stdout, "hunter2") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("backup printed the password:\n%s\n%v", stdout, err)
	}
	if !strings.Contains(stdout, "PGPASSWORD") {
		t.Errorf("backup did not say where the password goes:\n%s", stdout)
	}

	stdout, err = runHerald(t, "restore", "--database", url, "--from", "/backup/herald.dump")
	if err == nil {
		t.Fatal("restore on PostgreSQL succeeded")
	}
	if want := "pg_restore --no-owner --exit-on-error --dbname='postgres://herald@db.example:5432/herald?sslmode=require' /backup/herald.dump"; !strings.Contains(stdout, want) {
		t.Errorf("restore said:\n%s\nwant the command\n%s", stdout, want)
	}
	if strings.Contains(stdout, "hunter2") {
		t.Errorf("restore printed the password:\n%s", stdout)
	}
}

// TestRestore restores a backup over a database that moved on since, and
// checks the restored state and that the replaced database is kept.
func TestRestore(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	dataDir := t.TempDir()
	path := newTestDatabase(t, dataDir, "2187")
	out := filepath.Join(t.TempDir(), "backup.db")
	if _, err := runHerald(t, "backup", "--data", dataDir, "--out", out); err != nil {
		t.Fatal(err)
	}
	// After the backup: a second customer.
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CustomerCreate(ctx, &herald.Customer{ID: "6269", Name: "Later"}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	stdout, err := runHerald(t, "restore", "--data", dataDir, "--from", out)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(stdout, "restored "+out) || !strings.Contains(stdout, "herald.db.replaced-") {
		t.Errorf("restore said %q, want the file restored and where the old database went", stdout)
	}
	st, err = sqlite.Open(ctx, &sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CustomerGet(ctx, "2187"); err != nil {
		t.Errorf("customer from the backup: %v", err)
	}
	if _, err := st.CustomerGet(ctx, "6269"); herald.ErrorCode(err) != herald.ENOTFOUND {
		t.Errorf("customer created after the backup: %v, want not found", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("restored database mode %v, want 0600", fi.Mode().Perm())
	}
	// The replaced database is kept, whole, with the later customer.
	replaced, _ := filepath.Glob(path + ".replaced-*")
	var dbs []string
	for _, r := range replaced {
		if !strings.HasSuffix(r, "-wal") && !strings.HasSuffix(r, "-shm") {
			dbs = append(dbs, r)
		}
	}
	if len(dbs) != 1 {
		t.Fatalf("replaced databases %v, want one", replaced)
	}
	old, err := sqlite.Open(ctx, &sqlite.Config{Path: dbs[0]})
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if _, err := old.CustomerGet(ctx, "6269"); err != nil {
		t.Errorf("the replaced database lost the later customer: %v", err)
	}
}

// TestRestoreRefuses: a file that is not a sound Herald database of a
// schema this binary knows is refused, and the database stays as it was.
func TestRestoreRefuses(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	src := t.TempDir()
	newTestDatabase(t, src, "2187")
	good := filepath.Join(t.TempDir(), "good.db")
	if _, err := runHerald(t, "backup", "--data", src, "--out", good); err != nil {
		t.Fatal(err)
	}
	goodBytes, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(files, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// A backup with a migration this binary does not have.
	newer := write("newer.db", goodBytes)
	st, err := sqlite.Open(ctx, &sqlite.Config{Path: newer})
	if err != nil {
		t.Fatal(err)
	}
	_ = st.Close()
	execSQL(t, newer, `INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0)`)
	// Pages overwritten in the middle: the header and schema survive,
	// the tables do not.
	damaged := bytes.Clone(goodBytes)
	for i := len(damaged) / 4; i < len(damaged)*3/4; i++ {
		damaged[i] = 0xa5
	}
	// A database that is not Herald's.
	other := filepath.Join(files, "other.db")
	execSQL(t, other, `CREATE TABLE notes (body TEXT)`)

	for _, tc := range []struct {
		name string
		from string
		want error
	}{
		{"random bytes", write("random.db", bytes.Repeat([]byte("not a database "), 512)), backup.ErrCorrupt},
		{"damaged pages", write("damaged.db", damaged), backup.ErrCorrupt},
		{"truncated", write("truncated.db", goodBytes[:len(goodBytes)/3]), backup.ErrCorrupt},
		{"not Herald's", other, backup.ErrNotHerald},
		{"newer schema", newer, backup.ErrNewerSchema},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dataDir := t.TempDir()
			path := newTestDatabase(t, dataDir, "6269")
			sum := sha256File(t, path)
			_, err := runHerald(t, "restore", "--data", dataDir, "--from", tc.from)
			if !errors.Is(err, tc.want) {
				t.Fatalf("restore: %v, want %v", err, tc.want)
			}
			if sha256File(t, path) != sum {
				t.Error("the refused restore changed the database")
			}
			entries, _ := os.ReadDir(dataDir)
			for _, e := range entries {
				if e.Name() != "herald.db" && e.Name() != "herald.lock" {
					t.Errorf("the refused restore left %s in the data directory", e.Name())
				}
			}
		})
	}
	if _, err := runHerald(t, "restore", "--data", t.TempDir(), "--from", filepath.Join(files, "missing.db")); err == nil {
		t.Error("restore from a missing file succeeded")
	}
}

// TestRestoreRefusesWhileServing: the data directory's lock keeps restore
// from replacing a database a node has open.
// Not parallel: startServe sets the admin token in the environment.
func TestRestoreRefusesWhileServing(t *testing.T) {
	dataDir := t.TempDir()
	startServe(t, "--data", dataDir)
	out := filepath.Join(t.TempDir(), "backup.db")
	if _, err := runHerald(t, "backup", "--data", dataDir, "--out", out); err != nil {
		t.Fatal(err)
	}
	sum := sha256File(t, filepath.Join(dataDir, "herald.db"))
	_, err := runHerald(t, "restore", "--data", dataDir, "--from", out)
	if err == nil || !strings.Contains(err.Error(), "stop Herald") {
		t.Fatalf("restore while serving: %v, want a refusal saying to stop Herald", err)
	}
	if sha256File(t, filepath.Join(dataDir, "herald.db")) != sum {
		t.Error("the refused restore changed the database")
	}
}

// execSQL runs one statement on the SQLite file at path through the
// sqlite3 driver the store uses.
func execSQL(t *testing.T, path, stmt string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.ExecContext(context.Background(), stmt); err != nil {
		t.Fatalf("%s: %v", stmt, err)
	}
}

func sha256File(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}
