//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd || solaris

package backup

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockDir takes an exclusive flock on the directory dir without waiting,
// and returns the open directory that holds it until closed; nil if
// another process holds it or the file system cannot lock. The system
// releases the lock when its process dies, killed or not.
func lockDir(dir string) (*os.File, error) {
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err != unix.EINTR {
			break
		}
	}
	if err == nil {
		return f, nil
	}
	f.Close()
	switch {
	case errors.Is(err, unix.EWOULDBLOCK), errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP), errors.Is(err, unix.ENOTSUP):
		return nil, nil
	}
	return nil, err
}
