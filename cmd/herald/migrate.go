package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/sqlite"
)

// runMigrate is `herald migrate`: apply the schema migrations and exit, for
// operators who upgrade the database before rolling out new nodes. serve
// applies them at start too; both are safe to run concurrently.
func runMigrate(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("migrate", stderr)
	dataDir := fs.String("data", envDefault("HERALD_DATA", "./herald-data"), "data directory holding the SQLite database (HERALD_DATA)")
	database := fs.String("database", envDefault("HERALD_DATABASE", ""), "empty for SQLite in --data, or postgres://... (HERALD_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	// Opening a store checks that its secrets open with the key.
	secrets, err := encryptionKeys()
	if err != nil {
		return err
	}
	switch {
	case *database == "" || strings.HasPrefix(*database, "sqlite:"):
		path := filepath.Join(*dataDir, "herald.db")
		if p, ok := strings.CutPrefix(*database, "sqlite:"); ok && p != "" {
			path = p
		}
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
		// Open applies pending migrations in one transaction.
		st, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Logger: logger, Secrets: secrets})
		if err != nil {
			return fmt.Errorf("migrate sqlite: %w", err)
		}
		defer st.Close()
		fmt.Fprintf(stdout, "SQLite database %s is up to date\n", path)
	case isPostgres(*database):
		// Open applies pending migrations under an advisory lock, so
		// nodes starting together do not race.
		st, err := postgres.Open(ctx, &postgres.Config{URL: *database, Logger: logger, Secrets: secrets})
		if err != nil {
			return fmt.Errorf("migrate postgres: %w", err)
		}
		defer st.Close()
		fmt.Fprintln(stdout, "PostgreSQL database is up to date")
	default:
		return usagef("--database must be empty (SQLite in --data), sqlite:PATH or postgres://...")
	}
	return nil
}
