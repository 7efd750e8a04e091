package dbtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvTestDatabaseURL names the variable that points the tests at a
// PostgreSQL server. scripts/pgtest.sh start prints it.
const EnvTestDatabaseURL = "TEST_DATABASE_URL"

// NewPostgresSchema creates a schema with a random name in the database at
// TEST_DATABASE_URL and returns a connection URL whose search_path is that
// schema, so a Store opened on it migrates and works there alone. The schema
// is dropped when the test ends. Each test gets its own schema, so
// PostgreSQL tests run in parallel without seeing each other's rows, the way
// River's riverdbtest.TestSchema isolates its tests.
//
// Without TEST_DATABASE_URL the test is skipped, except in CI (CI set), where
// PostgreSQL tests must never skip silently, so it fails instead.
func NewPostgresSchema(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvTestDatabaseURL)
	if base == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("TEST_DATABASE_URL must be set in CI: PostgreSQL tests never skip there")
		}
		t.Skip("PostgreSQL tests skipped: TEST_DATABASE_URL is not set. `make test` starts a " +
			"throw-away server, or run `eval \"$(scripts/pgtest.sh start)\"` first")
	}

	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+).
	// A random name, not one derived from t.Name(): names must be unique
	// across packages running at once against one server, and a leftover
	// schema from a killed run must not collide with a new one.
	schema := "herald_test_" + hex.EncodeToString(b[:])

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := execPostgres(ctx, base, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		// t.Context() is already cancelled when cleanups run, so the
		// drop gets its own bounded context.
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := execPostgres(ctx, base, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop test schema: %v", err)
		}
	})

	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", EnvTestDatabaseURL, err)
	}
	q := u.Query()
	// pgx sends unknown URL parameters as run-time parameters in the
	// startup message, so every connection of a pool starts with this
	// search_path: unqualified table names resolve to the test schema.
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// execPostgres runs one statement on a connection of its own.
func execPostgres(ctx context.Context, connURL, sql string) error {
	conn, err := pgx.Connect(ctx, connURL)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}
