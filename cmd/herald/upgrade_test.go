package main

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/wire"
)

// TestServeRunsOnANewerSchema is the README's rolling-upgrade promise seen
// from the old side: a node whose binary lacks the newest migration (here,
// this binary, with a made-up migration 9999 of the expand-only kind the
// README allows: a table, a column with a default, an index) starts on the
// newer schema without refusing or undoing it, and delivers.
// Not parallel: startServe sets the admin token in the environment.
func TestServeRunsOnANewerSchema(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a node on each store")
	}
	t.Run("sqlite", func(t *testing.T) {
		dir := t.TempDir()
		if _, err := runHerald(t, "migrate", "--data", dir); err != nil {
			t.Fatal(err)
		}
		db, err := sql.Open("sqlite", filepath.Join(dir, "herald.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.ExecContext(t.Context(), `
			CREATE TABLE future_things (id TEXT PRIMARY KEY) STRICT;
			ALTER TABLE events ADD COLUMN future_note TEXT NOT NULL DEFAULT '';
			CREATE INDEX events_future_note ON events (future_note);
			INSERT INTO schema_migrations (version, applied_at) VALUES (9999, 0);`); err != nil {
			t.Fatal(err)
		}
		deliverOne(t, startServe(t, "--data", dir))
		var n int
		if err := db.QueryRowContext(t.Context(), `SELECT count(*) FROM schema_migrations WHERE version = 9999`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("migration 9999 after the older node ran: %d rows, %v", n, err)
		}
	})
	t.Run("postgres", func(t *testing.T) {
		connURL := dbtest.NewPostgresSchema(t)
		if _, err := runHerald(t, "migrate", "--database", connURL); err != nil {
			t.Fatal(err)
		}
		conn, err := pgx.Connect(t.Context(), connURL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(t.Context())
		if _, err := conn.Exec(t.Context(), `
			CREATE TABLE future_things (id text PRIMARY KEY);
			ALTER TABLE events ADD COLUMN future_note text NOT NULL DEFAULT '';
			CREATE INDEX events_future_note ON events (future_note);
			INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, '9999_future.sql', now());`); err != nil {
			t.Fatal(err)
		}
		deliverOne(t, startServe(t, "--database", connURL))
		var n int
		if err := conn.QueryRow(t.Context(), `SELECT count(*) FROM schema_migrations WHERE version = 9999`).Scan(&n); err != nil || n != 1 {
			t.Fatalf("migration 9999 after the older node ran: %d rows, %v", n, err)
		}
	})
}

// deliverOne creates a customer and an endpoint on the node at base,
// publishes one event, and waits for the partner to get it.
func deliverOne(t *testing.T, base string) {
	t.Helper()
	rc, partner := newReceiver(t)
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
	res, err := c.EventPublish(ctx, "6269", &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeWorkFlowStatusChange, SystemID: "12391385", PersonID: "9166",
		UserID: "1239", JobID: "1385", OldStatus: "1753", NewStatus: "20786",
	}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case id := <-rc.got:
		if id != res.ID {
			t.Fatalf("partner got event %q, want %q", id, res.ID)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the partner never got the event")
	}
}
