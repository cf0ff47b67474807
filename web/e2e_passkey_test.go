package web_test

import (
	"context"
	"encoding/base32"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"navette"
	"navette/app"
	"navette/app/apptest"
	"navette/internal/testbrowser"
	"navette/totp"
)

// freePort returns a TCP port of 127.0.0.1 free a moment ago: the node's
// public URL must name it before the node listens on it.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// startPasskeyNode starts a node behind its front server, whose public URL
// is the front's, http://localhost:PORT: WebAuthn takes a domain as the
// relying party id, never an IP address, and browsers treat localhost as a
// secure origin.
func startPasskeyNode(t *testing.T, clock navette.Clock) *node {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := fmt.Sprintf("http://localhost:%d", l.Addr().(*net.TCPAddr).Port)
	a := apptest.Start(t, clock, func(c *app.Config) {
		c.PublicURL = public
		c.Auth.PasskeyOnly = true
		quickAnswers(c)
	})
	n := &node{app: a, URL: public}
	front := &httptest.Server{Listener: l, Config: &http.Server{Handler: n.front(a.URL())}}
	front.Start()
	t.Cleanup(front.Close)
	return n
}

// aheadClock is the system clock moved forward by Advance, so that the
// browser's steps keep their real pace and order.
type aheadClock struct {
	mu    sync.Mutex
	ahead time.Duration
}

func (c *aheadClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return navette.SystemClock{}.Now().Add(c.ahead)
}

func (c *aheadClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ahead += d
}

// virtualAuthenticator gives the browser a platform authenticator that
// verifies its user and keeps discoverable credentials.
func virtualAuthenticator(t *testing.T, b *testbrowser.Browser) webauthn.AuthenticatorID {
	t.Helper()
	if _, err := chromedp.Call(b.Ctx, webauthn.Enable, webauthn.EnableParams{}); err != nil {
		t.Fatalf("WebAuthn.enable: %v", err)
	}
	res, err := chromedp.Call(b.Ctx, webauthn.AddVirtualAuthenticator, webauthn.AddVirtualAuthenticatorParams{
		Options: &webauthn.VirtualAuthenticatorOptions{
			Protocol:                    webauthn.AuthenticatorProtocolCtap2,
			Ctap2version:                webauthn.Ctap2versionCtap21,
			Transport:                   webauthn.AuthenticatorTransportInternal,
			HasResidentKey:              true,
			HasUserVerification:         true,
			IsUserVerified:              true,
			AutomaticPresenceSimulation: true,
		},
	})
	if err != nil {
		t.Fatalf("WebAuthn.addVirtualAuthenticator: %v", err)
	}
	return res.AuthenticatorID
}

