package main

import (
	"os/exec"
	"path"
	"slices"
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
		"navette/internal/test",                 // test harnesses: testpg, tests3…
		"navette/app/apptest",                   // a whole node for tests
		"navette/internal/cluster",              // the cluster test
		"navette/internal/bench",                // benchmarks
		"github.com/chromedp/",                  // the browser tests' driver
		"github.com/santhosh-tekuri/jsonschema", // the OpenAPI answer check's validator
		"net/http/pprof",                        // profiling endpoints on the public listener
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

// imports returns the packages of the module, each with the packages of
// the module its non-test files import.
func imports(t *testing.T) map[string][]string {
	t.Helper()
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "navette/...").Output()
	if err != nil {
		t.Fatalf("go list navette/...: %v", err)
	}
	m := make(map[string][]string)
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		m[f[0]] = nil
		for _, p := range f[1:] {
			if p == "navette" || strings.HasPrefix(p, "navette/") {
				m[f[0]] = append(m[f[0]], p)
			}
		}
	}
	if _, ok := m["navette/app"]; !ok {
		t.Fatalf("go list navette/... lists no navette/app: %q", out)
	}
	return m
}

// testSupport reports whether package p exists for tests only: under
// internal/ (but for the production helpers httpfile and realip), or named
// for what it tests (apptest, storetest, receipttest).
func testSupport(p string) bool {
	if rest, ok := strings.CutPrefix(p, "navette/internal/"); ok {
		return rest != "httpfile" && rest != "realip"
	}
	return strings.HasSuffix(path.Base(p), "test")
}

// TestTestSupportStaysInTests checks that no production package imports a
// package that exists for tests: harnesses start servers, and belong in
// tests only.
func TestTestSupportStaysInTests(t *testing.T) {
	for p, imps := range imports(t) {
		if testSupport(p) {
			continue
		}
		for _, i := range imps {
			if testSupport(i) {
				t.Errorf("the production package %s imports the test support %s", p, i)
			}
		}
	}
}

// layers ranks the packages from the inside out: the domain (the root
// package), then services, adapters and libraries (every package not
// listed), the HTTP API and web pages, the wiring, the tools built on it,
// the command line, the binary. A package may import only packages of its
// own layer or of layers further in.
var layers = map[string]int{
	"navette":         0,
	"navette/http":    2,
	"navette/web":     2,
	"navette/app":     3,
	"navette/doctor":  4,
	"navette/migrate": 4,
	"navette/cli":     5,
	"navette/cmd/...": 6,
}

// layer returns the layer of package p.
func layer(p string) int {
	if strings.HasPrefix(p, "navette/cmd/") {
		return layers["navette/cmd/..."]
	}
	if l, ok := layers[p]; ok {
		return l
	}
	return 1
}

// services talk to storage through the interfaces of package navette only,
// never through an adapter: they are tested with any backend and a backend
// is added without touching them.
var (
	services        = []string{"navette/deposit", "navette/account", "navette/auth", "navette/directory", "navette/notify", "navette/evidence", "navette/proof"}
	storageAdapters = []string{"navette/sqlstore", "navette/sqlite", "navette/postgres", "navette/disk", "navette/s3", "navette/keyring"}
)

// TestNoUpwardImports checks that imports point inwards (see layers) and
// that services import no storage adapter. Test support is left out: it
// may wire whatever it tests.
func TestNoUpwardImports(t *testing.T) {
	for p, imps := range imports(t) {
		if testSupport(p) {
			continue
		}
		for _, i := range imps {
			if testSupport(i) {
				continue // TestTestSupportStaysInTests
			}
			if layer(i) > layer(p) {
				t.Errorf("%s (layer %d) imports %s (layer %d): an upward import", p, layer(p), i, layer(i))
			}
			if slices.Contains(services, p) && slices.Contains(storageAdapters, i) {
				t.Errorf("the service %s imports the storage adapter %s", p, i)
			}
		}
	}
}
