package disk

import "golang.org/x/sys/unix"

// statfs asks statfs(2), whose counts are in units of f_bsize.
func statfs(dir string) (avail, blocks, unit int64, err error) {
	var st unix.Statfs_t
	err = unix.Statfs(dir, &st)
	return st.F_bavail, int64(st.F_blocks), int64(st.F_bsize), err
}
