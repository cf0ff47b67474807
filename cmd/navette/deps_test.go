package main

import (
	"os/exec"
	"strings"
	"testing"
)

// deps lists the packages a package depends on, itself included, as the
// go command resolves them for the production build (tests excluded).
func deps(t *testing.T, pkg string) []string {
	t.Helper()
	out, err := exec.Command("go", "list", "-deps", pkg).Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pkg, err)
	}
	return strings.Fields(string(out))
}

// TestBinaryImports keeps test support and test-only tools out of the
// binary operators run: the harnesses start servers and the browser driver
// drives Chromium, neither of which belongs in production.
func TestBinaryImports(t *testing.T) {
	banned := []string{
		"navette/internal/test",    // test harnesses: testnode, testpg, tests3…
		"navette/internal/cluster", // the cluster test
		"navette/internal/bench",   // benchmarks
		"github.com/chromedp/",     // the browser tests' driver
		"net/http/pprof",           // profiling endpoints on the public listener
		// "testing" is not listed: github.com/digitorus/pkcs7 (the RFC 3161
		// token's CMS) imports it from a non-test file.
	}
	for _, p := range deps(t, "navette/cmd/navette") {
		for _, b := range banned {
			if p == b || strings.HasPrefix(p, b) {
				t.Errorf("the navette binary imports %q (banned prefix %q)", p, b)
			}
		}
	}
}
