//go:build linux || darwin || dragonfly || freebsd

package disk

import "golang.org/x/sys/unix"

// statfs asks statfs(2) for the blocks available to unprivileged users,
// the blocks of the file system and their size: f_frsize where the system
// gives it (fragment), else f_bsize.
func statfs(dir string) (avail, blocks, unit int64, err error) {
	var st unix.Statfs_t
	err = unix.Statfs(dir, &st)
	unit = int64(st.Bsize)
	if f := fragment(&st); f > 0 {
		unit = f
	}
	return int64(st.Bavail), int64(st.Blocks), unit, err
}
