package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"navette/internal/testproxy"
)

// readSendState returns the one state of a send under the cache directory.
func readSendState(t *testing.T, cache string) sendState {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(cache, "navette", "send", "*.json"))
	if err != nil || len(files) != 1 {
		t.Fatalf("send states: %q, %v", files, err)
	}
	b, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	var st sendState
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(files[0]); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("state file mode: %v, %v", fi.Mode(), err)
	}
	return st
}

// interruptedSend runs args with vars through the proxy p, interrupting
// it (as Ctrl-C does) once stallAt bytes went upstream, and returns what
// it said.
func interruptedSend(t *testing.T, p *testproxy.Proxy, stallAt int64, vars map[string]string, args ...string) run {
	t.Helper()
	until := p.Forwarded(testproxy.Upstream) + stallAt
	p.Stall(testproxy.Upstream, stallAt)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan run, 1)
	go func() { done <- runCLIContext(t, ctx, vars, false, args...) }()
	for deadline := time.Now().Add(time.Minute); p.Forwarded(testproxy.Upstream) < until; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the send did not reach the stall")
		}
	}
	cancel()
	return <-done
}

// An interrupted send run again finishes the deposit the interrupted run
// submitted, if it got that far, instead of sending a second; and starts
// a new one, discarding the draft, when a file changed in between.
func TestSendInterruptedResumes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir, cache := t.TempDir(), t.TempDir()
	data := randomBytes(1_000_000, 23)
	a := writeFile(t, dir, "pieces.zip", data)
	args := []string{"send", "--to", lawyer, "--ref", "RG 26/043", a}
	p := e.proxy()
	vars := varsAt(p.URL(), e.agent)
	vars["XDG_CACHE_HOME"] = cache

	r := interruptedSend(t, p, 500_000, vars, args...)
	st := readSendState(t, cache)
	if r.code != 1 || r.stderr != "navette send: deposit "+st.Deposit+" was not submitted; run the same command again to resume it\nnavette send: "+a+": interrupted\n" {
		t.Fatalf("interrupted: %+v", r)
	}
	// The deposit is submitted as the interrupted run would have, had it
	// been killed once its submission reached the server.
	c := e.client(e.agent)
	ctx := context.Background()
	if err := c.ResumeUpload(ctx, st.Files[0].Upload, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, st.Deposit); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, vars, false, args...)
	if r.code != 0 || r.stdout != st.Deposit+"\n" || r.stderr != "navette send: deposit "+st.Deposit+" was sent by the interrupted send\n" {
		t.Fatalf("send again after the submission: %+v", r)
	}
	if n := sentCount(t, e); n != 1 {
		t.Errorf("%d deposits sent", n)
	}

	// A file changed since: the draft is discarded, a new deposit sent.
	interruptedSend(t, p, 500_000, vars, args...)
	draft := readSendState(t, cache).Deposit
	changed := randomBytes(900_000, 24)
	writeFile(t, dir, "pieces.zip", changed)
	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(a, later, later); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, vars, false, args...)
	if r.code != 0 || r.stderr != "navette send: "+a+" changed since the interrupted send: its draft "+draft+" is discarded and a new deposit sent\n" {
		t.Fatalf("send again after a change: %+v", r)
	}
	if d, err := c.Deposit(ctx, draft); err != nil || d.State != "revoked" {
		t.Errorf("the draft: %+v, %v", d, err)
	}
	d, err := c.Deposit(ctx, lastLine(r.stdout))
	if err != nil || d.ID == draft || d.State != "available" || len(d.Files) != 1 || d.Files[0].SHA256 != sha(changed) {
		t.Errorf("the new deposit: %+v, %v", d, err)
	}

	// A deposit submitted, then withdrawn, is not sent again unasked.
	interruptedSend(t, p, 500_000, vars, args...)
	st = readSendState(t, cache)
	if err := c.ResumeUpload(ctx, st.Files[0].Upload, bytes.NewReader(changed), int64(len(changed)), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, st.Deposit); err != nil {
		t.Fatal(err)
	}
	if err := c.Revoke(ctx, st.Deposit); err != nil {
		t.Fatal(err)
	}
	r = runCLI(t, vars, false, args...)
	if r.code != 1 || r.stdout != "" || r.stderr != "navette send: deposit "+st.Deposit+", left by an interrupted run of this command, may have reached its recipients and was withdrawn: nothing is sent; run the command again to send the files anew\n" {
		t.Fatalf("send again after a withdrawal: %+v", r)
	}
	if r = runCLI(t, vars, false, args...); r.code != 0 || r.stderr != "" || lastLine(r.stdout) == st.Deposit {
		t.Errorf("send once more: %+v", r)
	}
}
