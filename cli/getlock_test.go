package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
)

// getChildEnv makes the test binary run the navette command its value
// holds (arguments one a line) in place of the tests: a get that a test
// kills (TestGetKilled).
const getChildEnv = "NAVETTE_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(getChildEnv); args != "" {
		os.Exit(Main(strings.Split(args, "\n"), OSEnv()))
	}
	os.Exit(m.Run())
}

// gate is the standard error of a command, a terminal, that holds the
// first progress line until it is opened: the command then holds a part
// file, written in part.
type gate struct {
	reached, open chan struct{}
	once          sync.Once
	mu            sync.Mutex
	buf           bytes.Buffer
}

func newGate() *gate { return &gate{reached: make(chan struct{}), open: make(chan struct{})} }

// Write records b, holding the first progress line until g is opened.
func (g *gate) Write(b []byte) (int, error) {
	if bytes.HasPrefix(b, []byte("\r")) {
		g.once.Do(func() {
			close(g.reached)
			<-g.open
		})
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.buf.Write(b)
}

// gatedGet starts get of the deposit id into out, held by its gate when
// it starts writing its first file; the run's result comes on the
// returned channel.
func gatedGet(vars map[string]string, g *gate, id, out string) <-chan run {
	done := make(chan run, 1)
	go func() {
		var stdout bytes.Buffer
		env := &Env{
			Stdin:      strings.NewReader(""),
			Stdout:     &stdout,
			Stderr:     g,
			Getenv:     func(k string) string { return vars[k] },
			IsTerminal: func(w io.Writer) bool { return w == io.Writer(g) },
			Context:    context.Background(),
		}
		code := Main([]string{"get", "--out", out, id}, env)
		g.mu.Lock()
		defer g.mu.Unlock()
		done <- run{code, stdout.String(), g.buf.String()}
	}()
	return done
}

// busyLine is what get says of a file another run downloads, held by this
// process (the runs of these tests are in process).
func busyLine(name string, pid int) string {
	if runtime.GOOS != "linux" {
		return "navette get: " + name + ": another navette get is downloading it into this directory\n"
	}
	return fmt.Sprintf("navette get: %s: another navette get (pid %d) is downloading it into this directory\n", name, pid)
}

// Two gets of one deposit into one directory at once: the second finds the
// part file locked, fails that file with a line saying so and touches
// nothing of it; the first saves the file whole.
func TestGetConcurrent(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	data := randomBytes(600_000, 11)
	id, fids := e.deposit("RG", file{"acte.pdf", data})
	p := e.proxy()
	out := t.TempDir()
	part := filepath.Join(out, "."+fids[0]+partSuffix)

	g := newGate()
	first := gatedGet(varsAt(p.URL(), e.lawyer), g, id, out)
	<-g.reached
	held, err := os.ReadFile(part)
	if err != nil || len(held) == 0 {
		t.Fatalf("part file of the first get: %d bytes, %v", len(held), err)
	}
	second := runCLI(t, varsAt(p.URL(), e.lawyer), false, "get", "--out", out, id)
	want := busyLine("acte.pdf", os.Getpid()) + "navette get: 1 of 1 files could not be saved\n"
	if second.code != 1 || second.stdout != "" || second.stderr != want {
		t.Errorf("second get: %+v, want stderr %q", second, want)
	}
	if now, _ := os.ReadFile(part); !bytes.Equal(now, held) {
		t.Errorf("the second get changed the part file: %d bytes, were %d", len(now), len(held))
	}
	close(g.open)

	r := <-first
	saved := filepath.Join(out, "acte.pdf")
	if r.code != 0 || r.stdout != saved+"\n" {
		t.Fatalf("first get: %+v", r)
	}
	if got, _ := os.ReadFile(saved); sha(got) != sha(data) {
		t.Error("saved file: SHA-256 differs")
	}
	if files := tree(t, out); !slices.Equal(files, []string{"acte.pdf"}) {
		t.Errorf("files: %q", files)
	}
	if n := len(fileGets(p, id, fids[0])); n != 1 {
		t.Errorf("%d requests for the file, want the first get's alone", n)
	}
}

// Two deposits holding a file of one name, got at once into one directory:
// their part files differ, both are saved, the second under "name (1)";
// of two identical files, one is saved and the other found there.
func TestGetConcurrentSameName(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	a, b := randomBytes(300_000, 12), randomBytes(200_000, 13)
	for _, c := range []struct {
		name         string
		second       []byte // the second deposit's acte.pdf
		firstSavedAs string
		files        []string
	}{
		{"different", b, "acte (1).pdf", []string{"acte (1).pdf", "acte.pdf"}},
		{"identical", a, "acte.pdf", []string{"acte.pdf"}},
	} {
		id1, _ := e.deposit("RG 1", file{"acte.pdf", a})
		id2, _ := e.deposit("RG 2", file{"acte.pdf", c.second})
		out := t.TempDir()
		g := newGate()
		first := gatedGet(e.vars(e.lawyer), g, id1, out)
		<-g.reached
		second := runCLI(t, e.vars(e.lawyer), false, "get", "--out", out, id2)
		if second.code != 0 || second.stdout != filepath.Join(out, "acte.pdf")+"\n" {
			t.Errorf("%s: second get: %+v", c.name, second)
		}
		close(g.open)
		r := <-first
		saved := filepath.Join(out, c.firstSavedAs)
		if r.code != 0 || r.stdout != saved+"\n" {
			t.Errorf("%s: first get: %+v", c.name, r)
		}
		if c.name == "identical" && !strings.HasSuffix(r.stderr, "navette get: "+saved+" is already there\n") {
			t.Errorf("%s: first get: %q", c.name, r.stderr)
		}
		if got, _ := os.ReadFile(saved); !bytes.Equal(got, a) {
			t.Errorf("%s: %s differs from the first deposit's file", c.name, c.firstSavedAs)
		}
		if got, _ := os.ReadFile(filepath.Join(out, "acte.pdf")); !bytes.Equal(got, c.second) {
			t.Errorf("%s: acte.pdf differs from the second deposit's file", c.name)
		}
		if files := tree(t, out); !slices.Equal(files, c.files) {
			t.Errorf("%s: files %q, want %q", c.name, files, c.files)
		}
	}
}

// A part file is held while it is open: another open of it is refused
// with the holder's pid; once closed, it may be taken. A part file that a
// run placed or removed while another had it open is not taken: that one
// fails as if it were held.
func TestOpenPartLocks(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, ".f"+partSuffix)
	f, err := openPart(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString("held"); err != nil {
		t.Fatal(err)
	}
	if g, err := openPart(path); err == nil || "navette get: x: "+err.Error()+"\n" != busyLine("x", os.Getpid()) {
		t.Errorf("open of a held part: %v", err)
		if g != nil {
			g.Close()
		}
	}
	late, err := os.OpenFile(path, os.O_RDWR, 0) // as a run that opened it just before it was placed
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	f.Close()
	g, err := openPart(path)
	if err != nil {
		t.Fatalf("open of a part released: %v", err)
	}
	if b, _ := io.ReadAll(g); string(b) != "held" {
		t.Errorf("part holds %q", b)
	}

	// Placed: g's file gets its final name; late had it open.
	if err := os.Link(path, filepath.Join(dir, "f")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	g.Close()
	if err := holdPart(late, path); err == nil || err.Error() != "another navette get is downloading it into this directory" {
		t.Errorf("hold of a part placed meanwhile: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "f")); string(b) != "held" {
		t.Errorf("placed file holds %q", b)
	}
}

// renameExclusive, the placing where hard links fail, never replaces a
// file: a run that placed its file there first keeps it.
func TestRenameExclusive(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	part := writeFile(t, dir, ".f"+partSuffix, []byte("verified"))
	taken := writeFile(t, dir, "taken.pdf", []byte("another run's"))
	if moved, err := renameExclusive(part, taken); moved || err != nil {
		t.Errorf("onto a file: %v, %v", moved, err)
	}
	if b, _ := os.ReadFile(taken); string(b) != "another run's" {
		t.Errorf("the file there holds %q", b)
	}
	free := filepath.Join(dir, "free.pdf")
	if moved, err := renameExclusive(part, free); !moved || err != nil {
		t.Errorf("to a free name: %v, %v", moved, err)
	}
	if b, _ := os.ReadFile(free); string(b) != "verified" {
		t.Errorf("the file placed holds %q", b)
	}
	if files := tree(t, dir); !slices.Equal(files, []string{"free.pdf", "taken.pdf"}) {
		t.Errorf("files: %q", files)
	}
}
