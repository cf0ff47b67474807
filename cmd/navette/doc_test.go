package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// archDoc is the document that describes the module's packages and layers.
const archDoc = "../../docs/architecture.md"

var (
	// docTicked finds the `names` of a table cell.
	docTicked = regexp.MustCompile("`([a-z][a-z0-9]*(?:/[a-z0-9]+)*)`")
	// docPictured finds the names/ of the layers' picture.
	docPictured = regexp.MustCompile(`(?:^|[\s(|])([a-z][a-z0-9]*(?:/[a-z0-9]+)*)/(?:[\s),]|$)`)
)

// docPackages returns the packages doc names: in the first column of its
// package table, and in the picture of its Layers section.
func docPackages(t *testing.T, doc string) map[string]bool {
	t.Helper()
	named := map[string]bool{}
	table, picture := false, false
	for line := range strings.Lines(doc) {
		line = strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(line, "| package |"):
			table = true
		case table && !strings.HasPrefix(line, "|"):
			table = false
		case table:
			cell, _, _ := strings.Cut(strings.TrimPrefix(line, "|"), "|")
			for _, m := range docTicked.FindAllStringSubmatch(cell, -1) {
				named[m[1]] = true
			}
		case line == "## Layers":
			picture = true
		case picture && strings.HasPrefix(line, "```") && !strings.HasPrefix(line, "```text"):
			picture = false
		case picture:
			for _, m := range docPictured.FindAllStringSubmatch(line, -1) {
				named[m[1]] = true
			}
		}
	}
	if len(named) < 20 {
		t.Fatalf("%s names %d packages: its table or picture was not found", archDoc, len(named))
	}
	return named
}

// TestArchitectureDoc keeps docs/architecture.md honest: every package its
// table or picture names exists, and every package of the module with
// non-test files is named there.
func TestArchitectureDoc(t *testing.T) {
	b, err := os.ReadFile(archDoc)
	if err != nil {
		t.Fatal(err)
	}
	named := docPackages(t, string(b))
	for name := range named {
		dir := "../.."
		if name != "navette" {
			dir = filepath.Join(dir, filepath.FromSlash(name))
		}
		if gos, _ := filepath.Glob(filepath.Join(dir, "*.go")); len(gos) == 0 {
			t.Errorf("%s names %s, which is not a package", archDoc, name)
		}
	}
	out, err := exec.Command("go", "list", "-f", "{{if .GoFiles}}{{.ImportPath}}{{end}}", "navette/...").Output()
	if err != nil {
		t.Fatalf("go list navette/...: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		name := strings.TrimPrefix(p, "navette/")
		if !named[name] {
			t.Errorf("the package %s is not named in %s: add it to its table or picture", p, archDoc)
		}
	}
}
