//go:build !(linux || darwin || dragonfly || freebsd || openbsd || netbsd || solaris || illumos || windows)

package disk

// statfs fails with ErrSpaceUnknown: this system's call is not known to
// navette.
func statfs(string) (avail, blocks, unit int64, err error) {
	return 0, 0, 0, ErrSpaceUnknown
}
