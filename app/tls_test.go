package app_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/cookiejar"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/auth"
	"navette/totp"
)

// testCA is a throwaway certificate authority.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "navette test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &testCA{cert: cert, key: key, pool: pool}
}

// issue writes a server certificate for 127.0.0.1 with the serial number
// to certFile and its key to keyFile.
func (ca *testCA) issue(t *testing.T, serial int64, certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(serial),
		Subject:      pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	replaceFile(t, certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	replaceFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}))
}

// replaceFile replaces a file whole, as an operator's tooling would.
func replaceFile(t *testing.T, name string, b []byte) {
	t.Helper()
	tmp := name + ".new"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, name); err != nil {
		t.Fatal(err)
	}
}

// handshake connects with cfg and returns the connection's state.
func handshake(addr string, cfg *tls.Config) (tls.ConnectionState, error) {
	c, err := tls.DialWithDialer(&net.Dialer{Timeout: 10 * time.Second}, "tcp", addr, cfg)
	if err != nil {
		return tls.ConnectionState{}, err
	}
	defer c.Close()
	return c.ConnectionState(), nil
}

// newTLSEnv boots a node serving TLS with a certificate of serial 2.
func newTLSEnv(t *testing.T) (*env, *testCA, string, string) {
	t.Helper()
	ca := newTestCA(t)
	dir := t.TempDir()
	certFile, keyFile := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	ca.issue(t, 2, certFile, keyFile)
	e := newEnv(t, func(c *app.Config) { c.TLSCert, c.TLSKey = certFile, keyFile })
	return e, ca, certFile, keyFile
}

