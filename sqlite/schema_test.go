package sqlite_test

import (
	"database/sql"
	"slices"
	"testing"

	"github.com/heraldhq/herald/internal/dbtest"
	"github.com/heraldhq/herald/sqlite"
)

// TestMigrationVersions: the versions the build carries are exactly those a
// fresh database records after Open, which is what `herald restore`
// compares a backup's against.
func TestMigrationVersions(t *testing.T) {
	t.Parallel()
	want, err := sqlite.MigrationVersions()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) == 0 || !slices.IsSorted(want) {
		t.Fatalf("MigrationVersions() = %v, want a sorted, non-empty list", want)
	}
	path := dbtest.NewSQLitePath(t)
	s, err := sqlite.Open(t.Context(), &sqlite.Config{Path: path})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Close()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.QueryContext(t.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("recorded migrations %v, MigrationVersions %v", got, want)
	}
}
