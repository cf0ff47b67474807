// Package testpg runs a throwaway PostgreSQL server for tests: in a
// temporary directory, on a free port of 127.0.0.1, with fsync off, trusting
// every local connection as the superuser "test". Tests get a fresh, empty
// database each with NewDatabase.
//
// It needs the server binaries (initdb, pg_ctl): found with pg_config
// --bindir, under /usr/lib/postgresql/*/bin or on the PATH, and installed
// with apt-get when missing and running as root. A server that cannot be
// had is an error, never a reason to skip.
//
// Starting a server costs a few seconds: start one per test package (in
// TestMain with StartServer, or with Start) and a database per test. As
// PostgreSQL refuses to run as root, a test process running as root runs
// the server as the user postgres (or nobody). A watchdog process stops the
// server and removes its directory when the test process ends, even if it
// is killed.
package testpg

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the superuser of the servers, who connects without a password.
const User = "test"

// Server is a PostgreSQL server of a test process. Its methods are safe for
// concurrent use.
type Server struct {
	bin  string              // directory of initdb and pg_ctl
	root string              // temporary directory: data/, log, sockets
	cred *syscall.Credential // the user running the server, when we are root
	port int

	watchdog *exec.Cmd
	wakeDog  io.Closer // closing it makes the watchdog stop the server

	createOpts string // of CREATE DATABASE

	mu      sync.Mutex // serializes Start, Stop and Close
	running bool
	closed  bool
	dbs     atomic.Int64 // databases made
}

// Start starts a server for t and stops it, removing its files, when t
// ends. It fails t if no server can be started.
func Start(t testing.TB) *Server {
	t.Helper()
	s, err := StartServer()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	return s
}

// StartServer starts a server, installing PostgreSQL first if needed and
// possible. Close it when done; should the process end first, the
// watchdog stops it.
func StartServer() (*Server, error) {
	bin, err := findBin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	if os.Geteuid() == 0 {
		if s.cred, err = serverUser(); err != nil {
			return nil, err
		}
	}
	if s.root, err = os.MkdirTemp("", "testpg-"); err != nil {
		return nil, fmt.Errorf("testpg: %w", err)
	}
	if err := s.init(); err != nil {
		os.RemoveAll(s.root)
		return nil, err
	}
	return s, nil
}

// init makes the cluster, starts the watchdog and the server.
func (s *Server) init() error {
	if strings.ContainsAny(s.root, `'"\ `) {
		return fmt.Errorf("testpg: temporary directory %q has characters pg_ctl's options cannot take", s.root)
	}
	if s.cred != nil {
		if err := os.Chown(s.root, int(s.cred.Uid), int(s.cred.Gid)); err != nil {
			return fmt.Errorf("testpg: %w", err)
		}
	}
	out, err := s.command("postgres", "--version").Output()
	if err != nil {
		return fmt.Errorf("testpg: postgres --version: %w", err)
	}
	// "postgres (PostgreSQL) 15.14 (Debian 15.14-0+deb12u1)"
	if f := strings.Fields(string(out)); len(f) >= 3 {
		if major, _ := strconv.Atoi(strings.Split(f[2], ".")[0]); major >= 15 {
			s.createOpts = " STRATEGY FILE_COPY" // faster than the default for small databases
		}
	}
	initdb := s.command("initdb", "-D", s.data(), "-U", User, "-A", "trust", "--no-sync", "-E", "UTF8", "--locale=C")
	if out, err := initdb.CombinedOutput(); err != nil {
		return fmt.Errorf("testpg: initdb: %w\n%s", err, out)
	}

	// The watchdog stops the server and removes the directory when its
	// standard input closes: when Close closes it, or when this process
	// ends, however it ends.
	s.watchdog = s.command("/bin/sh", "-c", `read _; "$1" -D "$2" -m immediate -w stop >/dev/null 2>&1; rm -rf "$3"`,
		"testpg-watchdog", filepath.Join(s.bin, "pg_ctl"), s.data(), s.root)
	s.watchdog.SysProcAttr.Setsid = true // not killed with our process group by ^C
	w, err := s.watchdog.StdinPipe()
	if err != nil {
		return fmt.Errorf("testpg: watchdog: %w", err)
	}
	if err := s.watchdog.Start(); err != nil {
		return fmt.Errorf("testpg: watchdog: %w", err)
	}
	s.wakeDog = w

	// Another process may take the port between our probe and the
	// server's bind: try a few.
	for try := 0; ; try++ {
		if s.port, err = freePort(); err == nil {
			err = s.Start()
		}
		if err == nil || try == 2 {
			break
		}
	}
	if err != nil {
		s.stopWatchdog()
		return err
	}
	return nil
}

// data is the server's data directory.
func (s *Server) data() string { return filepath.Join(s.root, "data") }

// command returns a command running name (in the server binaries'
// directory if relative) as the server's user, in its directory, with an
// environment free of PG* variables.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	if !filepath.IsAbs(name) {
		name = filepath.Join(s.bin, name)
	}
	cmd := exec.Command(name, args...)
	cmd.Dir = s.root
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PG") && !strings.HasPrefix(kv, "LC_") && !strings.HasPrefix(kv, "LANG=") && !strings.HasPrefix(kv, "HOME=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "LC_ALL=C", "HOME="+s.root)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: s.cred}
	return cmd
}

// Port returns the TCP port the server listens on, on 127.0.0.1.
func (s *Server) Port() int { return s.port }

// URL returns the connection URL of database on the server.
func (s *Server) URL(database string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", User, s.port, database)
}

// Pid returns the id of the server's postmaster process, 0 if it is not
// running: for benchmarks that account for its CPU time (the postmaster's
// and its children's, the backends).
func (s *Server) Pid() int {
	b, err := os.ReadFile(filepath.Join(s.data(), "postmaster.pid"))
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0]))
	return pid
}

