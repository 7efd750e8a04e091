//go:build !unix

package sqlite_test

import "time"

// processCPU is unknown here: benchmarks report 0 CPU per delivery.
func processCPU() time.Duration { return 0 }
