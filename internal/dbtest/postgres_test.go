package dbtest

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

func TestNewPostgresSchema(t *testing.T) {
	t.Parallel()
	ctx := t.Context()

	var schema string
	t.Run("Isolated", func(t *testing.T) {
		connURL := NewPostgresSchema(t)
		conn, err := pgx.Connect(ctx, connURL)
		if err != nil {
			t.Fatalf("connect: %v", err)
		}
		defer func() { _ = conn.Close(context.Background()) }()
		if err := conn.QueryRow(ctx, "SELECT current_schema()").Scan(&schema); err != nil {
			t.Fatalf("current_schema: %v", err)
		}
		if schema == "" || schema == "public" {
			t.Fatalf("current_schema = %q, want the test schema", schema)
		}
		// An unqualified table lands in the test schema.
		if _, err := conn.Exec(ctx, "CREATE TABLE t (id int)"); err != nil {
			t.Fatalf("create table: %v", err)
		}
		var n int
		err = conn.QueryRow(ctx, "SELECT count(*) FROM pg_tables WHERE schemaname = $1 AND tablename = 't'", schema).Scan(&n)
		if err != nil || n != 1 {
			t.Fatalf("table in test schema: n = %d, err = %v", n, err)
		}
	})
	if schema == "" {
		return // skipped: no server
	}

	// The subtest's cleanup has dropped the schema.
	conn, err := pgx.Connect(ctx, os.Getenv(EnvTestDatabaseURL))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer func() { _ = conn.Close(context.Background()) }()
	var n int
	if err := conn.QueryRow(ctx, "SELECT count(*) FROM pg_namespace WHERE nspname = $1", schema).Scan(&n); err != nil {
		t.Fatalf("look for schema: %v", err)
	}
	if n != 0 {
		t.Fatalf("schema %s still exists after the test", schema)
	}
}
