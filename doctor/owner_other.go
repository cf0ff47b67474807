//go:build !unix

package doctor

import "os"

// owner returns the id of the running user (-1 on Windows): files have no
// uid here, and their ACLs, which doctor does not read, decide who may
// read them.
func owner(os.FileInfo) int { return os.Geteuid() }

// groupOrOthers reports false: the mode bits of a file say nothing of who
// may read it here (ACLs decide, unchecked by doctor).
func groupOrOthers(os.FileInfo) bool { return false }