// TestTLS: the server speaks TLS 1.3, or 1.2 with the ANSSI suites only,
// refuses older versions and weaker suites, sends HSTS, and a browser's
// __Host- session cookie works over it.
func TestTLS(t *testing.T) {
	e, ca, _, _ := newTLSEnv(t)
	if !strings.HasPrefix(e.url, "https://") {
		t.Fatalf("URL %q is not https", e.url)
	}
	addr := e.app.Addr()
	anssi := []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
	for _, c := range []struct {
		name    string
		cfg     *tls.Config
		ok      bool
		version uint16
	}{
		{"any version", &tls.Config{}, true, tls.VersionTLS13},
		{"TLS 1.2", &tls.Config{MaxVersion: tls.VersionTLS12}, true, tls.VersionTLS12},
		{"TLS 1.2 with ChaCha20-Poly1305", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256}}, true, tls.VersionTLS12},
		{"TLS 1.1", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}, false, 0},
		{"TLS 1.0", &tls.Config{MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS10}, false, 0},
		{"TLS 1.2 with CBC", &tls.Config{MaxVersion: tls.VersionTLS12, CipherSuites: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA}}, false, 0},
	} {
		cfg := c.cfg
		cfg.RootCAs = ca.pool
		st, err := handshake(addr, cfg)
		switch {
		case c.ok && err != nil:
			t.Errorf("%s: refused: %v", c.name, err)
		case !c.ok && err == nil:
			t.Errorf("%s: accepted (version %x, suite %s)", c.name, st.Version, tls.CipherSuiteName(st.CipherSuite))
		case c.ok && st.Version != c.version:
			t.Errorf("%s: version %x, want %x", c.name, st.Version, c.version)
		case c.ok && st.Version == tls.VersionTLS12 && !slices.Contains(anssi, st.CipherSuite):
			t.Errorf("%s: suite %s", c.name, tls.CipherSuiteName(st.CipherSuite))
		}
	}

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool}}}
	resp, err := c.Get(e.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.TLS == nil || resp.Header.Get("Strict-Transport-Security") != "max-age=63072000" {
		t.Errorf("over TLS: Strict-Transport-Security %q", resp.Header.Get("Strict-Transport-Security"))
	}

	// A partner signs in as a browser would, the cookie kept by a jar,
	// which sends Secure cookies over https only. The jar reads the wall
	// clock: the node's clock is brought to it, or the cookie would have
	// expired already.
	if d := time.Until(e.clock.Now()); d < 0 {
		e.clock.Advance(-d)
	}
	var csrf string
	call := func(method, path string, v any, want int) []byte {
		t.Helper()
		var body io.Reader
		if v != nil {
			b, _ := json.Marshal(v)
			body = bytes.NewReader(b)
		}
		req, _ := http.NewRequest(method, e.url+path, body)
		if v != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		if method != "GET" {
			req.Header.Set("Origin", e.url)
		}
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != want {
			t.Fatalf("%s %s: %d %s, want %d", method, path, resp.StatusCode, b, want)
		}
		var s api.Session
		if json.Unmarshal(b, &s) == nil && s.CSRF != "" {
			csrf = s.CSRF
		}
		return b
	}
	seen := e.codes(t, lawyerEmail)
	call("POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail}, http.StatusAccepted)
	code := e.newCode(t, lawyerEmail, seen)
	call("POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: code}, http.StatusOK)
	var en api.Enrolment
	_ = json.Unmarshal(call("POST", api.PathAuthEnrol, nil, http.StatusOK), &en)
	call("POST", api.PathAuthEnrolDone, api.SecondFactor{Code: totp.Code(decodeSecret(t, en.Secret), totp.Step(e.clock.Now()))}, http.StatusOK)
	var me api.Me
	_ = json.Unmarshal(call("GET", api.PathMe, nil, http.StatusOK), &me)
	if me.Email != lawyerEmail {
		t.Errorf("me over TLS: %+v", me)
	}
	u, _ := resp.Request.URL.Parse("/")
	if cs := jar.Cookies(u); len(cs) != 1 || cs[0].Name != auth.CookieName {
		t.Errorf("cookies kept: %v", cs)
	}
}

// TestTLSReload: a new certificate is used once reloaded, without a
// restart; unusable files leave the current one in use.
func TestTLSReload(t *testing.T) {
	e, ca, certFile, keyFile := newTLSEnv(t)
	serial := func() int64 {
		t.Helper()
		st, err := handshake(e.app.Addr(), &tls.Config{RootCAs: ca.pool})
		if err != nil {
			t.Fatal(err)
		}
		return st.PeerCertificates[0].SerialNumber.Int64()
	}
	if got := serial(); got != 2 {
		t.Fatalf("serial %d, want 2", got)
	}
	ca.issue(t, 3, certFile, keyFile)
	if got := serial(); got != 2 {
		t.Fatalf("serial %d before the reload, want 2", got)
	}
	if err := e.app.ReloadTLS(); err != nil {
		t.Fatal(err)
	}
	if got := serial(); got != 3 {
		t.Fatalf("serial %d after the reload, want 3", got)
	}

	replaceFile(t, certFile, []byte("not a certificate"))
	if err := e.app.ReloadTLS(); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("reloading a broken certificate: %v", err)
	}
	if got := serial(); got != 3 {
		t.Errorf("serial %d after a failed reload, want 3", got)
	}
	// A key that does not match the certificate is refused too.
	other := t.TempDir()
	ca.issue(t, 4, certFile, filepath.Join(other, "key.pem"))
	if err := e.app.ReloadTLS(); err == nil {
		t.Error("a certificate with another's key was loaded")
	}
	if got := serial(); got != 3 {
		t.Errorf("serial %d after a mismatched reload, want 3", got)
	}
}

// TestHSTS: the header is sent when the public URL is https, even over the
// plain http a TLS proxy forwards, and not otherwise.
func TestHSTS(t *testing.T) {
	for _, c := range []struct {
		public string
		want   string
	}{
		{"https://navette.example", "max-age=63072000"},
		{"", ""},
		{"http://navette.example", ""},
	} {
		e := newEnv(t, func(cfg *app.Config) { cfg.PublicURL = c.public })
		resp, _ := e.do("GET", "/healthz", "", nil)
		if got := resp.Header.Get("Strict-Transport-Security"); got != c.want {
			t.Errorf("public URL %q: Strict-Transport-Security %q, want %q", c.public, got, c.want)
		}
	}
}
