package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// storeCores splits the machine's cores for -store-core: the last one for
// the S3 server, the others for everything else (the navette nodes,
// PostgreSQL, the bench's clients). It fails on a machine of one core.
func storeCores() (store, rest []int, err error) {
	n := runtime.NumCPU()
	if n < 2 {
		return nil, nil, errors.New("-store-core needs at least 2 cores")
	}
	for c := range n - 1 {
		rest = append(rest, c)
	}
	return []int{n - 1}, rest, nil
}

// pin sets the CPU affinity of every thread of process pid to cpus. The
// threads and processes it starts afterwards inherit it. It reads the
// threads twice, for one started while the first pass ran.
func pin(pid int, cpus []int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	for range 2 {
		tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
		if err != nil {
			return fmt.Errorf("pinning process %d: %w", pid, err)
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := unix.SchedSetaffinity(tid, &set); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("pinning thread %d of process %d: %w", tid, pid, err)
			}
		}
	}
	return nil
}
