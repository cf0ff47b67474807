//go:build netbsd || solaris || illumos

package disk

import "golang.org/x/sys/unix"

// statfs asks statvfs(2), whose counts are in units of f_frsize.
func statfs(dir string) (avail, blocks, unit int64, err error) {
	var st unix.Statvfs_t
	err = unix.Statvfs(dir, &st)
	return int64(st.Bavail), int64(st.Blocks), int64(st.Frsize), err
}
