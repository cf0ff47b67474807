package main

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"go/types"
	"path/filepath"
	"strings"
	"testing"
)

// ports are the systems navette's binary is built for (docs/operations.md,
// Supported platforms): the server on Linux; the command line, which
// lawyers, bailiffs and experts script transfers with, on Windows and
// macOS too; both on FreeBSD and OpenBSD. One architecture of each system
// is checked (linux/amd64 is built by the suite itself): the other's
// system calls have the same shape for what navette uses, and each port
// costs 4 s of CPU alone. go/types runs 6 times slower under the race
// detector (the five: 107 s alone, 254 s beside the other packages), so
// scripts/test.sh runs this test without it.
var ports = []string{"linux/arm64", "darwin/arm64", "windows/amd64", "freebsd/amd64", "openbsd/amd64"}

// TestPortsTypeCheck keeps ./cmd/navette building on every port: it
// type-checks the binary's packages from source as the go command selects
// them for each GOOS/GOARCH (build tags, _windows.go files), which catches
// what breaks a cross-build (a syscall missing on a system, a field of
// another type there) without compiling or linking anything. The standard
// library's function bodies are skipped: Go builds it for every port.
// About 20 s of one core per port, against 1.5 to 3 min for a cold
// cross-build (docs/operations.md, Supported platforms).
func TestPortsTypeCheck(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	for _, port := range ports {
		t.Run(strings.ReplaceAll(port, "/", "_"), func(t *testing.T) {
			goos, goarch, _ := strings.Cut(port, "/")
			if errs := typeCheck(t, goos, goarch, "navette/cmd/navette"); len(errs) > 0 {
				for _, err := range errs[:min(len(errs), 20)] {
					t.Error(err)
				}
				t.Errorf("navette does not build for %s: %d errors", port, len(errs))
			}
		})
	}
}

// typeCheck type-checks pkg and the packages it depends on, with their
// files for goos/goarch (cgo off, as the release is built), and returns
// the errors found.
func typeCheck(t *testing.T, goos, goarch, pkg string) []error {
	t.Helper()
	env := []string{"GOOS=" + goos, "GOARCH=" + goarch, "CGO_ENABLED=0"}
	var errs []error
	checked := map[string]*types.Package{"unsafe": types.Unsafe}
	fset := token.NewFileSet()
	sizes := types.SizesFor("gc", goarch)
	for _, p := range goList(t, env, "-deps", "-json=ImportPath,Dir,GoFiles,ImportMap,Standard,Error", pkg) {
		switch {
		case p.ImportPath == "unsafe":
		case p.Error != nil:
			errs = append(errs, fmt.Errorf("%s: %s", p.ImportPath, p.Error.Err))
		default:
			tp, perrs := checkPackage(fset, sizes, p, checked)
			checked[p.ImportPath] = tp
			errs = append(errs, perrs...)
		}
	}
	return errs
}

// checkPackage parses and type-checks the listed package p against the
// packages checked before it (go list -deps lists dependencies first).
func checkPackage(fset *token.FileSet, sizes types.Sizes, p *listed, checked map[string]*types.Package) (*types.Package, []error) {
	var errs []error
	mode := parser.SkipObjectResolution
	var files []*ast.File
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, mode)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		files = append(files, f)
	}
	conf := types.Config{
		Sizes:            sizes,
		IgnoreFuncBodies: p.Standard,
		Importer: importerFunc(func(path string) (*types.Package, error) {
			if mapped, ok := p.ImportMap[path]; ok {
				path = mapped
			}
			if tp := checked[path]; tp != nil {
				return tp, nil
			}
			return nil, fmt.Errorf("%s: not checked before %s", path, p.ImportPath)
		}),
		Error: func(err error) { errs = append(errs, err) },
	}
	tp, _ := conf.Check(p.ImportPath, fset, files, nil)
	return tp, errs
}

// importerFunc makes a function a types.Importer.
type importerFunc func(path string) (*types.Package, error)

// Import returns the package of path.
func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }
