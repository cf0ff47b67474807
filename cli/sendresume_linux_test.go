package cli

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testproxy"
)

// A send killed mid-upload (SIGKILL: no chance to say or save anything)
// and run again goes on with the same deposit (run while the first lives,
// it is refused): it sends only what the
// server lacks, never a file twice, and submits one deposit, whose files
// are the ones sent, each stored once. An upload the killed run created
// but had not recorded (killed in between) is removed first.
func TestSendKilledResumes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir, cache := t.TempDir(), t.TempDir()
	small := randomBytes(200_000, 21)
	big := randomBytes(2_000_000, 22)
	a := writeFile(t, dir, "bordereau.pdf", small)
	b := writeFile(t, dir, "expertise.zip", big)
	args := []string{"send", "--to", lawyer, "--ref", "RG 26/042", "--message", "Rapport", a, b}
	p := e.proxy()
	vars := varsAt(p.URL(), e.agent)
	vars["XDG_CACHE_HOME"] = cache

	killMidUpload(t, p, 1_200_000, vars, args) // in the second file

	st := readSendState(t, cache)
	if st.Deposit == "" || len(st.Files) != 2 || st.Files[1].Upload == "" || st.Submitting {
		t.Fatalf("state after the kill: %+v", st)
	}
	// A run killed between creating an upload and recording it leaves one
	// the state does not know.
	if _, err := e.client(e.agent).CreateUpload(context.Background(), st.Deposit, "expertise.zip", int64(len(big))); err != nil {
		t.Fatal(err)
	}

	before := len(p.Transcript(testproxy.Upstream))
	runAgain(t, vars, args, st.Deposit)
	d, err := e.client(e.agent).Deposit(context.Background(), st.Deposit)
	if err != nil || d.State != "available" || len(d.Files) != 2 {
		t.Fatalf("deposit %+v, %v", d, err)
	}
	for i, want := range [][]byte{small, big} {
		if f := d.Files[i]; f.SHA256 != sha(want) || f.Size != int64(len(want)) || f.ID != path.Base(st.Files[i].Upload) {
			t.Errorf("file %d: %+v", i, f)
		}
	}
	if n := sentCount(t, e); n != 1 {
		t.Errorf("%d deposits sent", n)
	}
	checkResumed(t, e, p, before, d.ID, st, cache, int64(len(big)))
}

