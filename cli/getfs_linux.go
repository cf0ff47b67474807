package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// lockHolder returns the id of the process that holds the flock of the
// open file f, as the kernel lists it in /proc/locks, or 0 when it cannot
// tell (no such line, a process of another pid namespace, a file system
// whose device numbers stat and the lock table give differently).
func lockHolder(f *os.File) int {
	var st unix.Stat_t
	if err := unix.Fstat(int(f.Fd()), &st); err != nil {
		return 0
	}
	dev := uint64(st.Dev) // uint32 on some architectures
	// The kernel's format: "%02x:%02x:%lu" of major, minor and inode.
	id := fmt.Sprintf("%02x:%02x:%d", unix.Major(dev), unix.Minor(dev), st.Ino)
	locks, err := os.Open("/proc/locks")
	if err != nil {
		return 0
	}
	defer locks.Close()
	sc := bufio.NewScanner(locks)
	for sc.Scan() {
		// "7: FLOCK  ADVISORY  WRITE 4242 fe:00:9978392 0 EOF"; a process
		// waiting for a lock has "->" before FLOCK and is skipped.
		fields := strings.Fields(sc.Text())
		if len(fields) < 6 || fields[1] != "FLOCK" || fields[3] != "WRITE" || fields[5] != id {
			continue
		}
		if pid, err := strconv.Atoi(fields[4]); err == nil && pid > 0 {
			return pid
		}
	}
	return 0
}

// renameExclusive gives the file at part the path p if no file has it, and
// reports whether it did: renameat2 with RENAME_NOREPLACE, atomic, where
// the file system has it; checkThenRename elsewhere.
func renameExclusive(part, p string) (bool, error) {
	err := unix.Renameat2(unix.AT_FDCWD, part, unix.AT_FDCWD, p, unix.RENAME_NOREPLACE)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, unix.EEXIST):
		return false, nil
	case errors.Is(err, unix.EINVAL), errors.Is(err, unix.ENOSYS):
		return checkThenRename(part, p)
	}
	return false, &os.LinkError{Op: "rename", Old: part, New: p, Err: err}
}
