//go:build unix

package testtool

import (
	"os"
	"syscall"
)

// Lock takes an exclusive lock on the file at path, creating it, and
// returns the function that releases it. It blocks while another process
// holds the lock: the harnesses take one around installing or building a
// tool, so that test packages run in parallel do it once.
func Lock(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
