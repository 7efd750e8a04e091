package sqlite

import (
	"os"
	"syscall"
)

// syncData makes f's data durable with fdatasync(2), as SQLite itself
// syncs on Linux: it skips the inode's timestamps, which fsync(2) would
// journal on every call (a jbd2 commit on ext4) although recovery needs
// only the data and the file's size, which fdatasync does write when it
// changed.
func syncData(f *os.File) error {
	for {
		err := syscall.Fdatasync(int(f.Fd()))
		if err != syscall.EINTR {
			return err
		}
	}
}
