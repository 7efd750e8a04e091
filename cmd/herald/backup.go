package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/backup"
)

// runBackup is `herald backup`: a consistent copy of the SQLite database,
// taken while Herald runs. PostgreSQL has pg_dump, which does it better;
// for it, backup prints the command and exits 1, so a script that expected
// a file does not carry on as if it had one.
func runBackup(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("backup", stderr)
	dataDir := fs.String("data", envDefault("HERALD_DATA", "./herald-data"), "data directory holding the SQLite database (HERALD_DATA)")
	database := fs.String("database", envDefault("HERALD_DATABASE", ""), "empty for SQLite in --data, sqlite:PATH, or postgres://... (HERALD_DATABASE)")
	out := fs.String("out", "", "file to write the backup to (required)")
	force := fs.Bool("force", false, "replace --out if it exists")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return usagef("backup: --out FILE is required")
	}
	if isPostgres(*database) {
		cmd, err := backup.PgDump(*database, *out)
		if err != nil {
			return usagef("backup: %v", err)
		}
		fmt.Fprintf(stdout, "Herald does not back up PostgreSQL itself: pg_dump takes one consistent snapshot while the nodes run. Run:\n\n    %s\n\n", cmd.Line)
		for _, n := range cmd.Notes {
			fmt.Fprintln(stdout, "Note:", n)
		}
		return errors.New("backup: nothing written; use pg_dump for PostgreSQL (command above)")
	}
	src, err := sqlitePath(*dataDir, *database)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "backing up %s to %s\n", src, *out)
	res, err := backup.SQLite(ctx, src, *out, &backup.SQLiteOpts{
		Overwrite: *force,
		ProgressFunc: func(n int64) {
			fmt.Fprintf(stderr, "  %s written\n", formatBytes(n))
		},
	})
	if errors.Is(err, backup.ErrExists) {
		return fmt.Errorf("%w (--force replaces it)", err)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s: %s, schema %03d, in %s\n", *out, formatBytes(res.Bytes),
		res.Versions[len(res.Versions)-1], res.Elapsed.Round(time.Millisecond))
	fmt.Fprintln(stdout, "Endpoint secrets in it are sealed with HERALD_ENCRYPTION_KEY (if set): keep the key, apart from the backup.")
	return nil
}

// isPostgres reports whether a --database value names PostgreSQL.
func isPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// sqlitePath is the SQLite database file serve uses for --data and
// --database.
func sqlitePath(dataDir, database string) (string, error) {
	if database == "" {
		return filepath.Join(dataDir, "herald.db"), nil
	}
	if p, ok := strings.CutPrefix(database, "sqlite:"); ok {
		if p == "" {
			return filepath.Join(dataDir, "herald.db"), nil
		}
		return p, nil
	}
	return "", usagef("--database must be empty (SQLite in --data), sqlite:PATH or postgres://...")
}

// formatBytes is n in the largest binary unit that keeps it at least 1.
func formatBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
