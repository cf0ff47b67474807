package main

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// Complexity ratchet: the largest cyclomatic complexity of a production
// function, and the average over all of them, as measured when the ratchet
// was last tightened. Lower them when the code gets simpler; never raise
// them.
const (
	maxComplexity     = 15   // the ceiling, reached
	maxAvgComplexity  = 3.82 // the issue asks for 4 or less
	reportComplexity  = 15   // functions above this are listed
	complexityPackage = "navette"
)

// funcComplexity is the cyclomatic complexity of one function.
type funcComplexity struct {
	name string // package-relative file:line and name
	n    int
}

// complexity returns the cyclomatic complexity of fn, function literals
// inside it included: 1, plus one for each if, for, range, case and select
// case but the default ones, && and ||.
func complexity(fn ast.Node) int {
	n := 1
	ast.Inspect(fn, func(node ast.Node) bool {
		switch x := node.(type) {
		case *ast.IfStmt, *ast.ForStmt, *ast.RangeStmt:
			n++
		case *ast.CaseClause:
			if x.List != nil {
				n++
			}
		case *ast.CommClause:
			if x.Comm != nil {
				n++
			}
		case *ast.BinaryExpr:
			if x.Op == token.LAND || x.Op == token.LOR {
				n++
			}
		}
		return true
	})
	return n
}

// productionFuncs returns the complexity of every function of the module's
// production code: non-test files, outside test support (testSupport) and
// generated files.
func productionFuncs(t *testing.T, root string) []funcComplexity {
	t.Helper()
	var fns []funcComplexity
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			name := d.Name()
			if rel != "." && (strings.HasPrefix(name, ".") || name == "testdata" ||
				testSupport(complexityPackage+"/"+filepath.ToSlash(rel))) {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil && rel != "." {
				return filepath.SkipDir // another module
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		if ast.IsGenerated(f) {
			return nil
		}
		at := func(n ast.Node, name string) string {
			return fmt.Sprintf("%s:%d %s", filepath.ToSlash(rel), fset.Position(n.Pos()).Line, name)
		}
		for _, decl := range f.Decls {
			switch d := decl.(type) {
			case *ast.FuncDecl:
				if d.Body == nil {
					continue
				}
				name := d.Name.Name
				if d.Recv != nil && len(d.Recv.List) > 0 {
					name = recvName(d.Recv.List[0].Type) + "." + name
				}
				fns = append(fns, funcComplexity{name: at(d, name), n: complexity(d)})
			case *ast.GenDecl:
				// A function literal in a package-level variable (a table
				// of checks or setters) counts as a function of its own.
				ast.Inspect(d, func(n ast.Node) bool {
					if lit, ok := n.(*ast.FuncLit); ok {
						fns = append(fns, funcComplexity{name: at(lit, "func literal"), n: complexity(lit)})
						return false
					}
					return true
				})
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return fns
}

// recvName returns the name of a method's receiver type.
func recvName(e ast.Expr) string {
	switch x := e.(type) {
	case *ast.StarExpr:
		return recvName(x.X)
	case *ast.IndexExpr:
		return recvName(x.X)
	case *ast.IndexListExpr:
		return recvName(x.X)
	case *ast.Ident:
		return x.Name
	}
	return "?"
}

// TestComplexity lists the production functions whose cyclomatic
// complexity is above reportComplexity, with the average, and fails if a
// function is above maxComplexity or the average above maxAvgComplexity:
// complexity cannot grow back. Run it with -v to see the figures.
func TestComplexity(t *testing.T) {
	fns := productionFuncs(t, "../..")
	if len(fns) < 100 {
		t.Fatalf("found %d functions: not the module", len(fns))
	}
	slices.SortFunc(fns, func(a, b funcComplexity) int { return cmp.Or(b.n-a.n, strings.Compare(a.name, b.name)) })
	total, above := 0, 0
	for _, f := range fns {
		total += f.n
		if f.n > reportComplexity {
			above++
			t.Logf("%3d %s", f.n, f.name)
		}
	}
	avg := float64(total) / float64(len(fns))
	t.Logf("%d functions, %d above %d, largest %d, average %.3f", len(fns), above, reportComplexity, fns[0].n, avg)
	if fns[0].n > maxComplexity {
		t.Errorf("%s has complexity %d, above the ratchet's %d: split it", fns[0].name, fns[0].n, maxComplexity)
	}
	if avg > maxAvgComplexity {
		t.Errorf("the average complexity is %.2f, above the ratchet's %.2f", avg, maxAvgComplexity)
	}
}
