//go:build unix

package sqlite_test

import (
	"syscall"
	"time"
)

// processCPU is this process's user+system CPU time so far (0 if unknown).
// Benchmarks report CPU per delivery from it: unlike ns/op, it leaves out
// the time spent waiting for fsync, which moves with the disk's minute.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
