package cli

import (
	"os"
	"runtime/debug"
	"strconv"
	"strings"

	"navette"
)

// defaultMemoryLimit is --memory-limit's default: 90% of the memory the
// process's cgroup may use, none without a cgroup limit.
const defaultMemoryLimit = "90%"

// defaultGCPercent is the garbage collector's GOGC unless the GOGC
// environment variable sets one. The server's live heap is mostly the
// transfers' buffers, reused and never garbage: at Go's 100 the collector
// would let garbage grow as large as they are before it runs; half of
// that costs a collection of a small heap a little more often.
const defaultGCPercent = 50

// cgroupMemoryMax is where cgroup v2 says how much memory the process's
// group may use ("max": no limit).
const cgroupMemoryMax = "/sys/fs/cgroup/memory.max"

// memoryLimit returns the Go runtime's soft memory limit (GOMEMLIMIT) that
// --memory-limit spec sets, given the cgroup's limit as its memory.max file
// reads (empty if there is none): a size (512MiB), a share of the cgroup's
// limit (90%), or both as 90%/512MiB (the larger); 0 for none.
func memoryLimit(spec, cgroupMax string) (int64, error) {
	r, err := navette.ParseReserve(spec)
	if err != nil {
		return 0, err
	}
	var group int64
	if n, err := strconv.ParseInt(strings.TrimSpace(cgroupMax), 10, 64); err == nil && n > 0 {
		group = n
	}
	return r.Of(group), nil
}

// applyMemoryLimit sets the runtime's soft memory limit from spec, unless
// GOMEMLIMIT set one, which wins. With the limit the garbage collector
// works harder as the heap nears it, instead of letting it double. It also
// sets GOGC to defaultGCPercent, unless the environment set it.
func applyMemoryLimit(spec string) error {
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(defaultGCPercent)
	}
	max, _ := os.ReadFile(cgroupMemoryMax)
	n, err := memoryLimit(spec, string(max))
	if err != nil {
		return usageError("--memory-limit: %s", navette.ErrorMessage(err))
	}
	if n > 0 && os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(n)
	}
	return nil
}
