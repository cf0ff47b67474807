// Package testclamd runs a real ClamAV daemon (clamd) for tests, on a unix
// socket in a temporary directory or on a free port of 127.0.0.1, with a
// signature database the harness writes itself: the EICAR test signature,
// as a body signature (eicar.ndb, found anywhere in a stream, inside
// archives too) and as a hash signature (eicar.hdb). There is no network
// and no freshclam: clamd is ready in about a second on such a database.
// Only tests import it.
//
// clamd comes from Debian's clamav-daemon, installed with apt-get when
// /usr/sbin/clamd is missing, under a file lock so that test packages run
// in parallel do not install it twice. A server that cannot be had fails
// the test: it is never skipped.
//
// clamd writes each stream it receives to its TemporaryDirectory before
// scanning it. The harness puts that directory on tmpfs (/dev/shm) when
// there is one, as production must (docs/operations.md): plaintext never
// lands on a disk.
//
// Its cache of clean verdicts is off, as docs/operations.md advises: it
// costs an MD5 pass over every stream and only spares the scan of a stream
// seen before, which uploads of different files never are. Its MaxScanTime
// is 10 minutes, as the docs advise, not clamd's 2: on a busy machine a
// large stream takes longer, and would be reported over the limit.
//
// Garbage starts a fake: a plain listener that answers junk to anything.
// It exists only to inject that failure, which a real clamd cannot be made
// to produce.
package testclamd

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"navette/clamav"
	"navette/internal/testtool"
)

const (
	clamdPath    = "/usr/sbin/clamd"
	readyTimeout = time.Minute
)

// EICAR is the 68-byte EICAR anti-virus test file, which every antivirus
// reports and which harms nothing. It is assembled here so that this
// source file itself does not hold it.
var EICAR = strings.Join([]string{`X5O!P%@AP[4\PZX54(P^)7CC)7}$`, `EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`}, "")

// Signature is the name clamd reports for EICAR with the harness's
// database: clamd adds ".UNOFFICIAL" to signatures it did not get from
// ClamAV.
const Signature = "Eicar-Test-Signature.UNOFFICIAL"

// Options tune a server. Zero values take the defaults.
type Options struct {
	// StreamMaxLength is the largest stream clamd accepts (2000 MiB).
	StreamMaxLength int64
	// MaxFileSize is the largest file clamd scans (StreamMaxLength), and
	// MaxScanSize the most it scans of one stream, counting what it finds
	// inside again (four times StreamMaxLength, at most 4000 MiB: random
	// bytes hold what looks like embedded files). Past them clamd reports
	// Heuristics.Limits.Exceeded (AlertExceedsMax is on).
	MaxFileSize, MaxScanSize int64
	// TCP listens on a free port of 127.0.0.1 instead of a unix socket.
	TCP bool
}

// Server is a running clamd. Its methods are safe for concurrent use.
type Server struct {
	// URL is the server's address as navette's --clamd takes it:
	// unix:/…/clamd.sock or tcp://127.0.0.1:PORT. It stays the same across
	// Stop and Start.
	URL string
	// TempDir is clamd's TemporaryDirectory.
	TempDir string

	dir     string
	opts    Options
	network string
	addr    string

	mu   sync.Mutex
	proc *testtool.Process // nil when stopped
}

