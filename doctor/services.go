package doctor

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"navette/clamav"
	"navette/ldap"
	"navette/smtp"
	"navette/tsa"
)

// Clock limits: an offset from the time-stamping authority above
// clockWarn is worth a look, above clockFail the journal's stamps and
// receipts tell a time the authority contradicts.
const (
	clockWarn = 2 * time.Second
	clockFail = time.Minute
)

// clock checks the system clock against the files navette wrote, and
// against the time-stamping authority when one is configured.
func (d *doctor) clock(ctx context.Context) []Check {
	now := d.cfg.Clock.Now()
	var checks []Check
	newest, path := d.newestFile()
	switch {
	case now.Year() < 2025:
		checks = append(checks, fail("clock", "the clock says %s: set the time (NTP)", now.UTC().Format(time.RFC3339)))
	case newest.After(now.Add(time.Minute)):
		checks = append(checks, fail("clock", "the clock says %s, before %s was last written (%s): the clock went back; check NTP",
			now.UTC().Format(time.RFC3339), path, newest.UTC().Format(time.RFC3339)))
	default:
		checks = append(checks, ok("clock", "%s, after every file navette wrote", now.UTC().Format(time.RFC3339)))
	}
	switch {
	case d.cfg.TSA != "":
		checks = append(checks, d.tsa(ctx))
	case d.cfg.TSACA != "":
		checks = append(checks, d.tsaRoots())
	}
	return checks
}

// tsaRoots checks the roots of --tsa-ca given without --tsa, which serve
// reads at start (refusing a bad file) to check the time-stamps already
// stored when it makes attestations.
func (d *doctor) tsaRoots() Check {
	const name = "tsa roots"
	if _, err := tsa.ReadRoots(d.cfg.TSACA); err != nil {
		return fail(name, "%s: %s", d.cfg.TSACA, message(err))
	}
	return ok(name, "%s: the stored time-stamps are checked against its certificates", d.cfg.TSACA)
}

// newestFile returns the latest modification time of the key files and
// the database file, and that file's path.
func (d *doctor) newestFile() (time.Time, string) {
	var newest time.Time
	var path string
	paths, _ := filepath.Glob(filepath.Join(d.cfg.DataDir, "keys", "*"))
	if strings.HasPrefix(d.dbURL(), "sqlite:") {
		paths = append(paths, strings.TrimPrefix(strings.TrimPrefix(d.dbURL(), "sqlite:"), "//"))
	}
	for _, p := range paths {
		if fi, err := os.Stat(p); err == nil && fi.ModTime().After(newest) {
			newest, path = fi.ModTime(), p
		}
	}
	return newest, path
}

// tsa asks the time-stamping authority for one stamp and compares its
// time with the system clock.
func (d *doctor) tsa(ctx context.Context) Check {
	const name = "clock vs tsa"
	c, err := tsa.New(tsa.Config{URL: d.cfg.TSA, CAFile: d.cfg.TSACA, Timeout: d.timeout})
	if err != nil {
		return fail(name, "%s", message(err))
	}
	digest := sha256.Sum256([]byte("navette doctor " + d.cfg.Clock.Now().String()))
	sent := d.cfg.Clock.Now()
	token, err := c.Stamp(ctx, digest[:])
	got := d.cfg.Clock.Now()
	if err != nil {
		return fail(name, "%s: no time-stamp: %s", c, message(err))
	}
	st, err := tsa.Verify(token, digest[:], c.Roots())
	if err != nil {
		return fail(name, "%s: %s", c, message(err))
	}
	rtt := got.Sub(sent)
	offset := clockOffset(sent, rtt, st.Time)
	abs := max(offset, -offset)
	slack := clockWarn + st.Accuracy + rtt/2
	detail := fmt.Sprintf("%s: the clock is %+.1fs from the authority's (genTime %s, round trip %s)",
		c, offset.Seconds(), st.Time.UTC().Format(time.RFC3339), rtt.Round(time.Millisecond))
	switch {
	case abs > clockFail:
		return fail(name, "%s: set the time (NTP)", detail)
	case abs > slack:
		return warn(name, "%s: check NTP", detail)
	}
	return ok(name, "%s", detail)
}

