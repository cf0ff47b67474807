//go:build darwin || dragonfly || freebsd

package disk

import "golang.org/x/sys/unix"

// fragment returns 0: these systems count blocks in units of f_bsize.
func fragment(*unix.Statfs_t) int64 { return 0 }