// New starts a server for t, stopped and removed when t ends. It fails t
// if no server can be started.
func New(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Launch(opts)
	if err != nil {
		t.Fatalf("testclamd: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// Launch installs clamd if needed and starts a server with opts. The
// caller must Close it.
func Launch(opts Options) (*Server, error) {
	if err := ensureInstalled(); err != nil {
		return nil, err
	}
	if opts.StreamMaxLength <= 0 {
		opts.StreamMaxLength = 2000 << 20
	}
	if opts.MaxFileSize <= 0 {
		opts.MaxFileSize = opts.StreamMaxLength
	}
	if opts.MaxScanSize <= 0 {
		opts.MaxScanSize = min(4*opts.StreamMaxLength, 4000<<20)
	}
	dir, err := os.MkdirTemp("", "testclamd-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, opts: opts}
	tmpRoot := ""
	if fi, err := os.Stat("/dev/shm"); err == nil && fi.IsDir() {
		tmpRoot = "/dev/shm"
	}
	if s.TempDir, err = os.MkdirTemp(tmpRoot, "testclamd-tmp-"); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	if err := s.writeDatabase(); err != nil {
		s.remove()
		return nil, err
	}
	for range 5 { // another process may take a free port first
		if opts.TCP {
			s.network = "tcp"
			if s.addr, err = testtool.FreeAddr(); err != nil {
				break
			}
			s.URL = "tcp://" + s.addr
		} else {
			s.network, s.addr = "unix", filepath.Join(dir, "clamd.sock")
			s.URL = "unix:" + s.addr
		}
		if err = s.Start(); err == nil || !opts.TCP {
			break
		}
	}
	if err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

// writeDatabase writes the EICAR signatures and the configuration.
func (s *Server) writeDatabase() error {
	db := filepath.Join(s.dir, "db")
	if err := os.Mkdir(db, 0o700); err != nil {
		return err
	}
	ndb := "Eicar-Test-Signature:0:*:" + hex.EncodeToString([]byte(EICAR)) + "\n"
	if err := os.WriteFile(filepath.Join(db, "eicar.ndb"), []byte(ndb), 0o600); err != nil {
		return err
	}
	sum := md5.Sum([]byte(EICAR))
	hdb := fmt.Sprintf("%x:%d:Eicar-Test-Signature\n", sum, len(EICAR))
	return os.WriteFile(filepath.Join(db, "eicar.hdb"), []byte(hdb), 0o600)
}

// config returns clamd.conf for listening on network, addr.
func (s *Server) config() string {
	listen := "LocalSocket " + s.addr + "\n"
	if s.network == "tcp" {
		host, port, _ := net.SplitHostPort(s.addr)
		listen = "TCPSocket " + port + "\nTCPAddr " + host + "\n"
	}
	return listen + fmt.Sprintf(`DatabaseDirectory %s
TemporaryDirectory %s
LogFile %s
Foreground yes
StreamMaxLength %d
MaxFileSize %d
MaxScanSize %d
AlertExceedsMax yes
AlertEncrypted yes
MaxThreads 10
ReadTimeout 30
SelfCheck 0
DisableCache yes
MaxScanTime 600000
`, filepath.Join(s.dir, "db"), s.TempDir, filepath.Join(s.dir, "clamd.log"), s.opts.StreamMaxLength, s.opts.MaxFileSize, s.opts.MaxScanSize)
}

// Start starts clamd, stopped by Stop, on the same address, and waits
// until it answers.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
	conf := filepath.Join(s.dir, "clamd.conf")
	if err := os.WriteFile(conf, []byte(s.config()), 0o600); err != nil {
		return err
	}
	if s.network == "unix" {
		os.Remove(s.addr)
	}
	c := &clamav.Client{Network: s.network, Addr: s.addr, Timeout: time.Second}
	ready := func() error {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		return c.Ping(ctx)
	}
	p, err := testtool.Start("clamd", s.URL, filepath.Join(s.dir, "clamd.out"), readyTimeout, ready, clamdPath, "-c", conf)
	if err != nil {
		return err
	}
	s.proc = p
	return nil
}

// Stop kills clamd, as a crash would; Start starts it again.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return nil
	}
	err := s.proc.Stop()
	s.proc = nil
	return err
}

// Pid returns the id of the running clamd, 0 when it is stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc == nil {
		return 0
	}
	return s.proc.Pid()
}

// Close stops clamd and removes its files.
func (s *Server) Close() error {
	err := s.Stop()
	s.remove()
	return err
}

func (s *Server) remove() {
	os.RemoveAll(s.dir)
	if s.TempDir != "" {
		os.RemoveAll(s.TempDir)
	}
}

// Client returns a client of the server.
func (s *Server) Client() *clamav.Client {
	return &clamav.Client{Network: s.network, Addr: s.addr}
}

// TempFiles returns the names of the files in clamd's temporary directory:
// streams being scanned, or left by a scan.
func (s *Server) TempFiles() []string {
	var out []string
	filepath.WalkDir(s.TempDir, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, path)
		}
		return nil
	})
	return out
}

// Garbage starts a fake clamd for t: a unix socket whose every connection
// gets a line of junk, then is read until the client closes it. Only for
// injecting that failure. It returns its URL.
func Garbage(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "garbage.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatalf("testclamd: garbage listener: %v", err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() {
		ln.Close()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				conn.SetDeadline(time.Now().Add(time.Minute))
				conn.Write([]byte("HTTP/1.1 418 I'm a teapot\r\n\xff\xfe garbage\x00"))
				io.Copy(io.Discard, conn)
			}()
		}
	}()
	return "unix:" + path
}

// ensureInstalled installs clamav-daemon with apt-get if clamd is missing,
// under a file lock.
func ensureInstalled() error {
	return testtool.Install(filepath.Join(os.TempDir(), "testclamd-install.lock"), "the clamav-daemon install", installed, aptInstall)
}

func installed() bool {
	fi, err := os.Stat(clamdPath)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// aptInstall installs clamav-daemon with apt-get, as root.
func aptInstall() error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%s is missing: install clamav-daemon, or run as root to have it installed", clamdPath)
	}
	for _, args := range [][]string{
		{"update"},
		{"install", "-y", "--no-install-recommends", "-o", "DPkg::Lock::Timeout=300", "clamav-daemon"},
	} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		if out, err := cmd.CombinedOutput(); err != nil {
			return fmt.Errorf("apt-get %s: %w\n%s", strings.Join(args, " "), err, testtool.Tail(out, 4096))
		}
	}
	if !installed() {
		return fmt.Errorf("clamav-daemon was installed but %s is missing", clamdPath)
	}
	return nil
}