// signInEvents returns the methods of the sign-ins of u, oldest first.
func signInMethods(t *testing.T, n *node, u *navette.User) []string {
	t.Helper()
	evs, err := n.app.Meta.Events(context.Background(), navette.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range evs {
		if e.Type == navette.EventSignIn && e.ActorID == u.ID {
			out = append(out, e.Detail)
		}
	}
	return out
}

func countEvents(t *testing.T, n *node, typ navette.EventType) int {
	t.Helper()
	return countEventsWhere(t, n, func(e navette.Event) bool { return e.Type == typ })
}

// countEventsWhere counts the events of the node's journal (its first
// 1,000) that keep says to count.
func countEventsWhere(t *testing.T, n *node, keep func(navette.Event) bool) int {
	t.Helper()
	evs, err := n.app.Meta.Events(context.Background(), navette.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	c := 0
	for _, e := range evs {
		if keep(e) {
			c++
		}
	}
	return c
}

func signOut(b *testbrowser.Browser) {
	b.Run("sign out",
		chromedp.Click(chromedp.CSS(`form[action="/signout"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#email")),
	)
}

// codeStep signs email in with an e-mailed code, up to the second factor.
func codeStep(t *testing.T, n *node, b *testbrowser.Browser, email string) {
	t.Helper()
	b.Navigate(n.URL + "/signin")
	start := time.Now()
	b.Run("ask for a code",
		chromedp.SendKeys(chromedp.CSS("#email"), email),
		chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	code := n.code(t, email, start)
	b.Run("give the code",
		chromedp.SendKeys(chromedp.CSS("#code"), code),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#passkey-start")),
	)
}

// keyCopy is a credential to add to a virtual authenticator: the fields
// of webauthn.Credential that Chromium accepts from an authenticator
// without CMTG keys (cdproto always sends generateCmtgKeyOnNextOperation,
// which such an authenticator refuses).
type keyCopy struct {
	CredentialID         []byte  `json:"credentialId"`
	IsResidentCredential bool    `json:"isResidentCredential"`
	RpID                 string  `json:"rpId"`
	PrivateKey           []byte  `json:"privateKey"`
	UserHandle           []byte  `json:"userHandle,omitempty"`
	SignCount            float64 `json:"signCount"`
}

type addKeyParams struct {
	AuthenticatorID webauthn.AuthenticatorID `json:"authenticatorId"`
	Credential      keyCopy                  `json:"credential"`
}

var addKey = cdp.Command[addKeyParams, cdp.Empty]{Method: webauthn.CommandAddCredential}

// copyCredential returns a copy of c with the signature counter count.
func copyCredential(c *webauthn.Credential, count float64) keyCopy {
	return keyCopy{CredentialID: c.CredentialID, IsResidentCredential: c.IsResidentCredential, RpID: c.RpID,
		PrivateKey: c.PrivateKey, UserHandle: c.UserHandle, SignCount: count}
}

// addCredential adds c to the authenticator.
func addCredential(t *testing.T, b *testbrowser.Browser, auth webauthn.AuthenticatorID, c keyCopy) {
	t.Helper()
	if _, err := chromedp.Call(b.Ctx, addKey, addKeyParams{AuthenticatorID: auth, Credential: c}); err != nil {
		t.Fatalf("WebAuthn.addCredential: %v", err)
	}
}

// setCredential replaces the credential of the authenticator with c.
func setCredential(t *testing.T, b *testbrowser.Browser, auth webauthn.AuthenticatorID, c keyCopy) {
	t.Helper()
	if _, err := chromedp.Call(b.Ctx, webauthn.RemoveCredential, webauthn.RemoveCredentialParams{AuthenticatorID: auth, CredentialID: c.CredentialID}); err != nil {
		t.Fatal(err)
	}
	addCredential(t, b, auth, c)
}

// phishingProxy relays every request to target, keeping the Host the
// browser sent, as a phishing site relaying the platform would: its pages
// look the same, and its origin is http://localhost:PORT of its own.
func phishingProxy(t *testing.T, target string) string {
	t.Helper()
	u, _ := url.Parse(target)
	rp := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(u)
			pr.Out.Host = pr.In.Host
		},
		ErrorLog: log.New(io.Discard, "", 0),
	}
	front := httptest.NewServer(rp)
	t.Cleanup(front.Close)
	return strings.Replace(front.URL, "127.0.0.1", "localhost", 1)
}

// waitProblem waits for the passkey script's problem and returns it.
func waitProblem(b *testbrowser.Browser) string {
	b.Run("wait for the refusal", chromedp.WaitVisible(chromedp.CSS("#passkey-problem p")))
	return b.Text("#passkey-problem p")
}

// TestPasskeys: in a real Chromium with a virtual authenticator, a lawyer
// who signed in with a code and TOTP adds a passkey in "Mon compte", then
// signs in with a code and the passkey instead of TOTP, and with the
// passkey alone; the same credential answering a page of another origin is
// refused; a copied key (its signature counter gone back) is refused;
// once removed, the passkey no longer signs in.
func TestPasskeys(t *testing.T) {
	// The clock is the system's, moved on to let the confirmation of
	// identity go stale.
	clock := &aheadClock{}
	n := startPasskeyNode(t, clock)
	lawyer := n.user(t, "passkey@avocat.example", "Maître Clé", navette.RolePartner)
	b := testbrowser.New(t, n.URL)
	auth := virtualAuthenticator(t, b)

	signIn(t, n, b, lawyer.Email)
	b.Navigate(n.URL + "/account")
	b.Run("see the account page", chromedp.WaitVisible(chromedp.CSS("#no-passkey")))
	b.Axe("/account")
	b.Run("add a passkey",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Ordinateur du cabinet"),
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("#passkeys .passkey-name")),
	)
	if got := b.Text("#passkeys .passkey-name"); got != "Ordinateur du cabinet" {
		t.Fatalf("passkey listed as %q", got)
	}
	if got := b.Text("#passkeys tbody tr td:nth-child(3)"); got != "Jamais" {
		t.Errorf("a new passkey's last use: %q, want Jamais", got)
	}
	b.Axe("/account with a passkey")
	creds, err := chromedp.Call(b.Ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth})
	if err != nil || len(creds.Credentials) != 1 || creds.Credentials[0].RpID != "localhost" || !creds.Credentials[0].IsResidentCredential {
		t.Fatalf("the authenticator holds %+v, %v; want one discoverable credential for localhost", creds, err)
	}

	// The passkey as the second factor.
	signOut(b)
	codeStep(t, n, b, lawyer.Email)
	b.Axe("/signin/totp with a passkey")
	b.Run("use the passkey as second factor",
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("table, .empty")),
	)
	if loc := b.Location(); !strings.HasSuffix(loc, "/inbox") {
		t.Fatalf("after the passkey: %s", loc)
	}
	b.Navigate(n.URL + "/account")
	if got := b.Text("#signin-method"); !strings.Contains(got, "code reçu par courriel et clé d’accès") {
		t.Errorf("account page says %q, want the e-mailed code and the passkey", got)
	}
	if got := b.Text("#passkeys tbody tr td:nth-child(3)"); got == "Jamais" {
		t.Errorf("the passkey's last use is still %q", got)
	}

	// The passkey alone.
	signOut(b)
	b.Axe("/signin with passkeys")
	b.Run("sign in with the passkey alone",
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("table, .empty")),
	)
	if loc := b.Location(); !strings.HasSuffix(loc, "/inbox") {
		t.Fatalf("after the passkey alone: %s", loc)
	}

	// A phishing proxy at another origin (http://localhost:OTHER, which
	// the browser lets use the relying party id localhost) relays the
	// platform's pages: a browser holding the same key signs in there, and
	// the server refuses the answer made for the proxy's origin.
	failed := countEvents(t, n, navette.EventSignInFailed)
	creds, err = chromedp.Call(b.Ctx, webauthn.GetCredentials, webauthn.GetCredentialsParams{AuthenticatorID: auth})
	if err != nil || len(creds.Credentials) != 1 {
		t.Fatalf("credentials: %v, %v", creds, err)
	}
	proxy := phishingProxy(t, n.app.URL())
	pb := testbrowser.New(t, proxy)
	pauth := virtualAuthenticator(t, pb)
	addCredential(t, pb, pauth, copyCredential(creds.Credentials[0], 0))
	pb.Navigate(proxy + "/signin")
	pb.Run("answer the proxy's page", chromedp.Click(chromedp.CSS("#passkey-start")))
	if got := waitProblem(pb); !strings.Contains(got, "La connexion a échoué") {
		t.Errorf("another origin: %q", got)
	}
	if loc := pb.Location(); !strings.HasSuffix(loc, "/signin") {
		t.Errorf("another origin signed in: %s", loc)
	}
	if got := countEvents(t, n, navette.EventSignInFailed); got != failed+1 {
		t.Errorf("%d sign-in failures journaled, want %d", got, failed+1)
	}

	// A copy of the key whose signature counter went back is refused and
	// journaled.
	signOut(b)
	cred := creds.Credentials[0]
	setCredential(t, b, auth, copyCredential(cred, 1))
	b.Run("sign in with a copied key", chromedp.Click(chromedp.CSS("#passkey-start")))
	if got := waitProblem(b); !strings.Contains(got, "La connexion a échoué") {
		t.Errorf("copied key: %q", got)
	}
	if c := countEvents(t, n, navette.EventPasskeyCloned); c != 1 {
		t.Errorf("%d passkey.cloned events, want 1", c)
	}
	setCredential(t, b, auth, copyCredential(cred, 1000))

	// Removed, the passkey no longer signs in.
	codeStep(t, n, b, lawyer.Email)
	b.Run("use the passkey again",
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("table, .empty")),
	)
	// Six minutes on, changing factors needs a step-up, given in place
	// with the passkey; then the removal goes through.
	clock.Advance(6 * time.Minute)
	b.Navigate(n.URL + "/account")
	b.Run("see the step-up", chromedp.WaitVisible(chromedp.CSS("#stepup-passkey")))
	if testbrowser.Eval[bool](b, `document.querySelector(".passkey-remove") !== null || document.getElementById("passkey-add") !== null`) {
		t.Error("a stale session is offered to change its factors")
	}
	b.Axe("/account asking for a step-up")
	b.Run("step up with the passkey",
		chromedp.Click(chromedp.CSS("#stepup-passkey")),
		chromedp.WaitVisible(chromedp.CSS(".passkey-remove")),
	)
	b.Run("remove the passkey",
		chromedp.Click(chromedp.CSS(".passkey-remove")),
		chromedp.WaitVisible(chromedp.CSS("#no-passkey")),
	)
	signOut(b)
	b.Run("sign in with the removed passkey", chromedp.Click(chromedp.CSS("#passkey-start")))
	if got := waitProblem(b); !strings.Contains(got, "La connexion a échoué") {
		t.Errorf("removed passkey: %q", got)
	}

	want := []string{"code+totp", "code+passkey", "passkey", "code+passkey"}
	if got := signInMethods(t, n, lawyer); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("sign-ins journaled: %v, want %v", got, want)
	}
	if a, r, s := countEvents(t, n, navette.EventPasskeyAdded), countEvents(t, n, navette.EventPasskeyRemoved), countEvents(t, n, navette.EventSteppedUp); a != 1 || r != 1 || s != 1 {
		t.Errorf("passkey.added %d, passkey.removed %d, session.stepped_up %d; want 1, 1 and 1", a, r, s)
	}
}

// TestPasskeyEnrolment: at their first sign-in, a lawyer enrols a passkey
// instead of a TOTP application; their next sign-in asks for the passkey
// only; removing their only second factor is refused.
func TestPasskeyEnrolment(t *testing.T) {
	n := startPasskeyNode(t, nil)
	lawyer := n.user(t, "premiere@avocat.example", "Maître Première", navette.RolePartner)
	b := testbrowser.New(t, n.URL)
	virtualAuthenticator(t, b)

	codeStep(t, n, b, lawyer.Email)
	b.Axe("/signin/enrol with passkeys")
	b.Run("enrol a passkey",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Téléphone"),
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	passCodes(t, b)
	if loc := b.Location(); !strings.HasSuffix(loc, "/inbox") {
		t.Fatalf("after enrolling a passkey: %s", loc)
	}
	signOut(b)
	codeStep(t, n, b, lawyer.Email)
	if testbrowser.Eval[bool](b, `document.querySelector('form[action="/signin/totp"]') !== null`) {
		t.Error("a TOTP code is asked of someone who has none")
	}
	b.Run("sign in with the passkey",
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("table, .empty")),
	)
	b.Navigate(n.URL + "/account")
	if got := b.Text("#totp-state"); got != "Non activée" {
		t.Errorf("TOTP state %q", got)
	}
	b.Run("remove the only second factor",
		chromedp.Click(chromedp.CSS(".passkey-remove")),
		chromedp.WaitVisible(chromedp.CSS("#problem")),
	)
	if got := b.Text("#problem"); !strings.Contains(got, "dernier second facteur") {
		t.Errorf("removing the last factor: %q", got)
	}
	if got := b.Text("#passkeys .passkey-name"); got != "Téléphone" {
		t.Errorf("the passkey is gone: %q", got)
	}
	if got := signInMethods(t, n, lawyer); strings.Join(got, " ") != "code+passkey code+passkey" {
		t.Errorf("sign-ins journaled: %v", got)
	}
}

// TestRecoveryInBrowser: the recovery codes shown at enrolment sign the
// lawyer in instead of their TOTP code, once, and the page says how many
// are left; the lost-factor link of the second-factor page leads to a
// request that answers without telling whether the address is known.
func TestRecoveryInBrowser(t *testing.T) {
	n := startNode(t)
	lawyer := n.user(t, "secours@avocat.example", "Maître Secours", navette.RolePartner)
	b := testbrowser.New(t, n.URL)
	b.Navigate(n.URL + "/signin")
	start := time.Now()
	b.Run("ask for a code",
		chromedp.SendKeys(chromedp.CSS("#email"), lawyer.Email),
		chromedp.Submit(chromedp.CSS("#email")),
		chromedp.WaitVisible(chromedp.CSS("#code")),
	)
	b.Run("give the code",
		chromedp.SendKeys(chromedp.CSS("#code"), n.code(t, lawyer.Email, start)),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#totp-secret")),
	)
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ReplaceAll(b.Text("#totp-secret"), " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	b.Run("enrol TOTP",
		chromedp.SendKeys(chromedp.CSS("#code"), totp.Code(secret, totp.Step(time.Now()))),
		chromedp.Submit(chromedp.CSS("#code")),
		chromedp.WaitVisible(chromedp.CSS("#recovery-codes")),
	)
	codes := passCodes(t, b)
	signOut(b)

	for i, want := range []string{"Codes de récupération restants : 9.", ""} {
		b.Navigate(n.URL + "/signin")
		start = time.Now()
		b.Run("ask for a code",
			chromedp.SendKeys(chromedp.CSS("#email"), lawyer.Email),
			chromedp.Submit(chromedp.CSS("#email")),
			chromedp.WaitVisible(chromedp.CSS("#code")),
		)
		b.Run("give the code",
			chromedp.SendKeys(chromedp.CSS("#code"), n.code(t, lawyer.Email, start)),
			chromedp.Submit(chromedp.CSS("#code")),
			chromedp.WaitVisible(chromedp.CSS("#recovery summary")),
		)
		if i == 0 {
			b.Axe("/signin/totp with recovery")
		}
		b.Run("give a recovery code",
			chromedp.Click(chromedp.CSS("#recovery summary")),
			chromedp.SendKeys(chromedp.CSS("#recovery-code"), codes[2]),
			chromedp.Submit(chromedp.CSS("#recovery-code")),
			chromedp.WaitVisible(chromedp.CSS("#codes-left, #problem")),
		)
		if want != "" {
			if got := b.Text("#codes-left"); got != want {
				t.Fatalf("after a recovery code: %q", got)
			}
			b.Axe("recovery code accepted")
			b.Navigate(n.URL + "/inbox")
			signOut(b)
			continue
		}
		if got := b.Text("#problem"); !strings.Contains(got, "déjà servi") {
			t.Errorf("a used recovery code: %q", got)
		}
	}

	b.Run("lost factor",
		chromedp.Click(chromedp.CSS("#lost-link")),
		chromedp.WaitVisible(chromedp.CSS("#lost-email")),
	)
	b.Axe("/signin/lost")
	b.Run("ask for recovery",
		chromedp.SendKeys(chromedp.CSS("#lost-email"), lawyer.Email),
		chromedp.Submit(chromedp.CSS("#lost-email")),
		chromedp.WaitVisible(chromedp.CSS("#lost-sent")),
	)
	if got := b.Text("#lost-sent"); !strings.Contains(got, lawyer.Email) {
		t.Errorf("the request's answer: %q", got)
	}
}

// TestPasskeyUnanswered: the platform's answer to the browser's passkey
// answer is lost on its way back (failure injection: the front passes the
// request on, then closes the connection, as a network cut would; a
// loopback makes none). Adding a passkey, the page says that the platform
// did not answer and lists the passkey, which the server saved; signing in
// with it, and confirming identity with it, the page says that the
// platform did not answer, not that the person cancelled.
func TestPasskeyUnanswered(t *testing.T) {
	clock := &aheadClock{}
	n := startPasskeyNode(t, clock)
	lawyer := n.user(t, "coupure@avocat.example", "Maître Coupure", navette.RolePartner)
	b := testbrowser.New(t, n.URL)
	virtualAuthenticator(t, b)
	signIn(t, n, b, lawyer.Email)
	b.Navigate(n.URL + "/account")

	n.cut.Store(newCut(http.MethodPost, "/account/passkeys", 1000))
	b.Run("add a passkey",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Portable"),
		chromedp.Click(chromedp.CSS("#passkey-start")),
	)
	want := "La plateforme n’a pas répondu à temps : la liste ci-dessus montre si la clé d’accès a été ajoutée. Si elle n’y figure pas, recommencez."
	if got := waitProblem(b); got != want {
		t.Errorf("adding a passkey unanswered: got %q, want %q", got, want)
	}
	if got := b.Text("#passkeys .passkey-name"); got != "Portable" {
		t.Errorf("the list after the unanswered addition: got %q, want %q", got, "Portable")
	}
	n.cut.Store(nil)

	signOut(b)
	n.cut.Store(newCut(http.MethodPost, "/signin/passkey-only", 1000))
	b.Run("sign in with the passkey", chromedp.Click(chromedp.CSS("#passkey-start")))
	want = "La plateforme n’a pas répondu. Rechargez la page, puis recommencez si vous n’êtes pas connecté."
	if got := waitProblem(b); got != want {
		t.Errorf("signing in unanswered: got %q, want %q", got, want)
	}
	n.cut.Store(nil)
	b.Run("sign in again",
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("table, .empty")),
	)

	clock.Advance(6 * time.Minute)
	b.Navigate(n.URL + "/account")
	n.cut.Store(newCut(http.MethodPost, "/account/step-up/passkey", 1000))
	b.Run("step up with the passkey",
		chromedp.Click(chromedp.CSS("#stepup-passkey")),
		chromedp.WaitVisible(chromedp.CSS("#stepup-problem p")),
	)
	want = "La plateforme n’a pas répondu. Rechargez la page : elle montrera si votre identité est confirmée ; sinon, recommencez."
	if got := b.Text("#stepup-problem p"); got != want {
		t.Errorf("stepping up unanswered: got %q, want %q", got, want)
	}
	n.cut.Store(nil)
	b.Navigate(n.URL + "/account")
	b.Run("see the identity confirmed", chromedp.WaitVisible(chromedp.CSS(".passkey-remove")))
}
