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
	"context"
	"crypto/tls"
	"crypto/x509"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"navette"
	"navette/internal/testtool"
)

// Version is the version of versitygw the tests run.
const Version = "v1.8.0"

const (
	modulePath = "github.com/versity/versitygw"
	cmdPath    = modulePath + "/cmd/versitygw"

	buildTimeout = 15 * time.Minute // a cold build takes about 3 minutes
	readyTimeout = time.Minute      // for the server to answer
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
	proc *testtool.Process // nil when stopped
}

var binary = sync.OnceValues(buildBinary)

// Binary returns the path of the versitygw binary, building it on first use
// in this process, or in any process since the last version change.
func Binary() (string, error) { return binary() }

func buildBinary() (string, error) {
	gocmd, tools, _, err := testtool.GoTools("versitygw")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(tools, "versitygw")
	err = testtool.Install(filepath.Join(tools, ".versitygw.lock"), "the versitygw build", func() bool { return isVersion(bin) }, func() error {
		env := testtool.Env([]string{"GOBIN=" + tools, "GOFLAGS=", "GOWORK=off"})
		// Run outside any module.
		if out, err := testtool.Run(buildTimeout, os.TempDir(), env, gocmd, "install", cmdPath+"@"+Version); err != nil {
			return fmt.Errorf("go install %s@%s: %w\n%s", cmdPath, Version, err, out)
		}
		if !isVersion(bin) {
			return fmt.Errorf("go install %s@%s did not leave %s", cmdPath, Version, bin)
		}
		return nil
	})
	if err != nil {
		return "", err
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
		if s.CAFile, s.certFile, s.keyFile, err = testtool.WriteCerts(dir); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	// Another process may take the free port before the server does:
	// try a few.
	for range 5 {
		if s.Endpoint, err = testtool.FreeAddr(); err != nil {
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
// until it answers HTTP, for at most readyTimeout. Starting a running server
// does nothing.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.proc != nil {
		return nil
	}
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
	answers := func() error {
		resp, err := client.Get(scheme + s.Endpoint + "/")
		if err != nil {
			return err
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return nil
	}
	args := []string{"--access", s.AccessKey, "--secret", s.SecretKey, "--port", s.Endpoint, "--quiet", "--keep-alive"}
	if s.certFile != "" {
		args = append(args, "--cert", s.certFile, "--key", s.keyFile)
	}
	args = append(args, "posix", filepath.Join(s.dir, "data"))
	s.proc, err = testtool.Start("versitygw", s.Endpoint, filepath.Join(s.dir, "versitygw.log"), readyTimeout, answers, s.bin, args...)
	return err
}

// Stop kills the server, as a crash would, and waits for it to exit; its
// data stay for Start. Stopping a stopped server does nothing.
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

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	err := s.Stop()
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Pid returns the id of the server's process, 0 while it is stopped: for
// benchmarks that account for its CPU time.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.proc.Pid()
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

// transport returns an HTTP transport for s: one that trusts s's CA if it
// serves HTTPS.
func (s *Server) transport() (*http.Transport, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	var err error
	tr.TLSClientConfig, err = s.TLSConfig()
	return tr, err
}

// TLSConfig returns the TLS configuration of a client of s: one that
// trusts s's CA; nil if s serves plain HTTP.
func (s *Server) TLSConfig() (*tls.Config, error) {
	if s.CAFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}
