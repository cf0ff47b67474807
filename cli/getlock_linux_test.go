package cli

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"navette/internal/testproxy"
)

// A get killed mid-way (SIGKILL, no chance to clean up) leaves its part
// file, which another get cannot take while the first lives (it names its
// pid), and which the next get after its death resumes: the kernel
// released the lock.
func TestGetKilled(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	data := randomBytes(1_000_000, 14)
	id, fids := e.deposit("RG", file{"acte.pdf", data})
	p := e.proxy()
	out := t.TempDir()
	part := filepath.Join(out, "."+fids[0]+partSuffix)

	const stallAt = 400_000
	p.Stall(testproxy.Downstream, stallAt) // the child waits there until killed
	child := startChild(t, []string{"get", "--out", out, id}, varsAt(p.URL(), e.lawyer))
	// Go on once the child is frozen with a part file written: a stall that
	// had not struck yet would freeze the resumed get below instead.
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(20 * time.Millisecond) {
		if st, err := os.Stat(part); err == nil && st.Size() > 0 && p.Forwarded(testproxy.Downstream) >= stallAt {
			break
		}
		child.checkAlive(t)
		if time.Now().After(deadline) {
			t.Fatal("the child get wrote no part file")
		}
	}

	r := runCLI(t, e.vars(e.lawyer), false, "get", "--out", out, id)
	if want := busyLine("acte.pdf", child.cmd.Process.Pid); r.code != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("get while the child holds the part: %+v, want %q", r, want)
	}

	child.kill()
	st, err := os.Stat(part)
	if err != nil || st.Size() == 0 || st.Size() >= int64(len(data)) {
		t.Fatalf("part file after the kill: %v, %v", st, err)
	}
	before := len(fileGets(p, id, fids[0]))
	r = runCLI(t, varsAt(p.URL(), e.lawyer), false, "get", "--out", out, id)
	if r.code != 0 || r.stdout != filepath.Join(out, "acte.pdf")+"\n" {
		t.Fatalf("get after the kill: %+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "acte.pdf")); !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	gets := fileGets(p, id, fids[0])[before:]
	if rng := "bytes=" + strconv.FormatInt(st.Size(), 10) + "-"; len(gets) != 1 || gets[0].Header.Get("Range") != rng {
		t.Errorf("%d requests, want one with Range %q: %v", len(gets), rng, gets)
	}
	if files := tree(t, out); len(files) != 1 {
		t.Errorf("files: %q", files)
	}
}
