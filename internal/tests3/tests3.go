// Package tests3 runs an S3 server for tests: versitygw over a temporary
// directory, on a free loopback port. Only tests import it.
//
// versitygw is built once with "go install" into $(go env GOPATH)/navette-tools,
// under a lock file so that test packages run in parallel do not build it
// twice (a cold build takes minutes; later runs find the binary). A server
// that cannot be built or started fails the test: it is never skipped.
//
// A test package shares one server (Shared, with Main as its TestMain) and
// makes a bucket per test (NewBucket). Tests that take the server down make
// their own (New) and use Stop and Start.
package tests3

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"navette"
)

// Version is the version of versitygw the tests run.
const Version = "v1.8.0"

const (
	modulePath = "github.com/versity/versitygw"
	cmdPath    = modulePath + "/cmd/versitygw"

	buildTimeout = 15 * time.Minute // a cold build takes about 3 minutes
	readyTimeout = time.Minute      // for the server to answer
	pollEvery    = 20 * time.Millisecond
)

// Environment variables that Setenv sets, as package navette/s3 reads them.
const (
	envAccessKey = "NAVETTE_S3_ACCESS_KEY"
	envSecretKey = "NAVETTE_S3_SECRET_KEY"
)

// Server is a versitygw process serving the posix directory of a temporary
// directory. Its methods are safe for concurrent use.
type Server struct {
	// Endpoint is the server's address, 127.0.0.1:PORT; it stays the same
	// across Stop and Start.
	Endpoint string
	// AccessKey and SecretKey are the credentials of the server's root
	// account.
	AccessKey, SecretKey string
	// CAFile is the PEM file of the CA that signs the certificate of a
	// server that serves HTTPS (LaunchTLS), for 127.0.0.1; empty for plain
	// HTTP.
	CAFile string

	certFile, keyFile string
	bin               string
	dir               string // holds data/ (the buckets) and versitygw.log
	client            *minio.Client

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

var build struct {
	once sync.Once
	bin  string
	err  error
}

// Binary returns the path of the versitygw binary, building it on first use
// in this process, or in any process since the last version change.
func Binary() (string, error) {
	build.once.Do(func() { build.bin, build.err = buildBinary() })
	return build.bin, build.err
}

func buildBinary() (string, error) {
	gocmd, err := exec.LookPath("go")
	if err != nil {
		if root := os.Getenv("GOROOT"); root != "" {
			gocmd = filepath.Join(root, "bin", "go")
		} else {
			return "", fmt.Errorf("no go command to build versitygw: %w", err)
		}
	}
	out, err := exec.Command(gocmd, "env", "GOPATH").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOPATH: %w", err)
	}
	gopath := strings.TrimSpace(string(out))
	if i := strings.IndexByte(gopath, os.PathListSeparator); i >= 0 {
		gopath = gopath[:i]
	}
	if gopath == "" {
		return "", errors.New("go env GOPATH is empty")
	}
	gobin := filepath.Join(gopath, "navette-tools")
	bin := filepath.Join(gobin, "versitygw")
	if isVersion(bin) {
		return bin, nil
	}
	if err := os.MkdirAll(gobin, 0o755); err != nil {
		return "", err
	}
	unlock, err := lockFile(filepath.Join(gobin, ".versitygw.lock"))
	if err != nil {
		return "", fmt.Errorf("lock the versitygw build: %w", err)
	}
	defer unlock()
	if isVersion(bin) { // built by another test process while we waited
		return bin, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), buildTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, gocmd, "install", cmdPath+"@"+Version)
	cmd.Dir = os.TempDir() // outside any module
	env := []string{"GOBIN=" + gobin, "GOFLAGS=", "GOWORK=off"}
	for _, kv := range os.Environ() {
		switch name, _, _ := strings.Cut(kv, "="); name {
		case "GOBIN", "GOFLAGS", "GOWORK":
		default:
			env = append(env, kv)
		}
	}
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go install %s@%s: %w\n%s", cmdPath, Version, err, out)
	}
	if !isVersion(bin) {
		return "", fmt.Errorf("go install %s@%s did not leave %s", cmdPath, Version, bin)
	}
	return bin, nil
}

// isVersion reports whether bin is a versitygw binary of Version.
func isVersion(bin string) bool {
	info, err := buildinfo.ReadFile(bin)
	return err == nil && info.Main.Path == modulePath && info.Main.Version == Version
}

// Launch builds versitygw if needed and starts a server on a free port of
// 127.0.0.1 over a new temporary directory, serving plain HTTP. The caller
// must Close it.
func Launch() (*Server, error) { return launch(false) }

// LaunchTLS is Launch for a server that serves HTTPS with a certificate
// signed by a CA of its own, whose certificate is in CAFile.
func LaunchTLS() (*Server, error) { return launch(true) }

