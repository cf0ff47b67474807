//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || solaris)

package cli

import "os"

// lockPart does not lock where flock is missing: two runs of navette get
// into one directory are not kept apart there. (navette does not build for
// these systems today; Windows would need its lock on a file other than
// the part, which it cannot remove or rename while it is open.)
func lockPart(*os.File) (busy bool, err error) { return false, nil }
