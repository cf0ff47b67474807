package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/api"
	"navette/app"
	"navette/auth"
	"navette/client"
	"navette/doctor"
	"navette/internal/testbrowser"
	"navette/internal/testclamd"
	"navette/internal/testldap"
	"navette/internal/testnetns"
	"navette/internal/testoidc"
	"navette/internal/testpg"
	"navette/internal/tests3"
	"navette/internal/testsmtp"
	"navette/internal/testtool"
	"navette/internal/testtsa"
	"navette/receipt"
	"navette/totp"
)

// TestNoEgress proves that navette connects to nothing its configuration
// does not name (issue 17). The test runs in a network namespace of its
// own (internal/testnetns) where every IPv4 and IPv6 address is local, so
// nothing can leave, and where every TCP SYN and UDP datagram (DNS queries
// included) is recorded, to any address and port, listened on or not.
// PostgreSQL, S3 (versitygw), SMTP, OpenLDAP, clamd, an OpenID provider,
// an RFC 3161 time-stamping authority (over HTTPS, trusted through
// --tsa-ca) and Chromium run in the namespace too, and navette is
// configured with all of them, by address.
//
// The server boots with the flags of serve and runs a whole scenario: an
// admin syncs the LDAP directory, an agent from it signs in with the
// directory password, then through the identity provider, and deposits a
// file (scanned by clamd, stored in S3,
// the notice mailed over SMTP); the lawyer signs in through the pages in
// Chromium with the code the mail server received and a TOTP second
// factor, opens the deposit and downloads the file, whose SHA-256 matches;
// the agent fetches the receipt of the deposit until the checkpoint it
// leads to carries a time-stamp token that holds against the authority's
// roots, then revokes the deposit and the sweeper purges its blob. Then
// "navette doctor --json" runs with the same flags and must pass.
//
// Every attempt made while the server ran must go to navette's own
// listener or to an endpoint of the doctor's list, and every endpoint of
// the list must have been connected to: the list and the observed
// connections are the same. The doctor itself connects only to what it
// lists. Attempts made while the test servers start are the test's own:
// they are counted, not judged.
func TestNoEgress(t *testing.T) {
	if !testnetns.InNamespace(t) {
		// What needs the network is done before the namespace has none.
		if _, err := tests3.Binary(); err != nil {
			t.Fatal(err)
		}
		if err := testbrowser.Install(); err != nil {
			t.Fatal(err)
		}
		if _, err := testoidc.Binary(); err != nil {
			t.Fatal(err)
		}
	}
	if !testnetns.Isolate(t) {
		return
	}
	capture, err := testnetns.StartCapture()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := capture.Close(); err != nil {
			t.Error(err)
		}
	})
	since := func(n int) []testnetns.Attempt {
		t.Helper()
		if err := capture.Sync(); err != nil {
			t.Fatal(err)
		}
		return capture.Attempts()[n:]
	}

	pg := testpg.Start(t)
	db := pg.NewDatabase(t)
	s3 := tests3.New(t)
	bucket := s3.NewBucket(t)
	s3.Setenv(t) // package s3 reads its credentials from the environment
	mail := testsmtp.Start(t, testsmtp.Options{})
	dir := testldap.Start(t, "")
	av := testclamd.New(t, testclamd.Options{TCP: true})
	stamps := testtsa.Start(t, testtsa.Options{TLS: true})
	port, err := testtool.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	base := "http://" + addr
	idp := testoidc.Start(t, []testoidc.User{{Subject: "h1", Username: "hmercier", Password: "Mot-de-passe-1",
		Email: "helene.mercier@justice.example", EmailVerified: true, GivenName: "Hélène", FamilyName: "Mercier"}}, base+api.PathAuthOIDCReturn)
	vars := map[string]string{
		"NAVETTE_S3_ACCESS_KEY":      s3.AccessKey,
		"NAVETTE_S3_SECRET_KEY":      s3.SecretKey,
		"NAVETTE_LDAP_BIND_PASSWORD": dir.BindPassword,
		"NAVETTE_OIDC_CLIENT_SECRET": idp.ClientSecret,
	}
	ldapQuery := url.Values{"bind_dn": {dir.BindDN}, "active_filter": {testldap.ActiveFilter}}
	flags := []string{
		"--data", filepath.Join(t.TempDir(), "data"), "--addr", addr, "--public-url", base,
		"--db", db, "--blobs", s3.URL(bucket),
		"--smtp", mail.URL(), "--clamd", av.URL,
		"--ldap", dir.URL + "/" + testldap.Suffix + "?" + ldapQuery.Encode(), "--ldap-sign-in", "--ldap-sync-interval", "0",
		"--oidc-issuer", idp.Issuer, "--oidc-client-id", idp.ClientID,
		"--tsa", stamps.URL(), "--tsa-ca", stamps.CAFile(),
		"--sweep-interval", "1h", "--log-level", "warn",
	}
	setup := since(0)
	t.Logf("%d connection attempts while the test servers started (not judged: the test's own)", len(setup))

	// The server, with the same flags.
	var logs lockedBuffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: &logs,
		Getenv: func(k string) string { return vars[k] }, IsTerminal: func(io.Writer) bool { return false }, Context: context.Background()}
	var f serverFlags
	fs := newFlagSet(env, "serve", "")
	f.define(fs, "", false)
	if err := parseFlags(fs, env, flags); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.config(env)
	if err != nil {
		t.Fatal(err)
	}
	a, err := app.Listen(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	func() {
		defer func() {
			stop()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
			a.Close()
			if t.Failed() {
				t.Logf("server log:\n%s", logs.String())
			}
		}()
		egressScenario(t, a, base, mail, idp, stamps)
	}()
	serveAttempts := since(len(setup))

	// The doctor, with the flags serve gets.
	r := runCLI(t, vars, false, append([]string{"doctor", "--json"}, flags...)...)
	doctorAttempts := since(len(setup) + len(serveAttempts))
	var rep doctor.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil || r.code != 0 || rep.Failed {
		t.Fatalf("doctor: exit %d, %v\n%s\n%s", r.code, err, r.stdout, r.stderr)
	}
	listed := map[netip.AddrPort]string{}
	for _, e := range rep.Endpoints {
		if e.Network != "tcp" || len(e.Addrs) == 0 {
			t.Fatalf("endpoint %+v: want TCP to resolved addresses", e)
		}
		for _, a := range e.Addrs {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				t.Fatal(err)
			}
			p, _ := strconv.ParseUint(e.Port, 10, 16)
			listed[netip.AddrPortFrom(ip, uint16(p))] = e.Service
		}
	}
	if services := slices.Sorted(func(yield func(string) bool) {
		for _, s := range listed {
			if !yield(s) {
				return
			}
		}
	}); !slices.Equal(slices.Compact(services), []string{"clamd", "ldap", "oidc", "postgresql", "s3", "smtp", "tsa"}) {
		t.Errorf("the doctor lists %v, want clamd, ldap, oidc, postgresql, s3, smtp and tsa", services)
	}
	hosts := map[string]bool{}
	for _, e := range rep.Endpoints {
		hosts[e.Host] = true
	}
	for _, p := range rep.Data {
		if p.Host != "local" && !hosts[p.Host] {
			t.Errorf("the doctor says %s lives on %s, which is none of its endpoints", p.Data, p.Host)
		}
	}
	for _, a := range doctorAttempts {
		if _, ok := listed[a.Dst]; !ok || a.Proto != "tcp" {
			t.Errorf("doctor: an attempt to something it does not list: %s", a)
		}
	}

	// What the server (and the browser) connected to.
	counts := map[netip.AddrPort]int{}
	self := netip.MustParseAddrPort(addr)
	var tally strings.Builder
	for _, at := range serveAttempts {
		switch {
		case at.Proto == "tcp" && at.Dst == self:
			counts[at.Dst]++
		case at.Proto == "tcp" && listed[at.Dst] != "":
			counts[at.Dst]++
		default:
			t.Errorf("a connection attempt to something the configuration does not name: %s", at)
		}
	}
	fmt.Fprintf(&tally, "\n%-12s %-22s %s\n", "to", "address", "connections")
	fmt.Fprintf(&tally, "%-12s %-22s %d\n", "navette", self, counts[self])
	for _, ap := range slices.SortedFunc(func(yield func(netip.AddrPort) bool) {
		for ap := range listed {
			if !yield(ap) {
				return
			}
		}
	}, func(x, y netip.AddrPort) int { return strings.Compare(listed[x], listed[y]) }) {
		fmt.Fprintf(&tally, "%-12s %-22s %d\n", listed[ap], ap, counts[ap])
		if counts[ap] == 0 {
			t.Errorf("the doctor lists %s %s, but the server never connected to it", listed[ap], ap)
		}
	}
	t.Logf("connection attempts while navette served (%d in all; %d by the doctor after):%s", len(serveAttempts), len(doctorAttempts), tally.String())
}