func launch(withTLS bool) (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "navette-s3-")
	if err != nil {
		return nil, err
	}
	if err := os.Mkdir(filepath.Join(dir, "data"), 0o700); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{
		AccessKey: "nvtest" + navette.NewID()[:14],
		SecretKey: navette.NewID(),
		bin:       bin,
		dir:       dir,
	}
	if withTLS {
		if s.CAFile, s.certFile, s.keyFile, err = writeCerts(dir); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	// Another process may take the free port before the server does:
	// try a few.
	for range 5 {
		if s.Endpoint, err = freePort(); err != nil {
			break
		}
		if err = s.Start(); err == nil {
			break
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	tr, err := s.transport()
	if err == nil {
		s.client, err = minio.New(s.Endpoint, &minio.Options{
			Creds:        credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""),
			Secure:       s.CAFile != "",
			Transport:    tr,
			Region:       "us-east-1",
			BucketLookup: minio.BucketLookupPath,
		})
	}
	if err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// freePort returns 127.0.0.1:PORT for a port that was free a moment ago.
func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr, nil
}

// New starts a server for t alone, closed when t ends. It fails t if the
// server cannot start.
func New(t testing.TB) *Server {
	t.Helper()
	s, err := Launch()
	if err != nil {
		t.Fatalf("S3 test server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// NewTLS is New for a server that serves HTTPS (see LaunchTLS).
func NewTLS(t testing.TB) *Server {
	t.Helper()
	s, err := LaunchTLS()
	if err != nil {
		t.Fatalf("S3 test server: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the server of the test package, started on first use and
// closed by Main. It fails t if the server cannot start.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = Launch() })
	if shared.err != nil {
		t.Fatalf("S3 test server: %v", shared.err)
	}
	return shared.srv
}

// Main is a TestMain for packages that use Shared: it runs the tests, then
// closes the shared server if one was started.
func Main(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Close()
	}
	os.Exit(code)
}

// Start starts the server, on its port and over its directory, and waits
// until it answers. Starting a running server does nothing.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd != nil {
		return nil
	}
	logf, err := os.OpenFile(filepath.Join(s.dir, "versitygw.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close()
	args := []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.Endpoint, "--quiet", "--keep-alive"}
	if s.certFile != "" {
		args = append(args, "--cert", s.certFile, "--key", s.keyFile)
	}
	cmd := exec.Command(s.bin, append(args, "posix", filepath.Join(s.dir, "data"))...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	if err := s.waitReady(done); err != nil {
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("versitygw on %s: %w\n%s", s.Endpoint, err, s.logTail())
	}
	s.cmd, s.done = cmd, done
	return nil
}

// waitReady polls the server until it answers HTTP, it exits, or
// readyTimeout passes.
func (s *Server) waitReady(exited <-chan struct{}) error {
	tr, err := s.transport()
	if err != nil {
		return err
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Timeout: 2 * time.Second, Transport: tr}
	scheme := "http://"
	if s.CAFile != "" {
		scheme = "https://"
	}
	deadline := time.Now().Add(readyTimeout)
	for {
		resp, err := client.Get(scheme + s.Endpoint + "/")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited at start")
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer after %v: %w", readyTimeout, err)
		}
		select {
		case <-exited:
			return errors.New("exited at start")
		case <-time.After(pollEvery):
		}
	}
}

// logTail returns the end of the server's log.
func (s *Server) logTail() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "versitygw.log"))
	if len(b) > 4096 {
		b = b[len(b)-4096:]
	}
	return string(bytes.TrimSpace(b))
}

// Stop kills the server, as a crash would, and waits for it to exit; its
// data stay for Start. Stopping a stopped server does nothing.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return nil
	}
	err := s.cmd.Process.Kill()
	<-s.done
	s.cmd, s.done = nil, nil
	if err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	return nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Stop()
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Dir returns the directory the server keeps its buckets in, one
// subdirectory each.
func (s *Server) Dir() string { return filepath.Join(s.dir, "data") }

// NewBucket creates a bucket with a new random name and returns its name.
// It fails t if it cannot.
func (s *Server) NewBucket(t testing.TB) string {
	t.Helper()
	name := "nv-" + navette.NewID()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := s.client.MakeBucket(ctx, name, minio.MakeBucketOptions{}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return name
}

// URL returns the navette blob store URL of bucket on s (path-style; plain
// HTTP, or HTTPS trusting CAFile), with extra query parameters appended if
// given.
func (s *Server) URL(bucket string, extra ...string) string {
	u := "s3://" + bucket + "?endpoint=" + s.Endpoint + "&path_style=true"
	if s.CAFile != "" {
		u += "&ca=" + url.QueryEscape(s.CAFile)
	} else {
		u += "&secure=false"
	}
	for _, e := range extra {
		u += "&" + e
	}
	return u
}

// Setenv sets the credentials of s in the environment variables that
// navette's S3 store reads, for the duration of t. Tests that call it cannot
// run in parallel.
func (s *Server) Setenv(t testing.TB) {
	t.Helper()
	t.Setenv(envAccessKey, s.AccessKey)
	t.Setenv(envSecretKey, s.SecretKey)
}

// Client returns a client of s with its root credentials.
func (s *Server) Client() *minio.Client { return s.client }
