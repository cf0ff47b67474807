package cli

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockPart takes an exclusive lock on the open part file f without
// waiting, and reports busy when another open of it holds one. The lock is
// on one byte at the far end of the largest offset, which no download
// writes, so that it only keeps other runs out (LockFileEx's locks are
// mandatory for the bytes they cover). Windows releases it when f is
// closed or its process dies. Where the file system cannot lock, the
// download goes on unlocked, as on other systems.
func lockPart(f *os.File) (busy bool, err error) {
	ol := &windows.Overlapped{Offset: 0xfffffffe, OffsetHigh: 0x7fffffff}
	err = windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, ol)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, windows.ERROR_LOCK_VIOLATION), errors.Is(err, windows.ERROR_IO_PENDING):
		return true, nil
	case errors.Is(err, windows.ERROR_NOT_SUPPORTED), errors.Is(err, windows.ERROR_INVALID_FUNCTION):
		return false, nil
	}
	return false, err
}