// Tool returns the path of a client program of the server's version
// (pg_dump, pg_restore, psql…), from the directory of its binaries.
func (s *Server) Tool(name string) string { return filepath.Join(s.bin, name) }

// Start starts the server if it is stopped, and waits until it accepts
// connections.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("testpg: Start after Close")
	}
	if s.running {
		return nil
	}
	// Without fsync, a commit is lost if the machine crashes, but not if
	// the server does (Stop): it is in the operating system's cache.
	opts := fmt.Sprintf("-p %d -k '%s' -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off "+
		"-c max_connections=200", s.port, s.root)
	log := filepath.Join(s.root, "log")
	out, err := s.command("pg_ctl", "-D", s.data(), "-l", log, "-w", "-t", "60", "-o", opts, "start").CombinedOutput()
	if err != nil {
		return fmt.Errorf("testpg: pg_ctl start: %w\n%s%s", err, out, logTail(log))
	}
	s.running = true
	return nil
}

// Stop stops the server at once, as a crash would (pg_ctl stop -m
// immediate): sessions are cut, the next start recovers.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	out, err := s.command("pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "-t", "60", "stop").CombinedOutput()
	if err != nil {
		return fmt.Errorf("testpg: pg_ctl stop: %w\n%s", err, out)
	}
	s.running = false
	return nil
}

// Restart stops the server at once and starts it again on the same port.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// Close stops the server and removes its files.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed, s.running = true, false
	return s.stopWatchdog()
}

// stopWatchdog wakes the watchdog, which stops the server and removes the
// directory, and waits for it.
func (s *Server) stopWatchdog() error {
	s.wakeDog.Close()
	if err := s.watchdog.Wait(); err != nil {
		return fmt.Errorf("testpg: watchdog: %w", err)
	}
	if _, err := os.Stat(s.root); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("testpg: %s was not removed", s.root)
	}
	return nil
}

// NewDatabase creates an empty database for t, dropped when t ends, and
// returns its URL.
func (s *Server) NewDatabase(t testing.TB) string {
	t.Helper()
	name := fmt.Sprintf("test_%d", s.dbs.Add(1))
	if err := s.Exec(t.Context(), "CREATE DATABASE "+name+s.createOpts); err != nil {
		t.Fatalf("testpg: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		s.mu.Lock()
		running := s.running
		s.mu.Unlock()
		if !running {
			return // a test stopped it; Close removes everything
		}
		if err := s.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("testpg: %v", err)
		}
	})
	return s.URL(name)
}

// Exec runs sql in the database "postgres" of the server, on a connection
// of its own.
func (s *Server) Exec(ctx context.Context, sql string, args ...any) error {
	conn, err := pgx.Connect(ctx, s.URL("postgres"))
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

// freePort returns a TCP port of 127.0.0.1 that was free a moment ago.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("testpg: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// logTail returns the end of the server's log, to explain a failure.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return "server log:\n" + string(b)
}

// serverUser returns the credentials of the user running the server when
// we are root: postgres, or nobody.
func serverUser() (*syscall.Credential, error) {
	var errs []error
	for _, name := range []string{"postgres", "nobody"} {
		u, err := user.Lookup(name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		uid, err1 := strconv.ParseUint(u.Uid, 10, 32)
		gid, err2 := strconv.ParseUint(u.Gid, 10, 32)
		if err := errors.Join(err1, err2); err != nil {
			errs = append(errs, err)
			continue
		}
		return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}, nil
	}
	return nil, fmt.Errorf("testpg: running as root, and no user to run PostgreSQL as: %w", errors.Join(errs...))
}

// findBin returns the directory of the server binaries, installing them if
// none are found and we are root.
func findBin() (string, error) {
	if dir, ok := lookBin(); ok {
		return dir, nil
	}
	if os.Geteuid() != 0 {
		return "", errors.New("testpg: no PostgreSQL server binaries (initdb, pg_ctl) found; install them (apt-get install postgresql) or run as root to have them installed")
	}
	if err := install(); err != nil {
		return "", err
	}
	if dir, ok := lookBin(); ok {
		return dir, nil
	}
	return "", errors.New("testpg: PostgreSQL was installed but its binaries (initdb, pg_ctl) are not found")
}

// lookBin looks for a directory holding initdb and pg_ctl.
func lookBin() (string, bool) {
	var dirs []string
	if out, err := exec.Command("pg_config", "--bindir").Output(); err == nil {
		dirs = append(dirs, strings.TrimSpace(string(out)))
	}
	// Debian's layout, newest version first.
	versions, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(versions, func(a, b string) int { return version(b) - version(a) })
	dirs = append(dirs, versions...)
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, dir := range dirs {
		if isExec(filepath.Join(dir, "initdb")) && isExec(filepath.Join(dir, "pg_ctl")) {
			return dir, true
		}
	}
	return "", false
}

// version returns the major version in /usr/lib/postgresql/VERSION/bin.
func version(dir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return n
}

func isExec(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// install installs PostgreSQL with apt-get, under a file lock so that test
// processes running in parallel do not install it at once.
func install() error {
	lock, err := os.OpenFile(filepath.Join(os.TempDir(), "testpg-install.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("testpg: %w", err)
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return fmt.Errorf("testpg: lock: %w", err)
	}
	defer syscall.Flock(int(lock.Fd()), syscall.LOCK_UN)
	if _, ok := lookBin(); ok {
		return nil // installed by another process meanwhile
	}
	for _, args := range [][]string{
		{"update"},
		{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "postgresql"},
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			return fmt.Errorf("testpg: apt-get %s: %w\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}