// clockOffset returns how far the local clock is from the authority's,
// which said genTime to a request sent at sent and answered after rtt:
// the authority is taken to have stamped it halfway through.
func clockOffset(sent time.Time, rtt time.Duration, genTime time.Time) time.Duration {
	offset := sent.Add(rtt / 2).Sub(genTime)
	if genTime.Nanosecond() == 0 && offset > 0 {
		// A genTime given to the second says the time was within the
		// second that follows it.
		offset = max(0, offset-time.Second)
	}
	return offset
}

// smtp checks the mail server: connection, EHLO, STARTTLS or TLS,
// authentication, QUIT; no mail is sent.
func (d *doctor) smtp(ctx context.Context) Check {
	const name = "smtp"
	if d.cfg.SMTP == "" {
		return warn(name, "no --smtp: e-mails go to the local outbox %s, nobody receives them", filepath.Join(d.cfg.DataDir, "mail"))
	}
	m, err := smtp.New(smtp.Config{URL: d.cfg.SMTP, Password: d.cfg.SMTPPassword, Timeout: d.timeout})
	if err != nil {
		return fail(name, "%s", message(err))
	}
	defer m.Close()
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	if err := m.Check(ctx); err != nil {
		return fail(name, "%s", message(err))
	}
	return ok(name, "%s: connection, EHLO, TLS and authentication accepted, then QUIT; no mail sent", m)
}

// clamd checks the antivirus daemon with PING and VERSION.
func (d *doctor) clamd(ctx context.Context) Check {
	const name = "clamd"
	if d.cfg.Clamd == "" {
		return warn(name, `no antivirus (--antivirus=off): files are offered marked "non analysé par un antivirus"`)
	}
	c, err := clamav.New(d.cfg.Clamd)
	if err != nil {
		return fail(name, "%s", message(err))
	}
	c.Timeout = d.timeout
	if err := c.Ping(ctx); err != nil {
		return fail(name, "%s: %s", c, message(err))
	}
	v, err := c.Version(ctx)
	if err != nil {
		return fail(name, "%s: %s", c, message(err))
	}
	return ok(name, "%s answers PING; %s", c, v)
}

// ldap checks that the directory server accepts a TCP connection.
func (d *doctor) ldap(ctx context.Context) Check {
	const name = "ldap"
	if d.cfg.LDAP == "" {
		return ok(name, "not configured (no --ldap)")
	}
	cfg, err := ldap.ParseConfig(d.cfg.LDAP, d.cfg.Getenv)
	if err != nil {
		return fail(name, "%s", message(err))
	}
	host, port, err := hostPort(cfg.URL, map[string]string{"ldap": "389", "ldaps": "636"})
	if err != nil {
		return fail(name, "%s", message(err))
	}
	if err := d.dial(ctx, "tcp", net.JoinHostPort(host, port)); err != nil {
		return fail(name, "%s: %s", cfg.URL, message(err))
	}
	return ok(name, "%s accepts connections (TCP; not bound)", cfg.URL)
}

// oidcDiscovery is what doctor reads of a discovery document.
type oidcDiscovery struct {
	Issuer        string `json:"issuer"`
	Authorization string `json:"authorization_endpoint"`
	Token         string `json:"token_endpoint"`
	JWKS          string `json:"jwks_uri"`
}