// egressScenario runs the scenario of TestNoEgress against a.
func egressScenario(t *testing.T, a *app.App, base string, mail *testsmtp.Server, idp *testoidc.Provider, stamps *testtsa.Server) {
	ctx := t.Context()
	const lawyer = "avocat@barreau.example"
	if _, err := a.Accounts.CreateUser(ctx, "root@justice.example", "Admin", navette.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	admin, _, err := a.Accounts.CreateToken(ctx, "root@justice.example", "egress", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Accounts.CreateUser(ctx, lawyer, "Maître Avocat", navette.RolePartner); err != nil {
		t.Fatal(err)
	}

	// Directory sync, then the agent signs in with the directory password.
	var report api.DirectoryReport
	if code, body := egressDo(t, "POST", base+api.PathAdminLDAPSync, admin, "", nil); code != 200 {
		t.Fatalf("LDAP sync: %d %s", code, body)
	} else if err := json.Unmarshal(body, &report); err != nil || !report.Applied || len(report.Added) == 0 {
		t.Fatalf("LDAP sync: %s", body)
	}
	signIn, _ := json.Marshal(api.PasswordSignIn{Login: "hmercier", Password: testldap.AgentPassword})
	if code, body := egressDo(t, "POST", base+api.PathAuthPassword, "", base, signIn); code != 200 {
		t.Fatalf("directory password sign-in: %d %s", code, body)
	}
	// And through the identity provider: navette fetches its token and
	// keys.
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noRedirect.Get(base + api.PathAuthOIDC)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var flow *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == auth.FlowCookieName {
			flow = c
		}
	}
	if resp.StatusCode != http.StatusSeeOther || flow == nil {
		t.Fatalf("OIDC sign-in: %d, flow cookie %v", resp.StatusCode, flow)
	}
	jar, _ := cookiejar.New(nil)
	cb := idp.Login(t, &http.Client{Jar: jar}, resp.Header.Get("Location"), "hmercier", "Mot-de-passe-1")
	req, _ := http.NewRequest("GET", cb.String(), nil)
	req.AddCookie(flow)
	if back, err := noRedirect.Do(req); err != nil {
		t.Fatal(err)
	} else if back.Body.Close(); back.StatusCode != http.StatusSeeOther || !slices.ContainsFunc(back.Cookies(), func(c *http.Cookie) bool { return c.Name == auth.CookieName && c.Value != "" }) {
		t.Fatalf("OIDC callback: %d, no session", back.StatusCode)
	}
	agentToken, _, err := a.Accounts.CreateToken(ctx, "helene.mercier@justice.example", "egress", 0)
	if err != nil {
		t.Fatal(err)
	}
	agent, err := client.New(base, agentToken)
	if err != nil {
		t.Fatal(err)
	}

	// A deposit, scanned by clamd, stored in S3, notified by mail.
	data := randomBytes(1<<20, 17)
	sum := sha256.Sum256(data)
	d, err := agent.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{lawyer}, Reference: "PARQUET 26/17017"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Upload(ctx, d.ID, "pv.pdf", bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := agent.Submit(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, "the notice", func() bool { return len(mail.To(lawyer)) >= 1 })

	// The lawyer in Chromium: code by mail, second factor, inbox, download.
	b := testbrowser.New(t, base)
	b.Navigate(base + "/signin")
	sent := len(mail.To(lawyer))
	b.Run("ask for a code",
		chromedp.SendKeys(chromedp.CSS("#email"), lawyer),
		chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	waitUntil(t, "the sign-in code", func() bool { return len(mail.To(lawyer)) > sent })
	code := regexp.MustCompile(`\b(\d{4} \d{4})\b`).FindStringSubmatch(mailText(t, mail.To(lawyer)[sent]))
	if code == nil {
		t.Fatal("no code in the sign-in mail")
	}
	b.Run("give the code",
		chromedp.SendKeys(chromedp.CSS("#code"), code[1]),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
	)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(b.Text("#totp-secret"), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	b.Run("enrol the second factor",
		chromedp.SendKeys(chromedp.CSS("#code"), totp.Code(secret, totp.Step(time.Now()))),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	b.Run("go on from the recovery codes",
		chromedp.Click(chromedp.CSS("#codes-done")),
		chromedp.WaitVisible(chromedp.CSS("table, .empty")),
	)
	b.Run("open the deposit", chromedp.Click(chromedp.CSS(`a[href="/deposits/`+d.ID+`"]`)), chromedp.WaitVisible(chromedp.CSS(".facts")))
	got, err := os.ReadFile(b.Download(chromedp.Click(chromedp.CSS(`a[href^="/deposits/` + d.ID + `/files/"]`))))
	if err != nil {
		t.Fatal(err)
	}
	if s := sha256.Sum256(got); s != sum {
		t.Errorf("downloaded in the browser: SHA-256 %x, want %x", s, sum)
	} else if !strings.Contains(b.Text("main"), hex.EncodeToString(sum[:])) {
		t.Error("the deposit's page does not show the file's SHA-256")
	}

	// The receipt of the deposit: asking for it has a checkpoint that
	// covers it signed, if none is yet, which wakes the stamper; it is
	// asked again until that checkpoint carries the authority's token.
	egressStampedReceipt(t, base, agentToken, d.ID, stamps)

	// Revoked, then purged: the blob is deleted from S3.
	if err := agent.Revoke(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	st, err := a.Deposits.Sweep(ctx)
	if err != nil || st.BlobsDeleted != 1 {
		t.Errorf("sweep: %+v, %v; want one blob deleted", st, err)
	}
}

// egressStampedReceipt fetches the receipt of deposit id (of kind
// deposited, there once it is submitted) until its checkpoint carries a
// time-stamp token, and checks that the receipt holds with the journal's
// keys and the token against the roots of stamps.
func egressStampedReceipt(t *testing.T, base, token, id string, stamps *testtsa.Server) {
	t.Helper()
	var entries []api.ReceiptEntry
	if code, body := egressDo(t, "GET", base+api.PathDeposits+"/"+id+"/receipts", token, "", nil); code != 200 {
		t.Fatalf("receipts: %d %s", code, body)
	} else if err := json.Unmarshal(body, &entries); err != nil {
		t.Fatalf("receipts: %v: %s", err, body)
	}
	i := slices.IndexFunc(entries, func(e api.ReceiptEntry) bool { return e.Kind == "deposited" })
	if i < 0 {
		t.Fatalf("no receipt of the deposit among %+v", entries)
	}
	var r *receipt.Receipt
	waitUntil(t, "a time-stamped receipt", func() bool {
		code, body := egressDo(t, "GET", base+entries[i].URL, token, "", nil)
		if code != 200 {
			t.Fatalf("receipt: %d %s", code, body)
		}
		var err error
		if r, err = receipt.Parse(body); err != nil {
			t.Fatalf("receipt: %v", err)
		}
		return r.TimeSource == receipt.TimeSourceTSA
	})
	code, keys := egressDo(t, "GET", base+api.PathJournalKeys, "", "", nil)
	if code != 200 {
		t.Fatalf("journal keys: %d %s", code, keys)
	}
	res, err := receipt.Verify(r, strings.Split(strings.TrimSpace(string(keys)), "\n"), &receipt.Options{TSARoots: stamps.Roots()})
	if err != nil {
		t.Fatalf("the time-stamped receipt: %v", err)
	}
	if res.TSA == nil || !res.TSA.Trusted || stamps.Granted() == 0 {
		t.Fatalf("the receipt's time-stamp: %+v, %d granted; want one the authority issued, chaining to its roots", res.TSA, stamps.Granted())
	}
}

// egressDo sends a request with a bearer token or an Origin, and returns
// the status and body.
func egressDo(t *testing.T, method, target, token, origin string, body []byte) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if origin != "" {
		req.Header.Set("Origin", origin)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// mailText returns the decoded text part of a message.
func mailText(t *testing.T, m *testsmtp.Message) string {
	t.Helper()
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		t.Fatal(err)
	}
	r := multipart.NewReader(bytes.NewReader(m.Body), params["boundary"])
	for {
		p, err := r.NextPart()
		if err != nil {
			t.Fatalf("no text part: %v", err)
		}
		if ct, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type")); ct != "text/plain" {
			continue
		}
		var body io.Reader = p
		if p.Header.Get("Content-Transfer-Encoding") == "quoted-printable" {
			body = quotedprintable.NewReader(p)
		}
		b, err := io.ReadAll(body)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
}
