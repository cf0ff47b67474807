package disk

import (
	"os"

	"golang.org/x/sys/unix"
)

// startWriteback asks the kernel to start writing n bytes of f from off to
// disk without waiting, so that a later fsync has little left to do. It is
// only a hint: errors (ENOSYS, EINVAL on some file systems) are ignored.
func startWriteback(f *os.File, off, n int64) {
	hint(f, func(fd int) { unix.SyncFileRange(fd, off, n, unix.SYNC_FILE_RANGE_WRITE) })
}

// adviseSequential tells the kernel that n bytes of f from off will be read
// in order, which widens its readahead. It is only a hint.
func adviseSequential(f *os.File, off, n int64) {
	hint(f, func(fd int) { unix.Fadvise(fd, off, n, unix.FADV_SEQUENTIAL) })
}

// hint calls give with the descriptor of f, if f has one: give's errors,
// and the lack of a descriptor, are ignored, as a hint's are.
func hint(f *os.File, give func(fd int)) {
	rc, err := f.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) { give(int(fd)) })
}
