package main

import (
	"encoding/json"
	"errors"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// storeAdapters are the packages that implement storage: what handlers
// must never import.
var storeAdapters = []string{"navette/sqlstore", "navette/sqlite", "navette/postgres", "navette/disk", "navette/s3", "navette/keyring"}

// handlerPackages are the packages that serve requests: they reach storage
// only through services.
var handlerPackages = []string{"navette/http", "navette/web"}

// listed is a package as go list -json describes it.
type listed struct {
	ImportPath string
	Dir        string
	GoFiles    []string
	Export     string
	Imports    []string
	ImportMap  map[string]string
	Standard   bool
	Error      *struct{ Err string }
}

// listExport runs go list -deps -export on pkgs and returns every package
// of the production build, by import path.
func listExport(t *testing.T, pkgs ...string) map[string]*listed {
	t.Helper()
	args := append([]string{"-deps", "-export", "-json=ImportPath,Dir,GoFiles,Export,Imports"}, pkgs...)
	all := map[string]*listed{}
	for _, p := range goList(t, nil, args...) {
		all[p.ImportPath] = p
	}
	return all
}

// goList runs go list with args, and with env added to the test's
// environment, and returns the packages it describes (-json), in its
// order.
func goList(t *testing.T, env []string, args ...string) []*listed {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v\n%s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var all []*listed
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		p := new(listed)
		if err := dec.Decode(p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		all = append(all, p)
	}
	return all
}

// storeTypes returns a test of whether a type is, or points to, a store:
// a named type of an adapter package, an interface of package navette
// whose name ends in Store, or one embedded in such an interface (the
// roles a store is made of).
func storeTypes(navette *types.Package) func(types.Type) bool {
	stores := map[*types.TypeName]bool{}
	var add func(tn *types.TypeName)
	add = func(tn *types.TypeName) {
		if stores[tn] {
			return
		}
		stores[tn] = true
		it, ok := tn.Type().Underlying().(*types.Interface)
		if !ok {
			return
		}
		for i := range it.NumEmbeddeds() {
			if n, ok := types.Unalias(it.EmbeddedType(i)).(*types.Named); ok && n.Obj().Pkg() == navette {
				add(n.Obj())
			}
		}
	}
	for _, name := range navette.Scope().Names() {
		tn, ok := navette.Scope().Lookup(name).(*types.TypeName)
		if ok && strings.HasSuffix(name, "Store") && types.IsInterface(tn.Type()) {
			add(tn)
		}
	}
	var isStore func(types.Type) bool
	isStore = func(t types.Type) bool {
		switch t := types.Unalias(t).(type) {
		case *types.Pointer:
			return isStore(t.Elem())
		case *types.Named:
			if stores[t.Obj()] {
				return true
			}
			if pkg := t.Obj().Pkg(); pkg != nil {
				for _, a := range storeAdapters {
					if pkg.Path() == a {
						return true
					}
				}
			}
		}
		return false
	}
	return isStore
}

// storeUses type-checks the production files of pkg and returns where it
// holds or reaches a store: each expression, variable or field whose type
// isStore says is one.
func storeUses(t *testing.T, all map[string]*listed, pkg string) []string {
	t.Helper()
	p := all[pkg]
	if p == nil {
		t.Fatalf("go list did not describe %s", pkg)
	}
	fset := token.NewFileSet()
	var files []*ast.File
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		q := all[path]
		if q == nil || q.Export == "" {
			return nil, errors.New("no export data for " + path)
		}
		return os.Open(q.Export)
	})
	info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Defs: map[*ast.Ident]types.Object{}}
	conf := types.Config{Importer: imp.(types.ImporterFrom)}
	tp, err := conf.Check(pkg, fset, files, info)
	if err != nil {
		t.Fatalf("type-checking %s: %v", pkg, err)
	}
	var navette *types.Package
	for _, q := range tp.Imports() {
		if q.Path() == "navette" {
			navette = q
		}
	}
	if navette == nil {
		return nil
	}
	isStore := storeTypes(navette)
	var found []string
	report := func(pos token.Pos, what string, typ types.Type) {
		found = append(found, fset.Position(pos).String()+": "+what+" of type "+types.TypeString(typ, nil))
	}
	for e, tv := range info.Types {
		if tv.IsValue() && isStore(tv.Type) {
			report(e.Pos(), "expression", tv.Type)
		}
	}
	for id, obj := range info.Defs {
		if v, ok := obj.(*types.Var); ok && isStore(v.Type()) {
			report(id.Pos(), "variable or field "+id.Name, v.Type())
		}
	}
	slices.Sort(found)
	return found
}

// depsOf returns pkg and the packages it depends on, from a listing.
func depsOf(all map[string]*listed, pkg string) []string {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(path string) {
		if seen[path] {
			return
		}
		seen[path] = true
		if p := all[path]; p != nil {
			for _, q := range p.Imports {
				walk(q)
			}
		}
	}
	walk(pkg)
	out := make([]string, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	return out
}

// TestHandlersHoldNoStore keeps storage behind the services: the HTTP API
// and the web pages import no storage adapter, and no value they hold or
// reach (a field, a variable, a call's result) is a store of package
// navette or of an adapter, so that authorization and journaling stay in
// the services, each in one place.
func TestHandlersHoldNoStore(t *testing.T) {
	all := listExport(t, handlerPackages...)
	for _, pkg := range handlerPackages {
		for _, path := range depsOf(all, pkg) {
			for _, a := range storeAdapters {
				if path == a {
					t.Errorf("%s depends on the storage adapter %s", pkg, a)
				}
			}
		}
		for _, use := range storeUses(t, all, pkg) {
			t.Errorf("%s reaches a store, not a service: %s", pkg, use)
		}
	}
}
