package proccpu

import (
	"time"

	"golang.org/x/sys/windows"
)

// Self is this process's user+system CPU time so far (0 if unknown).
// Windows has no getrusage; GetProcessTimes gives the kernel and user
// times as FILETIMEs, which here are durations in 100 ns units, not dates.
func Self() time.Duration {
	var creation, exit, kernel, user windows.Filetime
	if err := windows.GetProcessTimes(windows.CurrentProcess(), &creation, &exit, &kernel, &user); err != nil {
		return 0
	}
	ticks := func(ft windows.Filetime) time.Duration {
		return time.Duration(int64(ft.HighDateTime)<<32|int64(ft.LowDateTime)) * 100
	}
	return ticks(kernel) + ticks(user)
}
