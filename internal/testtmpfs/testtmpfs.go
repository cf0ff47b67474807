// Package testtmpfs mounts a small tmpfs for tests that must fill a real
// file system: a full disk is a fault the kernel produces for real here,
// with ENOSPC from write and fsync. Mounting needs root, as the tests run
// in CI; without it the test fails, it is not skipped.
package testtmpfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Mount mounts a tmpfs of size bytes on a new temporary directory and
// returns its path; it is unmounted when t ends, after the cleanups
// registered later (such as stopping a server that uses it).
func Mount(t testing.TB, size int64) string {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Fatalf("this test mounts a tmpfs of %d bytes to fill it, which needs root (CI runs the tests as root): run it as root", size)
	}
	dir := filepath.Join(t.TempDir(), "tmpfs")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", dir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("size=%d,mode=0700", size)); err != nil {
		t.Fatalf("mounting a tmpfs on %s: %v (the test needs CAP_SYS_ADMIN)", dir, err)
	}
	t.Cleanup(func() { unmount(t, dir) })
	return dir
}

// busyGrace is how long the tmpfs may stay busy after the test: on a
// loaded machine a file closed by the code under test can take a moment to
// be released by the kernel (a read in flight on another thread holds it
// until it returns). A file still open after it is a leak.
const busyGrace = 10 * time.Second

// unmount unmounts the tmpfs on dir, failing the test if something still
// holds a file on it after busyGrace, and then detaching it.
func unmount(t testing.TB, dir string) {
	err := unix.Unmount(dir, 0)
	if !errors.Is(err, syscall.EBUSY) {
		if err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
		return
	}
	held, start := holders(dir), time.Now()
	for errors.Is(err, syscall.EBUSY) && time.Since(start) < busyGrace {
		time.Sleep(20 * time.Millisecond)
		err = unix.Unmount(dir, 0)
	}
	switch {
	case err == nil:
		t.Logf("the tmpfs on %s was busy for %v after the test, held by:\n%s", dir, time.Since(start).Round(time.Millisecond), held)
		return
	case errors.Is(err, syscall.EBUSY):
		t.Errorf("the tmpfs on %s was still busy %v after the test ended: detaching it; held at first by:\n%snow by:\n%s", dir, busyGrace, held, holders(dir))
		err = unix.Unmount(dir, unix.MNT_DETACH)
	}
	if err != nil {
		t.Errorf("unmounting %s: %v", dir, err)
	}
}

// Fill writes a file at path until the file system is full and returns
// the bytes written.
func Fill(t testing.TB, path string) int64 {
	t.Helper()
	return write(t, path, -1)
}

// Take writes a file of n bytes at path, failing the test if they do not
// fit.
func Take(t testing.TB, path string, n int64) {
	t.Helper()
	if got := write(t, path, n); got != n {
		t.Fatalf("%s: only %d bytes of %d fit", path, got, n)
	}
}

func write(t testing.TB, path string, limit int64) int64 {
	t.Helper()
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	buf := make([]byte, 64<<10)
	var n int64
	for limit < 0 || n < limit {
		b := buf
		if limit >= 0 && limit-n < int64(len(b)) {
			b = b[:limit-n]
		}
		m, err := f.Write(b)
		n += int64(m)
		if errors.Is(err, syscall.ENOSPC) {
			return n
		} else if err != nil {
			t.Fatalf("filling %s: %v", path, err)
		}
	}
	return n
}

// Free returns the bytes an unprivileged process may still write on the
// file system of path.
func Free(t testing.TB, path string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(path, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * int64(st.Bsize)
}

// holders lists what keeps files under dir open in this process: its open
// file descriptors and memory mappings, read from /proc/self.
func holders(dir string) string {
	var b strings.Builder
	if fds, err := os.ReadDir("/proc/self/fd"); err == nil {
		for _, fd := range fds {
			target, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
			if err == nil && strings.HasPrefix(target, dir) {
				fmt.Fprintf(&b, "  fd %s: %s\n", fd.Name(), target)
			}
		}
	}
	if maps, err := os.ReadFile("/proc/self/maps"); err == nil {
		for line := range strings.Lines(string(maps)) {
			if strings.Contains(line, dir) {
				fmt.Fprintf(&b, "  mapped: %s", line)
			}
		}
	}
	if b.Len() == 0 {
		b.WriteString("  nothing in this process now (another process, or a file closed since)\n")
	}
	stacks := make([]byte, 1<<20)
	stacks = stacks[:runtime.Stack(stacks, true)]
	b.WriteString("the goroutines of navette's packages then:\n")
	for g := range strings.SplitSeq(string(stacks), "\n\n") {
		if strings.Contains(g, "navette/") && !strings.Contains(g, "testing.tRunner") {
			b.WriteString(g + "\n\n")
		}
	}
	return b.String()
}
