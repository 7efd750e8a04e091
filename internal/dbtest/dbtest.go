// Package dbtest makes per-test databases: a file in the test's temp
// directory for SQLite (this file), and a fresh schema for PostgreSQL
// (postgres.go). Each test gets its own database, so tests run in parallel
// without seeing each other's rows, and nothing outlives the test.
//
// It is imported by _test.go files only.
package dbtest

import (
	"path/filepath"
	"testing"
)

// NewSQLitePath returns the path of a database file that does not exist
// yet, in a directory that t removes when it ends.
func NewSQLitePath(t testing.TB) string {
	t.Helper()
	return filepath.Join(t.TempDir(), "herald.db")
}
