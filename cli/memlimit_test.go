package cli

import (
	"runtime/debug"
	"testing"
)

func TestMemoryLimit(t *testing.T) {
	for _, c := range []struct {
		spec, cgroup string
		want         int64
		bad          bool
	}{
		{"90%", "1073741824\n", 966367642, false},
		{"90%", "max\n", 0, false},
		{"90%", "", 0, false},
		{"512MiB", "max\n", 512 << 20, false},
		{"50%/512MiB", "4294967296\n", 2 << 30, false},
		{"50%/512MiB", "max\n", 512 << 20, false},
		{"0", "1073741824\n", 0, false},
		{"lots", "", 0, true},
	} {
		got, err := memoryLimit(c.spec, c.cgroup)
		if (err != nil) != c.bad || got != c.want {
			t.Errorf("memoryLimit(%q, %q) = %d, %v; want %d, error %v", c.spec, c.cgroup, got, err, c.want, c.bad)
		}
	}
}

// TestApplyMemoryLimitGC checks that the server's GOGC is defaultGCPercent
// unless the environment sets one.
func TestApplyMemoryLimitGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	for _, c := range []struct {
		env  string
		want int
	}{
		{"", defaultGCPercent},
		{"80", 100}, // the runtime read GOGC at its start: left as it is
	} {
		t.Setenv("GOGC", c.env)
		debug.SetGCPercent(100)
		if err := applyMemoryLimit("0"); err != nil {
			t.Fatal(err)
		}
		if got := debug.SetGCPercent(100); got != c.want {
			t.Errorf("GOGC=%q: GC percent %d, want %d", c.env, got, c.want)
		}
	}
}
