package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/heraldhq/herald/internal/secretbox"
	"github.com/heraldhq/herald/postgres"
	"github.com/heraldhq/herald/sqlite"
)

// runRotateEncryptionKey is `herald rotate-encryption-key`: it seals every
// stored endpoint secret again with the new key, in one transaction, and
// exits. The old key (HERALD_ENCRYPTION_KEY, empty while secrets are still
// plain text) opens what is stored; the new one
// (HERALD_NEW_ENCRYPTION_KEY) seals it. Afterwards start Herald with
// HERALD_ENCRYPTION_KEY set to the new key.
//
// The keys come from the environment only, never flags: a flag's value is
// visible to every user of the machine in the process list.
func runRotateEncryptionKey(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("rotate-encryption-key", stderr)
	dataDir := fs.String("data", envDefault("HERALD_DATA", "./herald-data"), "data directory holding the SQLite database (HERALD_DATA)")
	database := fs.String("database", envDefault("HERALD_DATABASE", ""), "empty for SQLite in --data, sqlite:PATH, or postgres://... (HERALD_DATABASE)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	newKey := strings.TrimSpace(os.Getenv("HERALD_NEW_ENCRYPTION_KEY"))
	if newKey == "" {
		return usagef("HERALD_NEW_ENCRYPTION_KEY is required: the key to seal with (openssl rand -base64 32)")
	}
	// The new keyring: the new key seals; the current and any older keys
	// only open.
	old := os.Getenv("HERALD_ENCRYPTION_KEY")
	if o := os.Getenv("HERALD_ENCRYPTION_OLD_KEYS"); o != "" {
		old = strings.Trim(old+","+o, ",")
	}
	keys, err := keyring(newKey, old)
	if err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	type resealer interface {
		SecretsReseal(ctx context.Context) (int, error)
		Close() error
	}
	var st resealer
	switch {
	case *database == "" || strings.HasPrefix(*database, "sqlite:"):
		// A serve running on this database holds the lock: SQLite has
		// one process, and it would keep reading with the old key.
		if err := os.MkdirAll(*dataDir, 0o700); err != nil {
			return fmt.Errorf("create data directory: %w", err)
		}
		unlock, err := lockDataDir(*dataDir)
		if err != nil {
			return err
		}
		defer func() { _ = unlock() }()
		path := filepath.Join(*dataDir, "herald.db")
		if p, ok := strings.CutPrefix(*database, "sqlite:"); ok && p != "" {
			path = p
		}
		s, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Logger: logger, Secrets: keys})
		if err != nil {
			return fmt.Errorf("rotate encryption key: %w", err)
		}
		st = s
	case isPostgres(*database):
		s, err := postgres.Open(ctx, &postgres.Config{URL: *database, Logger: logger, Secrets: keys})
		if err != nil {
			return fmt.Errorf("rotate encryption key: %w", err)
		}
		st = s
	default:
		return usagef("--database must be empty (SQLite in --data), sqlite:PATH or postgres://...")
	}
	defer st.Close()
	n, err := st.SecretsReseal(ctx)
	if err != nil {
		return fmt.Errorf("rotate encryption key: %w", err)
	}
	primary, _ := secretbox.ParseKey(newKey)
	fmt.Fprintf(stdout, "sealed the secrets of %d endpoints with key %s; start Herald with HERALD_ENCRYPTION_KEY set to the new key\n", n, primary.ID())
	return nil
}
