package cli

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// lockedBuffer is a buffer the server's goroutines may write to while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// issueCert writes a certificate for 127.0.0.1 with the serial number,
// signed by a throwaway CA, and its key; it returns the CA's pool.
func issueCert(t *testing.T, serial int64, certFile, keyFile string) *x509.CertPool {
	t.Helper()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "127.0.0.1"}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	kder, _ := x509.MarshalPKCS8PrivateKey(key)
	for name, b := range map[string][]byte{
		certFile: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		keyFile:  pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}),
	} {
		if err := os.WriteFile(name+".new", b, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(name+".new", name); err != nil {
			t.Fatal(err)
		}
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool
}

// TestServeReloadsTLSOnHangup: "navette serve" with --tls-cert and
// --tls-key takes a new certificate when the process gets SIGHUP. The
// signal is sent only once the server says it serves, by which time it
// listens for it.
func TestServeReloadsTLSOnHangup(t *testing.T) {
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	pool := issueCert(t, 2, certFile, keyFile)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr lockedBuffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &bytes.Buffer{}, Stderr: &stderr,
		Getenv: func(string) string { return "" }, IsTerminal: func(io.Writer) bool { return false }, Context: ctx,
	}
	done := make(chan int, 1)
	go func() {
		done <- Main([]string{"serve", "--data", filepath.Join(dir, "data"), "--addr", "127.0.0.1:0", "--tls-cert", certFile, "--tls-key", keyFile, "--antivirus=off"}, env)
	}()
	serving := regexp.MustCompile(`serving https://(127\.0\.0\.1:\d+)`)
	var addr string
	waitUntil(t, "the server to serve", func() bool {
		select {
		case code := <-done:
			t.Fatalf("serve exited with %d: %s", code, stderr.String())
		default:
		}
		if m := serving.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
		return addr != ""
	})
	serial := func() int64 {
		t.Helper()
		c, err := tls.Dial("tcp", addr, &tls.Config{RootCAs: pool})
		if err != nil {
			return 0 // the test's pool may be the other CA's
		}
		defer c.Close()
		return c.ConnectionState().PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 2 {
		t.Fatalf("serial %d, want 2", got)
	}
	pool = issueCert(t, 3, certFile, keyFile)
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the new certificate", func() bool { return serial() == 3 })
	if !strings.Contains(stderr.String(), "TLS certificate reloaded") {
		t.Errorf("the reload is not logged: %s", stderr.String())
	}
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("serve exited with %d: %s", code, stderr.String())
	}
}

// waitUntil polls cond until it holds; the bound only keeps a broken
// server from hanging the test.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestServeFlagsRefused: the TLS and slow-client flags are checked before
// anything starts, from the command line or the environment.
func TestServeFlagsRefused(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args []string
		vars map[string]string
		want string
	}{
		{[]string{"--tls-cert", "c.pem"}, nil, "--tls-cert and --tls-key go together"},
		{nil, map[string]string{"NAVETTE_TLS_KEY": "k.pem"}, "--tls-cert and --tls-key go together"},
		{[]string{"--body-idle-timeout", "100ms"}, nil, "--body-idle-timeout must be at least 1s"},
		{[]string{"--max-conns", "0"}, nil, "--max-conns positive"},
		{[]string{"--max-uploads-per-ip", "-1"}, nil, "not negative"},
		{[]string{"--body-min-rate", "-5"}, nil, "not negative"},
		{[]string{"--approvals", "0"}, nil, "--approvals must be 2"},
		{nil, map[string]string{"NAVETTE_APPROVALS": "3"}, "--approvals must be 2"},
		{[]string{"--step-up-age", "10m"}, nil, "--step-up-age must be between 30s and 5m"},
		{nil, map[string]string{"NAVETTE_STEP_UP_AGE": "1s"}, "--step-up-age must be between 30s and 5m"},
		{[]string{"--mail-retry-after", "500ms"}, nil, "--mail-retry-after must be at least 1s"},
		{[]string{"--max-retention-days", "31"}, nil, "--max-retention-days must be at most 30"},
	} {
		args := append([]string{"serve", "--data", dir, "--addr", "127.0.0.1:0"}, c.args...)
		r := runCLI(t, c.vars, false, args...)
		if r.code != 2 || !strings.Contains(r.stderr, c.want) {
			t.Errorf("%v %v: exit %d, %q; want 2 and %q", c.args, c.vars, r.code, r.stderr, c.want)
		}
	}
}

// TestServeMailRetry: --mail-retry-after is the wait before a failed notice
// is tried again, and the outbox is looked at at least that often.
func TestServeMailRetry(t *testing.T) {
	for _, c := range []struct {
		args        []string
		retry, poll time.Duration
	}{
		{nil, 30 * time.Second, 15 * time.Second},
		{[]string{"--mail-retry-after", "2s"}, 2 * time.Second, 2 * time.Second},
		{[]string{"--mail-retry-after", "1m"}, time.Minute, 15 * time.Second},
	} {
		env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard,
			Getenv: func(string) string { return "" }, IsTerminal: func(io.Writer) bool { return false }, Context: t.Context()}
		var f serverFlags
		fs := newFlagSet(env, "serve", "")
		f.define(fs, t.TempDir(), false)
		if err := parseFlags(fs, env, append([]string{"--antivirus", "off"}, c.args...)); err != nil {
			t.Fatal(err)
		}
		cfg, err := f.config(env)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.MailBackoff != c.retry || cfg.MailPoll != c.poll {
			t.Errorf("%v: retry after %v, poll %v; want %v, %v", c.args, cfg.MailBackoff, cfg.MailPoll, c.retry, c.poll)
		}
	}
}

// TestServeTSACARefused: a --tsa-ca that cannot be used stops serve at
// start, with --tsa or without it (the attestations check the tokens
// stored already against its roots): one line, a non-zero exit.
func TestServeTSACARefused(t *testing.T) {
	dir := t.TempDir()
	notPEM := writeFile(t, dir, "ca.pem", []byte("not a certificate\n"))
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--tsa-ca", filepath.Join(dir, "missing.pem")}, "The time-stamping authority's CA file cannot be read"},
		{[]string{"--tsa-ca", notPEM}, "The time-stamping authority's CA file holds no PEM certificate."},
		{[]string{"--tsa", "https://tsa.example/", "--tsa-ca", notPEM}, "The time-stamping authority's CA file holds no PEM certificate."},
	} {
		// Were the file ignored, serve would serve until this ends.
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		var stdout, stderr lockedBuffer
		env := &Env{Stdin: strings.NewReader(""), Stdout: &stdout, Stderr: &stderr, Context: ctx,
			Getenv: func(string) string { return "" }, IsTerminal: func(io.Writer) bool { return false }}
		code := Main(append([]string{"serve", "--data", t.TempDir(), "--addr", "127.0.0.1:0", "--antivirus", "off"}, c.args...), env)
		cancel()
		lines := strings.Split(strings.TrimSpace(stderr.String()), "\n")
		if code == 0 || len(lines) != 1 || !strings.Contains(lines[0], c.want) {
			t.Errorf("%v: exit %d, %q; want non-zero and one line saying %q", c.args, code, stderr.String(), c.want)
		}
	}
}