// oidc checks that the identity provider serves its discovery document
// for the configured issuer, and notes the endpoints it names.
func (d *doctor) oidc(ctx context.Context) Check {
	const name = "oidc"
	issuer := d.cfg.OIDC.Issuer
	if issuer == "" {
		return ok(name, "not configured (no --oidc-issuer)")
	}
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	where := strings.TrimSuffix(issuer, "/") + "/.well-known/openid-configuration"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, where, nil)
	if err != nil {
		return fail(name, "--oidc-issuer %q: %s", issuer, message(err))
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	resp, err := (&http.Client{Transport: tr}).Do(req)
	if err != nil {
		return fail(name, "%s: %s", where, message(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fail(name, "%s answers %s", where, resp.Status)
	}
	var doc oidcDiscovery
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return fail(name, "%s: not a discovery document: %s", where, message(err))
	}
	if p := doc.problem(where, issuer); p != "" {
		return fail(name, "%s", p)
	}
	d.oidcURLs = []string{doc.Token, doc.JWKS}
	return ok(name, "%s serves its discovery document (token endpoint %s, keys %s)", issuer, doc.Token, doc.JWKS)
}

// problem says what makes doc, served at where, unfit for issuer, or "".
func (doc oidcDiscovery) problem(where, issuer string) string {
	if doc.Issuer != issuer {
		return fmt.Sprintf("%s names issuer %q, not %q as --oidc-issuer says: sign-ins would be refused", where, doc.Issuer, issuer)
	}
	if doc.Token == "" || doc.JWKS == "" {
		return where + " names no token endpoint or no jwks_uri"
	}
	return ""
}

// tlsWarnDays is how long before its expiry the certificate is reported.
const tlsWarnDays = 30

// tls checks the server's certificate: it matches its key, is valid now,
// and how long it stays so.
func (d *doctor) tls() Check {
	const name = "tls certificate"
	if d.cfg.TLSCert == "" {
		return ok(name, "no --tls-cert: navette speaks plain HTTP, TLS is left to a reverse proxy")
	}
	leaf, err := loadLeaf(d.cfg.TLSCert, d.cfg.TLSKey)
	if err != nil {
		return fail(name, "%s: %s", d.cfg.TLSCert, message(err))
	}
	now := d.cfg.Clock.Now()
	days := int(leaf.NotAfter.Sub(now).Hours() / 24)
	names := strings.Join(leaf.DNSNames, ", ")
	if names == "" {
		names = leaf.Subject.CommonName
	}
	detail := fmt.Sprintf("%s for %s, valid until %s", d.cfg.TLSCert, names, leaf.NotAfter.UTC().Format(time.DateOnly))
	switch {
	case now.Before(leaf.NotBefore):
		return fail(name, "%s is not valid before %s", d.cfg.TLSCert, leaf.NotBefore.UTC().Format(time.RFC3339))
	case !now.Before(leaf.NotAfter):
		return fail(name, "%s expired on %s", d.cfg.TLSCert, leaf.NotAfter.UTC().Format(time.RFC3339))
	}
	if host := unnamedHost(leaf, d.cfg.PublicURL); host != "" {
		return warn(name, "%s: it does not name %s, the host of --public-url", detail, host)
	}
	if days < tlsWarnDays {
		return warn(name, "%s: expires in %d days, renew it", detail, days)
	}
	return ok(name, "%s (%d days left)", detail, days)
}

// loadLeaf returns the certificate of the certificate and key files,
// checking that they match.
func loadLeaf(certFile, keyFile string) (*x509.Certificate, error) {
	pair, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return x509.ParseCertificate(pair.Certificate[0])
}

// unnamedHost returns the host of publicURL if leaf does not name it, ""
// if it does or publicURL names no host.
func unnamedHost(leaf *x509.Certificate, publicURL string) string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Hostname() == "" {
		return ""
	}
	if err := leaf.VerifyHostname(u.Hostname()); err != nil {
		return u.Hostname()
	}
	return ""
}

// dial opens and closes a connection.
func (d *doctor) dial(ctx context.Context, network, addr string) error {
	dl := net.Dialer{Timeout: d.timeout}
	c, err := dl.DialContext(ctx, network, addr)
	if err != nil {
		return err
	}
	return c.Close()
}

// hostPort returns the host and port of a URL, the scheme's default port
// if it names none.
func hostPort(raw string, defaults map[string]string) (string, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", err
	}
	port := u.Port()
	if port == "" {
		port = defaults[u.Scheme]
	}
	return u.Hostname(), port, nil
}
