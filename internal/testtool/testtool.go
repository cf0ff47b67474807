// Package testtool holds what the harnesses that run real servers for tests
// (internal/tests3, internal/testldap, internal/testoidc,
// internal/testbrowser) share: a file lock around installing or building a
// tool once for all the test packages run in parallel (Lock, Install), the
// go command and the cache of pinned tools it builds into (GoTools, Env,
// Run), a throwaway CA and certificate for 127.0.0.1 (WriteCerts), free
// loopback ports (FreePort, FreeAddr), and a server process started and
// waited for until it answers (Start, WaitReady). Only test harnesses
// import it.
package testtool

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// pollEvery is how often WaitReady asks a starting server.
const pollEvery = 20 * time.Millisecond

// Install runs install unless installed reports that the tool is there
// already, under the file lock lockPath (see Lock), whose directory it
// creates: the first look spares the lock when the tool is there, the
// second, under the lock, finds a tool that another test process made
// while this one waited. what names the work in the error of the lock:
// "lock the versitygw build: …".
func Install(lockPath, what string, installed func() bool, install func() error) error {
	if installed() {
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(lockPath), 0o755); err != nil {
		return err
	}
	unlock, err := Lock(lockPath)
	if err != nil {
		return fmt.Errorf("lock %s: %w", what, err)
	}
	defer unlock()
	if installed() {
		return nil
	}
	return install()
}

// GoTools returns the go command that builds a harness's tool (the one on
// PATH, else $GOROOT/bin/go) and the tools cache dir: navette-tools in the
// first entry of $(go env GOPATH), where the harnesses build pinned tools
// once for every test process and keep them across runs (scripts/test.sh
// keeps staticcheck there too). It does not create dir. It also returns
// the values of the go env variables vars, in order. what names the tool
// in errors: "no go command to build versitygw: …".
func GoTools(what string, vars ...string) (gocmd, dir string, values []string, err error) {
	gocmd, err = exec.LookPath("go")
	if err != nil {
		root := os.Getenv("GOROOT")
		if root == "" {
			return "", "", nil, fmt.Errorf("no go command to build %s: %w", what, err)
		}
		gocmd = filepath.Join(root, "bin", "go")
	}
	names := append([]string{"GOPATH"}, vars...)
	out, err := exec.Command(gocmd, append([]string{"env"}, names...)...).Output()
	if err != nil {
		return "", "", nil, fmt.Errorf("go env %s: %w", strings.Join(names, " "), err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(names) {
		return "", "", nil, fmt.Errorf("go env %s printed %q", strings.Join(names, " "), out)
	}
	for i := range lines {
		lines[i] = strings.TrimSpace(lines[i])
	}
	gopath := lines[0]
	if i := strings.IndexByte(gopath, os.PathListSeparator); i >= 0 {
		gopath = gopath[:i]
	}
	if gopath == "" {
		return "", "", nil, errors.New("go env GOPATH is empty")
	}
	return gocmd, filepath.Join(gopath, "navette-tools"), lines[1:], nil
}

// Env returns set (NAME=value entries) followed by this process's
// environment less the variables that set names and those named in drop:
// the environment of a go command that must not inherit them.
func Env(set []string, drop ...string) []string {
	skip := make(map[string]bool, len(set)+len(drop))
	for _, kv := range set {
		name, _, _ := strings.Cut(kv, "=")
		skip[name] = true
	}
	for _, name := range drop {
		skip[name] = true
	}
	env := append([]string(nil), set...)
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); !skip[name] {
			env = append(env, kv)
		}
	}
	return env
}

// Run runs name with args in dir with env (empty and nil mean this
// process's, as for exec.Cmd), killed if it takes longer than timeout, and
// returns its standard output and error together.
func Run(timeout time.Duration, dir string, env []string, name string, args ...string) ([]byte, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir = dir
	cmd.Env = env
	return cmd.CombinedOutput()
}

// FreePort returns a TCP port of 127.0.0.1 that was free a moment ago.
// Another process may take it before the server does: a harness tries a
// few.
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// FreeAddr is FreePort as an address, 127.0.0.1:PORT.
func FreeAddr() (string, error) {
	port, err := FreePort()
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("127.0.0.1:%d", port), nil
}

// Process is a server process that Start started.
type Process struct {
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Start starts bin with args for a harness, its standard output and error
// appended to logFile (on Linux, the kernel kills it should the test
// process die without stopping it), and waits as WaitReady does, for at
// most timeout, until ready returns nil. A process that does not get ready
// is killed. Errors name it as name on addr ("versitygw on
// 127.0.0.1:PORT: …") and end with the tail of its log.
func Start(name, addr, logFile string, timeout time.Duration, ready func() error, bin string, args ...string) (*Process, error) {
	logf, err := os.OpenFile(logFile, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{cmd: cmd, done: make(chan struct{})}
	go func() {
		cmd.Wait()
		close(p.done)
	}()
	if err := WaitReady(timeout, p.done, ready); err != nil {
		p.Stop()
		log, _ := os.ReadFile(logFile)
		return nil, fmt.Errorf("%s on %s: %w\n%s", name, addr, err, Tail(log, 8192))
	}
	return p, nil
}

// Pid returns the process's id, 0 for no process (nil).
func (p *Process) Pid() int {
	if p == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

// Stop kills the process, as a crash would, and waits for it to exit.
func (p *Process) Stop() error {
	err := p.cmd.Process.Kill()
	<-p.done
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// WaitReady calls ready every 20ms until it returns nil, for at most
// timeout ("no answer after 1m0s: " and ready's last error), unless the
// server exits first, which closes exited ("exited at start").
func WaitReady(timeout time.Duration, exited <-chan struct{}, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := ready()
		if err == nil {
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited at start")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %v: %w", timeout, err)
		}
		select {
		case <-exited:
			return errors.New("exited at start")
		case <-time.After(pollEvery):
		}
	}
}

// Tail returns the end of a log or of a command's output, at most n bytes
// of it less surrounding white space, to explain a failure.
func Tail(b []byte, n int) string {
	b = bytes.TrimSpace(b)
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return string(b)
}
