package main

import (
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/postgres"
)

// TestPgDumpCommandsRoundTrip runs the pg_dump line `herald backup` prints
// and the pg_restore line `herald restore` prints, into a new database, and
// finds the data there: the printed commands are the exact ones.
func TestPgDumpCommandsRoundTrip(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs pg_dump and pg_restore")
	}
	connURL := dbtest.NewPostgresSchema(t)
	for _, tool := range []string{"pg_dump", "pg_restore", "sh"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s is not installed", tool)
		}
	}
	ctx := t.Context()
	st, err := postgres.Open(ctx, &postgres.Config{URL: connURL})
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CustomerCreate(ctx, &herald.Customer{ID: "2187", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	_ = st.Close()

	u, err := url.Parse(connURL)
	if err != nil {
		t.Fatal(err)
	}
	password, _ := u.User.Password()
	// printed runs a command herald printed (the line after the blank
	// line, indented), with the password where the notes say to put it.
	printed := func(stdout string) {
		t.Helper()
		var line string
		for l := range strings.Lines(stdout) {
			if strings.HasPrefix(l, "    pg_") {
				line = strings.TrimSpace(l)
			}
		}
		if line == "" {
			t.Fatalf("no command in:\n%s", stdout)
		}
		cmd := exec.CommandContext(ctx, "sh", "-c", line)
		cmd.Env = append(os.Environ(), "PGPASSWORD="+password)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
	}

	dump := filepath.Join(t.TempDir(), "herald.dump")
	stdout, _ := runHerald(t, "backup", "--database", connURL, "--out", dump)
	printed(stdout)

	// A new, empty database on the same server.
	var b [6]byte
	_, _ = rand.Read(b[:])
	newDB := "herald_restore_" + hex.EncodeToString(b[:])
	admin, err := pgx.Connect(ctx, connURL)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+newDB); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		c, err := pgx.Connect(t.Context(), connURL)
		if err == nil {
			_, _ = c.Exec(t.Context(), "DROP DATABASE IF EXISTS "+newDB+" WITH (FORCE)")
			_ = c.Close(t.Context())
		}
	})
	ru := *u
	ru.Path = "/" + newDB
	stdout, _ = runHerald(t, "restore", "--database", ru.String(), "--from", dump)
	printed(stdout)

	st, err = postgres.Open(ctx, &postgres.Config{URL: ru.String()})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.CustomerGet(ctx, "2187"); err != nil {
		t.Fatalf("customer after pg_dump and pg_restore: %v", err)
	}
}
