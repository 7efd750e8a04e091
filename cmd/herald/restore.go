package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/heraldhq/herald/internal/backup"
	"github.com/heraldhq/herald/sqlite"
)

// runRestore is `herald restore`: replace the SQLite database with a
// backup, after checking the backup, while no Herald runs on the data
// directory. For PostgreSQL it prints the pg_restore command and exits 1.
func runRestore(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("restore", stderr)
	dataDir := fs.String("data", envDefault("HERALD_DATA", "./herald-data"), "data directory holding the SQLite database (HERALD_DATA)")
	database := fs.String("database", envDefault("HERALD_DATABASE", ""), "empty for SQLite in --data, sqlite:PATH, or postgres://... (HERALD_DATABASE)")
	from := fs.String("from", "", "backup file to restore, written by herald backup (required)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return usagef("restore: --from FILE is required")
	}
	if isPostgres(*database) {
		cmd, err := backup.PgRestore(*database, *from)
		if err != nil {
			return usagef("restore: %v", err)
		}
		fmt.Fprintf(stdout, "Herald does not restore PostgreSQL itself: pg_restore reads what pg_dump wrote. Into an empty database, run:\n\n    %s\n\nthen point the nodes at that database.\n", cmd.Line)
		for _, n := range cmd.Notes {
			fmt.Fprintln(stdout, "Note:", n)
		}
		return errors.New("restore: nothing restored; use pg_restore for PostgreSQL (command above)")
	}
	target, err := sqlitePath(*dataDir, *database)
	if err != nil {
		return err
	}
	secrets, err := encryptionKeys()
	if err != nil {
		return err
	}
	known, err := sqlite.MigrationVersions()
	if err != nil {
		return err
	}
	// The lock serve holds (lock_unix.go): no node may have the database
	// open while its file is replaced under it.
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return fmt.Errorf("create data directory: %w", err)
	}
	unlock, err := lockDataDir(*dataDir)
	if err != nil {
		return fmt.Errorf("restore: stop Herald first: %w", err)
	}
	defer func() { _ = unlock() }()

	logger := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	fmt.Fprintf(stderr, "checking %s\n", *from)
	res, err := backup.Restore(ctx, *from, target, known, &backup.RestoreOpts{
		// Open the checked copy as serve will: it applies the migrations
		// the backup lacks and fails if the stored secrets do not open
		// with HERALD_ENCRYPTION_KEY, before anything is replaced.
		CheckFunc: func(ctx context.Context, path string) error {
			st, err := sqlite.Open(ctx, &sqlite.Config{Path: path, Logger: logger, Secrets: secrets})
			if err != nil {
				return err
			}
			return st.Close()
		},
	})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s (%s, schema %03d) into %s\n", *from, formatBytes(res.Bytes), res.Versions[len(res.Versions)-1], target)
	if len(res.Pending) > 0 {
		var vs []string
		for _, v := range res.Pending {
			vs = append(vs, fmt.Sprintf("%03d", v))
		}
		fmt.Fprintf(stdout, "applied the migrations the backup lacked: %s\n", strings.Join(vs, ", "))
	}
	if res.Replaced != "" {
		fmt.Fprintf(stdout, "the database it replaced is kept as %s; delete it when you no longer need it\n", res.Replaced)
	}
	return nil
}
