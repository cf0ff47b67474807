package disk

import "golang.org/x/sys/unix"

// fragment returns f_frsize, the unit of Linux's block counts since 2.6
// (0 before).
func fragment(st *unix.Statfs_t) int64 { return st.Frsize }
