package doctor_test

// The checks run against the real parts navette talks to, each started by
// the harness the other tests use: SQLite and a local disk laid out by
// app.Open, PostgreSQL, versitygw (S3), an SMTP server with STARTTLS,
// clamd, a time-stamping authority, OpenLDAP and an OpenID provider.

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/app"
	"navette/doctor"
	"navette/internal/testclamd"
	"navette/internal/testldap"
	"navette/internal/testoidc"
	"navette/internal/testpg"
	"navette/internal/tests3"
	"navette/internal/testsmtp"
	"navette/internal/testsqlite"
	"navette/internal/testtsa"
)

// newDeployment lays out a data directory as a first start of navette
// does (keys, database, blobs) and returns the configuration naming it.
func newDeployment(t *testing.T, tweak ...func(*app.Config)) app.Config {
	t.Helper()
	cfg := app.Config{DataDir: t.TempDir(), MinFree: "0"}
	for _, f := range tweak {
		f(&cfg)
	}
	if cfg.DB == "" {
		testsqlite.Seed(t, filepath.Join(cfg.DataDir, "navette.db")) // app.Config.DB's default
	}
	// Only the stores and the keys are laid out: the servers the checks
	// talk to are not the first start's business.
	a, err := app.Open(app.Config{DataDir: cfg.DataDir, DB: cfg.DB, Blobs: cfg.Blobs})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// statuses returns the status of each check by name.
func statuses(r *doctor.Report) map[string]doctor.Status {
	m := map[string]doctor.Status{}
	for _, c := range r.Checks {
		m[c.Name] = c.Status
	}
	return m
}

func logReport(t *testing.T, r *doctor.Report) {
	t.Helper()
	var b bytes.Buffer
	if err := r.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	t.Logf("\n%s", b.String())
}

// TestAllOK configures every part navette can talk to, each running, and
// expects every check OK and every endpoint in the report.
func TestAllOK(t *testing.T) {
	mail := testsmtp.Start(t, testsmtp.Options{})
	clamd := testclamd.New(t, testclamd.Options{TCP: true})
	stamps := testtsa.Start(t, testtsa.Options{})
	dir := testldap.Start(t, "")
	op := testoidc.Start(t, nil, "http://127.0.0.1:8080/api/v1/auth/oidc/callback")
	cert, key := writeCert(t, time.Now().Add(90*24*time.Hour))
	q := url.Values{"bind_dn": {dir.BindDN}}
	cfg := newDeployment(t, func(c *app.Config) {
		c.SMTP = mail.URL()
		c.PublicURL = "https://127.0.0.1:8443"
		c.Clamd = clamd.URL
		c.TSA, c.TSACA = stamps.URL(), stamps.CAFile()
		c.LDAP = dir.URL + "/" + testldap.Suffix + "?" + q.Encode()
		c.Getenv = func(k string) string {
			if k == "NAVETTE_LDAP_BIND_PASSWORD" {
				return dir.BindPassword
			}
			return ""
		}
		c.OIDC.Issuer = op.Issuer
		c.TLSCert, c.TLSKey = cert, key
	})
	r := doctor.Run(context.Background(), cfg, doctor.Options{})
	logReport(t, r)
	for _, c := range r.Checks {
		if c.Status != doctor.OK {
			t.Errorf("%s: %s %s, want OK", c.Name, c.Status, c.Detail)
		}
	}
	want := []string{"key directory", "kek", "mac key", "journal key", "database", "blob store", "clock", "clock vs tsa", "smtp", "clamd", "ldap", "oidc", "tls certificate"}
	got := statuses(r)
	for _, n := range want {
		if _, ok := got[n]; !ok {
			t.Errorf("no %q check", n)
		}
	}
	if r.Failed {
		t.Error("Failed, want not")
	}
	services := map[string]int{}
	for _, e := range r.Endpoints {
		services[e.Service]++
		if e.Network == "tcp" && (len(e.Addrs) == 0 || e.Error != "") {
			t.Errorf("endpoint %+v: not resolved", e)
		}
		if strings.Contains(e.URL, testsmtp.Password) {
			t.Errorf("endpoint %s shows a password", e.URL)
		}
	}
	for s, n := range map[string]int{"smtp": 1, "clamd": 1, "tsa": 1, "ldap": 1, "oidc": 3} {
		if services[s] != n {
			t.Errorf("%d %s endpoints, want %d: %+v", services[s], s, n, r.Endpoints)
		}
	}
	if len(r.Endpoints) != 7 {
		t.Errorf("%d endpoints, want 7 (no PostgreSQL or S3 here): %+v", len(r.Endpoints), r.Endpoints)
	}
	data := map[string]doctor.Place{}
	for _, p := range r.Data {
		data[p.Data] = p
	}
	for _, d := range []string{"metadata", "blobs", "keys", "journal", "outbox", "logs"} {
		if _, ok := data[d]; !ok {
			t.Errorf("no place for %s", d)
		}
	}
	if p := data["metadata"]; p.Host != "local" || !strings.HasPrefix(p.Where, "sqlite:"+cfg.DataDir) {
		t.Errorf("metadata at %+v", p)
	}
	if p := data["keys"]; p.Where != filepath.Join(cfg.DataDir, "keys") {
		t.Errorf("keys at %+v", p)
	}
}

// TestPostgresS3 checks a deployment on PostgreSQL and an S3-compatible
// store: both answer, and both are reported as where the data lives and as
// endpoints.
func TestPostgresS3(t *testing.T) {
	pg := testpg.Start(t)
	s3 := tests3.New(t)
	s3.Setenv(t)
	db := pg.NewDatabase(t)
	cfg := newDeployment(t, func(c *app.Config) {
		c.DB = db
		c.Blobs = s3.URL(s3.NewBucket(t))
	})
	r := doctor.Run(context.Background(), cfg, doctor.Options{})
	logReport(t, r)
	st := statuses(r)
	if st["database"] != doctor.OK || st["blob store"] != doctor.OK {
		t.Errorf("database %s, blob store %s, want OK", st["database"], st["blob store"])
	}
	seen := map[string]bool{}
	for _, e := range r.Endpoints {
		seen[e.Service] = true
		if e.Host != "127.0.0.1" || e.Port == "" {
			t.Errorf("endpoint %+v, want 127.0.0.1:PORT", e)
		}
	}
	if !seen["postgresql"] || !seen["s3"] || len(r.Endpoints) != 2 {
		t.Errorf("endpoints %+v, want postgresql and s3", r.Endpoints)
	}
	for _, p := range r.Data {
		if (p.Data == "metadata" || p.Data == "blobs") && p.Host != "127.0.0.1" {
			t.Errorf("%s on %q, want 127.0.0.1", p.Data, p.Host)
		}
	}
	// Whether the journal key has signed a checkpoint is read from
	// PostgreSQL too: here it has not, so serve would replace it.
	other := cfg
	other.PublicURL = "https://autre.example"
	if c := find(doctor.Run(context.Background(), other, doctor.Options{}), "journal key"); c.Status != doctor.OK || !strings.Contains(c.Detail, "has signed no checkpoint yet, so serve replaces it") {
		t.Errorf("journal key of another origin on PostgreSQL: %s %s", c.Status, c.Detail)
	}
	// A database not yet migrated is told, not migrated.
	fresh := pg.NewDatabase(t)
	cfg.DB = fresh
	r = doctor.Run(context.Background(), cfg, doctor.Options{})
	if c := find(r, "database"); c.Status == doctor.OK {
		t.Errorf("empty database: %+v, want not OK", c)
	} else {
		t.Logf("empty database: %s %s", c.Status, c.Detail)
	}
}

// TestFailures breaks one thing at a time and expects its check to fail.
func TestFailures(t *testing.T) {
	tests := []struct {
		name  string
		check string
		tweak func(t *testing.T, cfg *app.Config)
	}{
		{"kek readable by others", "kek", func(t *testing.T, cfg *app.Config) {
			keys, _ := filepath.Glob(filepath.Join(cfg.DataDir, "keys", "*.key"))
			if len(keys) == 0 {
				t.Fatal("no key file")
			}
			chmod(t, keys[0], 0o644)
		}},
		{"journal key readable by group", "journal key", func(t *testing.T, cfg *app.Config) {
			keys, _ := filepath.Glob(filepath.Join(cfg.DataDir, "keys", "journal-*.ed25519"))
			if len(keys) == 0 {
				t.Fatal("no journal key file")
			}
			chmod(t, keys[0], 0o640)
		}},
		{"retired journal signing key kept", "journal key", func(t *testing.T, cfg *app.Config) {
			keys, _ := filepath.Glob(filepath.Join(cfg.DataDir, "keys", "journal-*.ed25519"))
			if len(keys) == 0 {
				t.Fatal("no journal key file")
			}
			b, err := os.ReadFile(keys[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(cfg.DataDir, "keys", "journal-0badc0de.ed25519"), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"journal verifier key readable by others", "key directory", func(t *testing.T, cfg *app.Config) {
			keys, _ := filepath.Glob(filepath.Join(cfg.DataDir, "keys", "journal-*.pub"))
			if len(keys) == 0 {
				t.Fatal("no journal verifier key file")
			}
			chmod(t, keys[0], 0o604)
		}},
		{"key directory open", "key directory", func(t *testing.T, cfg *app.Config) {
			chmod(t, filepath.Join(cfg.DataDir, "keys"), 0o755)
		}},
		{"database of another user", "database", func(t *testing.T, cfg *app.Config) {
			chown(t, filepath.Join(cfg.DataDir, "navette.db"))
		}},
		{"blob store of another user", "blob store", func(t *testing.T, cfg *app.Config) {
			chown(t, filepath.Join(cfg.DataDir, "blobs"))
		}},
		{"kek of another user", "kek", func(t *testing.T, cfg *app.Config) {
			keys, _ := filepath.Glob(filepath.Join(cfg.DataDir, "keys", "*.key"))
			chown(t, keys[0])
		}},
		{"blob store missing", "blob store", func(t *testing.T, cfg *app.Config) {
			if err := os.RemoveAll(filepath.Join(cfg.DataDir, "blobs")); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				if _, err := os.Stat(filepath.Join(cfg.DataDir, "blobs")); err == nil {
					t.Error("doctor created the missing blob store")
				}
			})
		}},
		{"mac key missing", "mac key", func(t *testing.T, cfg *app.Config) {
			keys, _ := filepath.Glob(filepath.Join(cfg.DataDir, "keys", "*.hmac"))
			for _, k := range keys {
				if err := os.Remove(k); err != nil {
					t.Fatal(err)
				}
			}
		}},
		{"smtp unreachable", "smtp", func(t *testing.T, cfg *app.Config) {
			s := testsmtp.Start(t, testsmtp.Options{})
			cfg.SMTP, cfg.PublicURL = s.URL(), "https://navette.example"
			s.Stop()
		}},
		{"smtp without STARTTLS", "smtp", func(t *testing.T, cfg *app.Config) {
			s := testsmtp.Start(t, testsmtp.Options{NoTLS: true})
			cfg.SMTP, cfg.PublicURL = strings.Replace(s.URL(), "starttls=opportunistic", "", 1), "https://navette.example"
		}},
		{"clamd down", "clamd", func(t *testing.T, cfg *app.Config) {
			cfg.Clamd = "tcp://" + closedAddr(t)
		}},
		{"ldap down", "ldap", func(t *testing.T, cfg *app.Config) {
			cfg.LDAP = "ldap://" + closedAddr(t) + "/dc=example,dc=org"
		}},
		{"tsa down", "clock vs tsa", func(t *testing.T, cfg *app.Config) {
			cfg.TSA = "http://" + closedAddr(t) + "/tsa"
		}},
		{"tsa roots missing", "tsa roots", func(t *testing.T, cfg *app.Config) {
			cfg.TSACA = filepath.Join(t.TempDir(), "absent.pem")
		}},
		{"tsa roots without a certificate", "tsa roots", func(t *testing.T, cfg *app.Config) {
			cfg.TSACA = filepath.Join(t.TempDir(), "empty.pem")
			if err := os.WriteFile(cfg.TSACA, []byte("not a certificate\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
		{"oidc down", "oidc", func(t *testing.T, cfg *app.Config) {
			cfg.OIDC.Issuer = "http://" + closedAddr(t)
		}},
		{"certificate expired", "tls certificate", func(t *testing.T, cfg *app.Config) {
			cfg.TLSCert, cfg.TLSKey = writeCert(t, time.Now().Add(-time.Hour))
		}},
		{"key directory missing beside a database", "key directory", func(t *testing.T, cfg *app.Config) {
			if err := os.RemoveAll(filepath.Join(cfg.DataDir, "keys")); err != nil {
				t.Fatal(err)
			}
		}},
		{"database missing", "database", func(t *testing.T, cfg *app.Config) {
			if err := os.Remove(filepath.Join(cfg.DataDir, "navette.db")); err != nil {
				t.Fatal(err)
			}
		}},
		{"blob store not writable", "blob store", func(t *testing.T, cfg *app.Config) {
			if os.Geteuid() == 0 {
				// Root writes whatever the mode: a file where the
				// directory should be stops it.
				cfg.Blobs = "file://" + filepath.Join(cfg.DataDir, "keys", "active")
				return
			}
			chmod(t, filepath.Join(cfg.DataDir, "blobs"), 0o500)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := newDeployment(t)
			tt.tweak(t, &cfg)
			r := doctor.Run(context.Background(), cfg, doctor.Options{Timeout: 5 * time.Second})
			c := find(r, tt.check)
			if c.Status != doctor.Fail || !r.Failed {
				logReport(t, r)
				t.Fatalf("%s: %s %s, want FAIL", tt.check, c.Status, c.Detail)
			}
			t.Logf("%s: %s", c.Name, c.Detail)
			for _, o := range r.Checks {
				if o.Status == doctor.Fail && o.Name != tt.check {
					t.Errorf("%s also failed: %s", o.Name, o.Detail)
				}
			}
		})
	}
}

// TestFirstStart checks the data directory of a package just installed,
// which navette serve has not started on yet: the keys, the database and
// the blob directory it creates then are missing, which doctor warns of
// without failing, and creates none of.
func TestFirstStart(t *testing.T) {
	for _, dir := range []string{"absent", "empty"} {
		t.Run(dir, func(t *testing.T) {
			cfg := app.Config{DataDir: filepath.Join(t.TempDir(), "navette"), MinFree: "0"}
			if dir == "empty" {
				if err := os.Mkdir(cfg.DataDir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			r := doctor.Run(context.Background(), cfg, doctor.Options{Timeout: 5 * time.Second})
			if r.Failed {
				logReport(t, r)
				t.Fatal("doctor failed before the first start")
			}
			for _, name := range []string{"key directory", "database", "blob store"} {
				if c := find(r, name); c.Status != doctor.Warn || !strings.Contains(c.Detail, "first start") {
					t.Errorf("%s: %s %s, want WARN saying serve creates it at its first start", name, c.Status, c.Detail)
				}
			}
			entries, _ := os.ReadDir(cfg.DataDir)
			for _, e := range entries {
				t.Errorf("doctor created %s", e.Name())
			}
		})
	}
}

// TestJSON checks that the report parses back as JSON with every field.
func TestJSON(t *testing.T) {
	cfg := newDeployment(t)
	r := doctor.Run(context.Background(), cfg, doctor.Options{})
	var b bytes.Buffer
	if err := r.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	var back doctor.Report
	if err := json.Unmarshal(b.Bytes(), &back); err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if len(back.Checks) != len(r.Checks) || len(back.Data) != len(r.Data) || back.Failed != r.Failed {
		t.Errorf("parsed %+v, want %+v", back, r)
	}
	var raw map[string]any
	if err := json.Unmarshal(b.Bytes(), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"checks", "data", "endpoints", "failed"} {
		if _, ok := raw[k]; !ok {
			t.Errorf("no %q in %s", k, b.String())
		}
	}
	if eps, ok := raw["endpoints"].([]any); !ok || len(eps) != 0 {
		t.Errorf("endpoints %v, want [] on a local deployment", raw["endpoints"])
	}
}

func find(r *doctor.Report, name string) doctor.Check {
	for _, c := range r.Checks {
		if c.Name == name {
			return c
		}
	}
	return doctor.Check{Name: name, Status: "missing"}
}

// chown gives path to another user (nobody), which only root can do.
func chown(t *testing.T, path string) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("only root can give a file to another user")
	}
	if err := os.Chown(path, 65534, 65534); err != nil {
		t.Fatal(err)
	}
}

func chmod(t *testing.T, path string, mode os.FileMode) {
	t.Helper()
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// writeCert writes a self-signed certificate for 127.0.0.1 valid until
// notAfter, and its key, and returns their paths.
func writeCert(t *testing.T, notAfter time.Time) (certFile, keyFile string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "navette test"},
		NotBefore:    notAfter.Add(-365 * 24 * time.Hour),
		NotAfter:     notAfter,
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:     []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile
}

// offsetClock is the system clock moved by an offset.
type offsetClock time.Duration

func (c offsetClock) Now() time.Time { return time.Now().Add(time.Duration(c)) }

// TestTSAOffset compares the clock with a real time-stamping authority's,
// the local clock moved.
func TestTSAOffset(t *testing.T) {
	stamps := testtsa.Start(t, testtsa.Options{})
	cfg := newDeployment(t, func(c *app.Config) {
		c.TSA, c.TSACA = stamps.URL(), stamps.CAFile()
	})
	for _, tt := range []struct {
		offset time.Duration
		want   doctor.Status
	}{
		{0, doctor.OK},
		{20 * time.Second, doctor.Warn},
		{-20 * time.Second, doctor.Warn},
		{10 * time.Minute, doctor.Fail},
	} {
		cfg.Clock = offsetClock(tt.offset)
		r := doctor.Run(context.Background(), cfg, doctor.Options{})
		if c := find(r, "clock vs tsa"); c.Status != tt.want {
			t.Errorf("clock %v off: %s %s, want %s", tt.offset, c.Status, c.Detail, tt.want)
		} else {
			t.Logf("clock %v off: %s %s", tt.offset, c.Status, c.Detail)
		}
	}
}

// TestTSARoots: --tsa-ca given without --tsa is checked too, since serve
// reads it at start to check the stored time-stamps.
func TestTSARoots(t *testing.T) {
	cfg := newDeployment(t)
	cfg.TSACA, _ = writeCert(t, time.Now().Add(time.Hour))
	r := doctor.Run(context.Background(), cfg, doctor.Options{Timeout: 5 * time.Second})
	if c := find(r, "tsa roots"); c.Status != doctor.OK || r.Failed {
		logReport(t, r)
		t.Fatalf("tsa roots: %s %s, want OK", c.Status, c.Detail)
	}
}

// TestJournalKeyOtherOrigin: of a journal key named for another origin
// than the configuration's, the check says what serve does: while the key
// has signed no checkpoint, that serve replaces it (OK); once it has, that
// serve refuses to start (FAIL), in serve's own words, and how to keep or
// change the name. It reported the second as OK, saying either might
// happen.
func TestJournalKeyOtherOrigin(t *testing.T) {
	cfg := newDeployment(t)
	cfg.PublicURL = "https://autre.example"
	opts := doctor.Options{Timeout: 5 * time.Second}
	c := find(doctor.Run(context.Background(), cfg, opts), "journal key")
	if c.Status != doctor.OK || !strings.Contains(c.Detail, "has signed no checkpoint yet, so serve replaces it with a key named autre.example/navette-journal") {
		t.Errorf("journal key that signed nothing: %s %s", c.Status, c.Detail)
	}

	a, err := app.Open(app.Config{DataDir: cfg.DataDir})
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Meta.AppendEvents(t.Context(), navette.Event{Time: time.Now(), Type: navette.EventAccessDenied}); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Checkpointer.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	c = find(doctor.Run(context.Background(), cfg, opts), "journal key")
	_, serveErr := app.Open(cfg)
	if serveErr == nil {
		t.Fatal("serve started with a journal key of another origin that signed checkpoints")
	}
	var e *navette.Error
	if !errors.As(serveErr, &e) || c.Status != doctor.Fail || !strings.Contains(c.Detail, strings.TrimSuffix(e.Message, ".")) ||
		!strings.Contains(c.Detail, "--journal-origin localhost/navette-journal") || !strings.Contains(c.Detail, "--origin autre.example/navette-journal") {
		t.Errorf("journal key that signed checkpoints: %s %s; serve says %v", c.Status, c.Detail, serveErr)
	}
	cfg.JournalOrigin = "localhost/navette-journal"
	if c := find(doctor.Run(context.Background(), cfg, opts), "journal key"); c.Status != doctor.OK || strings.Contains(c.Detail, "refuses") || strings.Contains(c.Detail, "replaces") {
		t.Errorf("with --journal-origin: %s %s", c.Status, c.Detail)
	}
}
