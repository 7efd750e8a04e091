//go:build unix

package backup

import (
	"os"
	"syscall"
)

// matchOwner gives path the owner and group of ref, when they differ and
// this process may change them. A restore run as root for a service that
// runs as its own user (systemd's DynamicUser, a container's uid 65532)
// must leave a file that user can open.
func matchOwner(path, ref string) error {
	fi, err := os.Stat(ref)
	if err != nil {
		return err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	pi, err := os.Stat(path)
	if err != nil {
		return err
	}
	if ps, ok := pi.Sys().(*syscall.Stat_t); ok && ps.Uid == st.Uid && ps.Gid == st.Gid {
		return nil
	}
	return os.Chown(path, int(st.Uid), int(st.Gid))
}
