//go:build !linux

package sqlite

import "os"

// syncData makes f's data durable: File.Sync (fsync, or F_FULLFSYNC on
// macOS) where fdatasync is not the system's.
func syncData(f *os.File) error { return f.Sync() }
