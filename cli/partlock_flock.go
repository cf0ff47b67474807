//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd || solaris

package cli

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockPart takes an exclusive flock on the open part file f without
// waiting, and reports busy when another open of it holds one. The
// system releases the lock when f is closed or its process dies, killed
// or not, so a run that ends never blocks the next. Where the file system
// cannot lock (some network mounts), the download goes on unlocked, as it
// did before locks.
func lockPart(f *os.File) (busy bool, err error) {
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, unix.EWOULDBLOCK):
		return true, nil
	case errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOTSUP):
		return false, nil
	}
	return false, err
}