// TestReplyKilledResumes is TestSendKilledResumes for navette reply: the
// reply killed mid-upload and run again goes on with the same draft, sends
// only what the server lacks, and makes one reply.
func TestReplyKilledResumes(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *app.Config) { c.PartnersToAgents = true })
	dir, cache := t.TempDir(), t.TempDir()
	s := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "Parquet 26/777", writeFile(t, dir, "requisitions.pdf", randomBytes(5000, 31)))
	if s.code != 0 {
		t.Fatalf("send: exit %d: %s", s.code, s.stderr)
	}
	answered := lastLine(s.stdout)
	small := randomBytes(200_000, 32)
	big := randomBytes(2_000_000, 33)
	a := writeFile(t, dir, "observations.pdf", small)
	b := writeFile(t, dir, "pieces.zip", big)
	args := []string{"reply", answered, "--message", "Mes pièces", a, b}
	p := e.proxy()
	vars := varsAt(p.URL(), e.lawyer)
	vars["XDG_CACHE_HOME"] = cache

	killMidUpload(t, p, 1_200_000, vars, args)
	st := readSendState(t, cache)
	if st.Deposit == "" || len(st.Files) != 2 || st.Files[1].Upload == "" || st.Submitting {
		t.Fatalf("state after the kill: %+v", st)
	}

	before := len(p.Transcript(testproxy.Upstream))
	runAgain(t, vars, args, st.Deposit)
	d, err := e.client(e.lawyer).Deposit(context.Background(), st.Deposit)
	if err != nil || d.State != "available" || len(d.Files) != 2 || d.Reference != "Parquet 26/777" {
		t.Fatalf("reply %+v, %v", d, err)
	}
	for i, want := range [][]byte{small, big} {
		if f := d.Files[i]; f.SHA256 != sha(want) || f.Size != int64(len(want)) {
			t.Errorf("file %d: %+v", i, f)
		}
	}
	evs, err := e.app.Meta.Events(context.Background(), navette.EventFilter{Limit: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	var replies []string
	for _, ev := range evs {
		if ev.Type == navette.EventDepositReply && ev.Detail == answered {
			replies = append(replies, ev.DepositID)
		}
	}
	if len(replies) != 1 || replies[0] != d.ID {
		t.Errorf("replies journaled: %q, want [%s]", replies, d.ID)
	}
	checkResumed(t, e, p, before, d.ID, st, cache, int64(len(big)))
}

// runAgain runs the command args with vars again after killMidUpload, and
// checks that it said it resumed deposit id, of whose 2.2 MB some were
// sent, and ended with it sent.
func runAgain(t *testing.T, vars map[string]string, args []string, id string) {
	t.Helper()
	r := runCLI(t, vars, false, args...)
	first, _, _ := strings.Cut(r.stderr, "\n")
	if r.code != 0 || lastLine(r.stdout) != id || !strings.HasPrefix(first, "navette "+args[0]+": resuming deposit "+id+": ") ||
		!strings.HasSuffix(first, " of 2.2 MB already sent") {
		t.Fatalf("%s again: %+v", args[0], r)
	}
}

// killMidUpload runs the command args with vars through the proxy p in a
// child process and kills it (SIGKILL: no chance to say or save anything)
// once stallAt more bytes went upstream; the same command run while the child
// lives is refused first, with the busy error of its kind.
func killMidUpload(t *testing.T, p *testproxy.Proxy, stallAt int64, vars map[string]string, args []string) {
	t.Helper()
	until := p.Forwarded(testproxy.Upstream) + stallAt
	p.Stall(testproxy.Upstream, stallAt)
	child := startChild(t, args, vars)
	for deadline := time.Now().Add(time.Minute); p.Forwarded(testproxy.Upstream) < until; time.Sleep(20 * time.Millisecond) {
		child.checkAlive(t)
		if time.Now().After(deadline) {
			t.Fatalf("the child %s did not reach the stall", args[0])
		}
	}
	// The same command run while the first one lives is refused: two would
	// send two deposits.
	busy := map[string]error{"send": errSendBusy, "reply": errReplyBusy}[args[0]]
	if r := runCLI(t, vars, false, args...); r.code != 1 || r.stdout != "" || r.stderr != "navette "+args[0]+": "+busy.Error()+"\n" {
		t.Errorf("%s while another runs: %+v", args[0], r)
	}
	child.kill()
}

// checkResumed checks what a command run again after killMidUpload did,
// from the proxy p's upstream transcript after before bytes: deposit id,
// left in st, was created and submitted once, its two files stored once;
// nothing of the first file was sent again and the second was resumed,
// sent again at most whole (secondSize bytes); its state is removed.
func checkResumed(t *testing.T, e *testEnv, p *testproxy.Proxy, before int, id string, st sendState, cache string, secondSize int64) {
	t.Helper()
	evs, err := e.app.Meta.Events(context.Background(), navette.EventFilter{DepositID: id})
	if err != nil {
		t.Fatal(err)
	}
	counts := map[navette.EventType]int{}
	for _, ev := range evs {
		counts[ev.Type]++
	}
	for typ, want := range map[navette.EventType]int{navette.EventDepositCreated: 1, navette.EventFileStored: 2, navette.EventDepositSubmitted: 1, navette.EventDepositAvailable: 1} {
		if counts[typ] != want {
			t.Errorf("events %s: %d, want %d", typ, counts[typ], want)
		}
	}

	// The run again sent the second file from where the server was, and
	// nothing of the first.
	again := p.Transcript(testproxy.Upstream)[before:]
	if n := bytes.Count(again, []byte("POST "+api.PathUploads)); n != 0 {
		t.Errorf("%d uploads created again", n)
	}
	if n := bytes.Count(again, []byte("PATCH "+urlPath(t, st.Files[0].Upload))); n != 0 {
		t.Errorf("%d PATCH of the first file again", n)
	}
	patches := p.Requests("PATCH", urlPath(t, st.Files[1].Upload))
	if len(patches) < 2 {
		t.Fatalf("%d PATCH of the second file", len(patches))
	}
	last := patches[len(patches)-1]
	if off, _ := strconv.Atoi(last.Header.Get("Upload-Offset")); off == 0 || int64(len(again)) > secondSize {
		t.Errorf("resumed at %d, %d bytes sent again", off, len(again))
	}
	if left, _ := filepath.Glob(filepath.Join(cache, "navette", "send", "*")); len(left) != 0 {
		t.Errorf("state left: %q", left)
	}
}

// urlPath returns the path of the URL u.
func urlPath(t *testing.T, u string) string {
	t.Helper()
	pu, err := url.Parse(u)
	if err != nil {
		t.Fatal(err)
	}
	return pu.Path
}

// child is the test binary running a navette command in a process of its
// own.
type child struct {
	cmd    *exec.Cmd
	out    bytes.Buffer
	exited chan error
}

// startChild runs the command args with vars in a child process, killed
// at the end of the test.
func startChild(t *testing.T, args []string, vars map[string]string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	c := &child{cmd: exec.Command(exe), exited: make(chan error, 1)}
	c.cmd.Env = append(os.Environ(), getChildEnv+"="+strings.Join(args, "\n"))
	for k, v := range vars {
		c.cmd.Env = append(c.cmd.Env, k+"="+v)
	}
	c.cmd.Stdout, c.cmd.Stderr = &c.out, &c.out
	c.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := c.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { c.exited <- c.cmd.Wait() }()
	t.Cleanup(func() { c.kill() })
	return c
}

// checkAlive fails the test if the child ended.
func (c *child) checkAlive(t *testing.T) {
	t.Helper()
	select {
	case err := <-c.exited:
		c.exited <- err
		t.Fatalf("the child ended: %v\n%s", err, c.out.Bytes())
	default:
	}
}

// kill kills the child and waits for its end.
func (c *child) kill() {
	c.cmd.Process.Kill()
	err := <-c.exited
	c.exited <- err
}
