package testtool_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette/internal/testtool"
)

// helperEnv makes the test binary act as a server process for TestStart.
const helperEnv = "TESTTOOL_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "":
		os.Exit(m.Run())
	case "serve":
		fmt.Println("serving")
		time.Sleep(time.Minute)
		os.Exit(0)
	case "fail":
		fmt.Println("boom: cannot serve")
		os.Exit(1)
	}
}

func TestInstall(t *testing.T) {
	dir := t.TempDir()
	lock := filepath.Join(dir, "tools", ".tool.lock")
	bin := filepath.Join(dir, "tools", "tool")
	installed := func() bool { _, err := os.Stat(bin); return err == nil }
	runs := 0
	install := func() error {
		runs++
		return os.WriteFile(bin, []byte("x"), 0o755)
	}
	for range 2 {
		if err := testtool.Install(lock, "the tool build", installed, install); err != nil {
			t.Fatal(err)
		}
	}
	if runs != 1 {
		t.Errorf("install ran %d times, want 1", runs)
	}
	if _, err := os.Stat(lock); err != nil {
		t.Errorf("lock file: %v", err)
	}
	want := errors.New("no network")
	if err := testtool.Install(filepath.Join(dir, "other.lock"), "x", func() bool { return false }, func() error { return want }); err != want {
		t.Errorf("Install = %v, want install's error", err)
	}
}

func TestGoTools(t *testing.T) {
	gocmd, dir, values, err := testtool.GoTools("a tool", "GOVERSION")
	if err != nil {
		t.Fatal(err)
	}
	if gocmd == "" || filepath.Base(dir) != "navette-tools" || len(values) != 1 || !strings.HasPrefix(values[0], "go") {
		t.Errorf("GoTools = %q, %q, %q", gocmd, dir, values)
	}
}

func TestEnv(t *testing.T) {
	t.Setenv("GOFLAGS", "-mod=mod")
	t.Setenv("GOOS", "plan9")
	t.Setenv("TESTTOOL_KEPT", "yes")
	env := testtool.Env([]string{"GOFLAGS=", "GOWORK=off"}, "GOOS")
	if !slices.Equal(env[:2], []string{"GOFLAGS=", "GOWORK=off"}) {
		t.Errorf("env starts %q", env[:2])
	}
	for _, kv := range env[2:] {
		if name, _, _ := strings.Cut(kv, "="); name == "GOFLAGS" || name == "GOWORK" || name == "GOOS" {
			t.Errorf("env keeps %s", kv)
		}
	}
	if !slices.Contains(env, "TESTTOOL_KEPT=yes") {
		t.Error("env lost TESTTOOL_KEPT")
	}
}

func TestRun(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out, err := testtool.Run(time.Minute, t.TempDir(), append(os.Environ(), helperEnv+"=fail"), exe)
	if err == nil || !strings.Contains(string(out), "boom") {
		t.Errorf("Run = %q, %v", out, err)
	}
	start := time.Now()
	if _, err := testtool.Run(200*time.Millisecond, "", append(os.Environ(), helperEnv+"=serve"), exe); err == nil {
		t.Error("Run of a process past its timeout succeeded")
	}
	if d := time.Since(start); d > 30*time.Second {
		t.Errorf("Run took %v past a 200ms timeout", d)
	}
}

func TestWriteCerts(t *testing.T) {
	caFile, certFile, keyFile, err := testtool.WriteCerts(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no certificate in ca.pem")
	}
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	leafPEM, _ := os.ReadFile(certFile)
	block, _ := pem.Decode(leafPEM)
	leaf, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, host := range []string{"127.0.0.1", "localhost"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: pool, DNSName: host}); err != nil {
			t.Errorf("verify for %s: %v", host, err)
		}
	}
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("key.pem: %v, %v", fi.Mode(), err)
	}

	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok")) }))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{pair}}
	srv.StartTLS()
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	resp, err := client.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestFreeAddr(t *testing.T) {
	addr, err := testtool.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("FreeAddr = %q", addr)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on the free address: %v", err)
	}
	ln.Close()
}

func TestStart(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(helperEnv, "serve")
	log := filepath.Join(t.TempDir(), "server.log")
	// The helper is ready once it has said so in its log.
	ready := func() error {
		if b, _ := os.ReadFile(log); !strings.Contains(string(b), "serving") {
			return errors.New("not yet")
		}
		return nil
	}
	p, err := testtool.Start("helper", "127.0.0.1:1", log, time.Minute, ready, exe)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if b, _ := os.ReadFile(log); !strings.Contains(string(b), "serving") {
		t.Errorf("log %q", b)
	}

	// What the log holds by the deadline depends on how fast the helper
	// starts; the exit case below checks that the log is quoted.
	_, err = testtool.Start("helper", "127.0.0.1:1", log, 200*time.Millisecond, func() error { return errors.New("refused") }, exe)
	if err == nil || !strings.HasPrefix(err.Error(), "helper on 127.0.0.1:1: no answer after 200ms: refused\n") {
		t.Errorf("a server that never answers: %v", err)
	}

	t.Setenv(helperEnv, "fail")
	_, err = testtool.Start("helper", "127.0.0.1:1", log, time.Minute, func() error { return errors.New("refused") }, exe)
	if err == nil || !strings.HasPrefix(err.Error(), "helper on 127.0.0.1:1: exited at start\n") || !strings.HasSuffix(err.Error(), "boom: cannot serve") {
		t.Errorf("a server that exits: %v", err)
	}

	_, err = testtool.Start("helper", "127.0.0.1:1", log, time.Minute, ready, filepath.Join(t.TempDir(), "missing"))
	if err == nil || !strings.HasPrefix(err.Error(), "start helper: ") {
		t.Errorf("a missing binary: %v", err)
	}
}

func TestTail(t *testing.T) {
	if got := testtool.Tail([]byte("  abcdef \n"), 3); got != "def" {
		t.Errorf("Tail = %q", got)
	}
	if got := testtool.Tail([]byte("ab\n"), 10); got != "ab" {
		t.Errorf("Tail = %q", got)
	}
}
