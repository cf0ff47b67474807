//go:build unix

package doctor

import (
	"os"
	"syscall"
)

// owner returns the uid owning a file.
func owner(fi os.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// groupOrOthers reports whether the mode of a file lets its group or
// others in.
func groupOrOthers(fi os.FileInfo) bool { return fi.Mode().Perm()&0o077 != 0 }
