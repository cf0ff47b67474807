package app_test

import (
	"bytes"
	"context"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/auth"
	"navette/directory"
	"navette/keyring"
	"navette/totp"
)

// browser is a client that keeps the session cookie the way a browser
// does: Go's cookie jar would not send a Secure cookie over the plain
// http of the test server, which browsers do for loopback.
type browser struct {
	e      *env
	cookie string
	csrf   string
	origin string
}

func (e *env) browser() *browser { return &browser{e: e, origin: e.url} }

// do sends a request as a page of the platform would: with the cookie,
// the Origin header and, when known, the CSRF token.
func (b *browser) do(t *testing.T, method, path string, v any) (*http.Response, []byte) {
	t.Helper()
	var body io.Reader
	if v != nil {
		j, _ := json.Marshal(v)
		body = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, b.e.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if v != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
	}
	if b.origin != "" && method != "GET" {
		req.Header.Set("Origin", b.origin)
	}
	if b.csrf != "" {
		req.Header.Set("X-CSRF-Token", b.csrf)
	}
	resp, err := b.e.noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName {
			b.cookie = c.Value
			if c.MaxAge < 0 {
				b.cookie = ""
			}
		}
	}
	return resp, out
}

// session reads a session answer and keeps its CSRF token.
func (b *browser) session(t *testing.T, resp *http.Response, body []byte, want int) api.Session {
	t.Helper()
	if resp.StatusCode != want {
		t.Fatalf("%s %s: got %d %s, want %d", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, body, want)
	}
	var s api.Session
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatal(err)
	}
	b.csrf = s.CSRF
	return s
}

var codeRE = regexp.MustCompile(`\b(\d{4}) (\d{4})\b`)

// codes returns the sign-in codes mailed to email so far.
func (e *env) codes(t *testing.T, email string) map[string]bool {
	t.Helper()
	ms, err := e.app.Outbox.List(1000)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, m := range ms {
		if m.To.Email == email {
			if c := codeRE.FindStringSubmatch(m.Text); c != nil {
				out[c[1]+c[2]] = true
			}
		}
	}
	return out
}

// newCode waits for a sign-in code mailed to email that is not in seen, and
// returns it.
func (e *env) newCode(t *testing.T, email string, seen map[string]bool) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		e.app.Worker.Kick()
		for c := range e.codes(t, email) {
			if !seen[c] {
				return c
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no new sign-in code reached %s", email)
	return ""
}

// code waits for a sign-in code mailed to email that no test took yet, and
// returns it.
func (e *env) code(t *testing.T, email string) string {
	t.Helper()
	if e.seenCodes == nil {
		e.seenCodes = map[string]bool{}
	}
	c := e.newCode(t, email, e.seenCodes)
	e.seenCodes[c] = true
	return c
}

// signIn signs a partner in with an e-mailed code and an enrolled second
// factor, and returns the browser and the TOTP secret.
func (e *env) signIn(t *testing.T, email string) (*browser, []byte) {
	t.Helper()
	b := e.browser()
	seen := e.codes(t, email)
	resp, body := b.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: email})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("code request: %d %s", resp.StatusCode, body)
	}
	code := e.newCode(t, email, seen)
	resp, body = b.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: strings.ToUpper(email), Code: code[:4] + " " + code[4:]})
	if s := b.session(t, resp, body, 200); s.Stage == string(navette.StageSecondFactor) {
		return b, nil
	} else if s.Stage != string(navette.StageEnrol) {
		t.Fatalf("stage after the code: %q", s.Stage)
	}
	resp, body = b.do(t, "POST", api.PathAuthEnrol, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("enrol: %d %s", resp.StatusCode, body)
	}
	var en api.Enrolment
	json.Unmarshal(body, &en)
	secret := decodeSecret(t, en.Secret)
	resp, body = b.do(t, "POST", api.PathAuthEnrolDone, api.SecondFactor{Code: totp.Code(secret, totp.Step(e.clock.Now()))})
	if s := b.session(t, resp, body, 200); s.Stage != string(navette.StageFull) {
		t.Fatalf("stage after enrolment: %q", s.Stage)
	}
	return b, secret
}

func decodeSecret(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSignInWithCodeAndTOTP(t *testing.T) {
	e := newEnv(t)
	b := e.browser()

	// Before the second factor, the session reaches nothing.
	b.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
	code := e.code(t, lawyerEmail)
	resp, body := b.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: code})
	first := b.cookie
	b.session(t, resp, body, 200)
	setCookie := resp.Header.Get("Set-Cookie")
	for _, attr := range []string{auth.CookieName + "=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
		if !strings.Contains(setCookie, attr) {
			t.Errorf("session cookie %q lacks %q", setCookie, attr)
		}
	}
	if strings.Contains(setCookie, "Domain=") {
		t.Errorf("a __Host- cookie must not name a domain: %q", setCookie)
	}
	if resp, _ := b.do(t, "GET", api.PathDeposits, nil); resp.StatusCode != 401 {
		t.Errorf("deposits before the second factor: got %d, want 401", resp.StatusCode)
	}
	// A code is used once.
	if resp, _ := e.browser().do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: code}); resp.StatusCode != 401 {
		t.Errorf("code reused: got %d, want 401", resp.StatusCode)
	}

	b.do(t, "POST", api.PathAuthEnrol, nil)
	resp, body = b.do(t, "POST", api.PathAuthEnrol, nil)
	var en api.Enrolment
	json.Unmarshal(body, &en)
	if !strings.HasPrefix(en.URI, "otpauth://totp/") {
		t.Fatalf("enrolment: %d %s", resp.StatusCode, body)
	}
	secret := decodeSecret(t, en.Secret)
	if resp, _ := b.do(t, "POST", api.PathAuthEnrolDone, api.SecondFactor{Code: "000000"}); resp.StatusCode != 401 {
		t.Errorf("wrong enrolment code: got %d, want 401", resp.StatusCode)
	}
	resp, body = b.do(t, "POST", api.PathAuthEnrolDone, api.SecondFactor{Code: totp.Code(secret, totp.Step(e.clock.Now()))})
	b.session(t, resp, body, 200)
	if b.cookie == first || b.cookie == "" {
		t.Error("the session id did not change at sign-in")
	}
	var me api.Me
	resp, body = b.do(t, "GET", api.PathMe, nil)
	if json.Unmarshal(body, &me); resp.StatusCode != 200 || me.Email != lawyerEmail || !me.TOTP {
		t.Fatalf("me: %d %s", resp.StatusCode, body)
	}
	// The old cookie is dead.
	old := &browser{e: e, cookie: first}
	if resp, _ := old.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("the first-factor session still works: %d", resp.StatusCode)
	}

	// State changes need the CSRF token and this origin.
	csrf := b.csrf
	b.csrf = ""
	if resp, _ := b.do(t, "POST", api.PathDeposits, api.CreateDeposit{Recipients: []string{agentEmail}, Reference: "R"}); resp.StatusCode != 403 {
		t.Errorf("POST without CSRF token: got %d, want 403", resp.StatusCode)
	}
	b.csrf, b.origin = csrf, "https://evil.example"
	if resp, _ := b.do(t, "POST", api.PathDeposits, api.CreateDeposit{Recipients: []string{agentEmail}, Reference: "R"}); resp.StatusCode != 403 {
		t.Errorf("POST from another origin: got %d, want 403", resp.StatusCode)
	}
	b.origin = e.url
	if resp, body := b.do(t, "GET", api.PathDeposits, nil); resp.StatusCode != 200 {
		t.Errorf("inbox: %d %s", resp.StatusCode, body)
	}

	// The next sign-in asks for the second factor, and a TOTP code is
	// accepted once.
	e.clock.Advance(time.Minute)
	b2 := e.browser()
	b2.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
	code = e.code(t, lawyerEmail)
	resp, body = b2.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: code})
	if s := b2.session(t, resp, body, 200); s.Stage != string(navette.StageSecondFactor) {
		t.Fatalf("stage: %q", s.Stage)
	}
	now := totp.Code(secret, totp.Step(e.clock.Now()))
	resp, body = b2.do(t, "POST", api.PathAuthTOTP, api.SecondFactor{Code: now})
	b2.session(t, resp, body, 200)
	e.clock.Advance(time.Second)
	b3 := e.browser()
	b3.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
	code = e.code(t, lawyerEmail)
	resp, body = b3.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: code})
	b3.session(t, resp, body, 200)
	if resp, body := b3.do(t, "POST", api.PathAuthTOTP, api.SecondFactor{Code: now}); resp.StatusCode != 401 || !strings.Contains(string(body), `"detail":"This code was used already: wait for the next one."`) {
		t.Errorf("replayed TOTP code: got %d %s, want 401 saying it was used", resp.StatusCode, body)
	}

	// Sign-out ends the session on the server.
	kept := b.cookie
	if resp, _ := b.do(t, "POST", api.PathAuthSignOut, nil); resp.StatusCode != 204 {
		t.Fatalf("sign-out: %d", resp.StatusCode)
	}
	replay := &browser{e: e, cookie: kept}
	if resp, _ := replay.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("session after sign-out: got %d, want 401", resp.StatusCode)
	}
}

func TestCodeBruteForceIsStopped(t *testing.T) {
	e := newEnv(t)
	b := e.browser()
	b.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
	code := e.code(t, lawyerEmail)
	wrong := "00000000"
	if wrong == code {
		wrong = "11111111"
	}
	for i := range 5 {
		if resp, _ := b.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: wrong}); resp.StatusCode != 401 {
			t.Fatalf("wrong code %d: got %d", i, resp.StatusCode)
		}
	}
	// Burnt: the right code no longer works.
	if resp, _ := b.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: code}); resp.StatusCode != 401 {
		t.Errorf("right code after 5 wrong ones: got %d, want 401", resp.StatusCode)
	}
	evs, _ := e.app.Meta.Events(context.Background(), navette.EventFilter{Limit: 1000})
	failed := 0
	for _, ev := range evs {
		if ev.Type == navette.EventSignInFailed {
			failed++
		}
	}
	if failed != 5 {
		t.Errorf("signin.failed events: got %d, want 5", failed)
	}
}

func TestCodeRequestTellsNothing(t *testing.T) {
	e := newEnv(t)
	var answers []string
	for _, email := range []string{lawyerEmail, "nobody@avocat.example", agentEmail} {
		resp, body := e.browser().do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: email})
		answers = append(answers, resp.Status+" "+string(body))
	}
	if answers[0] != answers[1] || answers[1] != answers[2] {
		t.Errorf("answers differ: %q", answers)
	}
	// The agent may not use codes (no StaffCodes), the unknown address has
	// no account: only the lawyer gets a mail.
	e.code(t, lawyerEmail)
	ms, _ := e.app.Outbox.List(100)
	if len(ms) != 1 {
		t.Errorf("mails sent: got %d, want 1", len(ms))
	}
	// Past the hourly allowance of an address, no more mail, same answer.
	for range 6 {
		resp, body := e.browser().do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
		if got := resp.Status + " " + string(body); got != answers[0] {
			t.Errorf("answer past the allowance: %q", got)
		}
	}
	codes, _ := e.app.Meta.SignInCodes(context.Background(), userID(t, e, lawyerEmail), time.Time{})
	if len(codes) != 5 {
		t.Errorf("codes issued: got %d, want 5", len(codes))
	}
}

// TestSignInCodeDigestIsKeyed: a copy of the database alone cannot test
// guesses of a live code. The stored digest is not the plain SHA-256 of
// what the database holds and the code; it is an HMAC under the MAC key in
// keys/, named by its id, and the code no longer checks once that key is
// gone.
func TestSignInCodeDigestIsKeyed(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.browser().do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
	code := e.code(t, lawyerEmail)
	codes, err := e.app.Meta.SignInCodes(ctx, userID(t, e, lawyerEmail), time.Time{})
	if err != nil || len(codes) != 1 {
		t.Fatalf("stored codes: %v, %v", codes, err)
	}
	c := codes[0]
	for _, guess := range []string{c.ID + ":" + code, code, c.ID + code} {
		if bytes.Equal(c.Hash, auth.HashSecret(guess)) {
			t.Fatalf("the stored digest is SHA-256(%q): a database copy cracks it", guess)
		}
	}
	if len(c.Hash) != keyring.DigestSize || hex.EncodeToString(c.Hash[:8]) != e.app.MAC.ActiveID() {
		t.Fatalf("stored digest %x: want the MAC key id %s then a tag", c.Hash, e.app.MAC.ActiveID())
	}
	keyFile := filepath.Join(e.dir, "keys", e.app.MAC.ActiveID()+".hmac")
	if _, err := os.Stat(keyFile); err != nil {
		t.Fatalf("the MAC key is not beside the KEKs: %v", err)
	}
	// With another MAC key (a database copy taken elsewhere), the right
	// code does not check.
	other, err := keyring.OpenMAC(filepath.Join(t.TempDir(), "keys"))
	if err != nil {
		t.Fatal(err)
	}
	a := e.app.Auth
	elsewhere := &auth.Service{Meta: a.Meta, Clock: a.Clock, Keys: a.Keys, Codes: other, Config: a.Config, Log: a.Log}
	elsewhere.Init()
	if _, err := elsewhere.VerifyCode(ctx, lawyerEmail, code, "192.0.2.1"); !navette.IsCode(err, navette.EUNAUTHORIZED) {
		t.Errorf("the code checked under another MAC key: %v", err)
	}
	if resp, body := e.browser().do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: code}); resp.StatusCode != 200 {
		t.Errorf("the code under its own key: %d %s", resp.StatusCode, body)
	}
}

// TestSignInRefusalsAreAlike: each step of a sign-in by code refuses
// everyone with the same answer, byte for byte: a partner with a wrong code,
// one with no code or an expired one, a revoked partner with the right code,
// staff (who may not use codes), a service mailbox and an unknown address.
func TestSignInRefusalsAreAlike(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user("root@justice.example", "Admin", navette.RoleAdmin)
	op := &navette.User{ID: "operator", Role: navette.RoleAdmin}
	court, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-X", "Tribunal X")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe X", "greffe.x@justice.example"); err != nil {
		t.Fatal(err)
	}
	revoked := "revoque@avocat.example"
	e.user(revoked, "Maître Révoqué", navette.RolePartner)
	expired := "expire@avocat.example"
	e.user(expired, "Maître Expiré", navette.RolePartner)

	askers := []string{lawyerEmail, strangerEmail, revoked, expired, agentEmail, "root@justice.example", "greffe.x@justice.example", "personne@avocat.example"}
	var asked string
	for _, email := range askers {
		resp, body := e.browser().do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: email})
		got := resp.Status + " " + string(body)
		if asked == "" {
			asked = got
		} else if got != asked {
			t.Errorf("code request for %s: %q, another got %q", email, got, asked)
		}
	}
	lawyerCode := e.code(t, lawyerEmail)
	revokedCode := e.code(t, revoked)
	expiredCode := e.code(t, expired)
	if _, err := e.app.Accounts.SetDisabled(ctx, op, userID(t, e, revoked), true); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(10 * time.Minute)
	e.browser().do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
	lawyerCode = e.newCode(t, lawyerEmail, map[string]bool{lawyerCode: true})
	wrong := "00000000"
	if wrong == lawyerCode {
		wrong = "11111111"
	}
	tries := []struct{ who, email, code string }{
		{"a partner, wrong code", lawyerEmail, wrong},
		{"a partner with no code", strangerEmail, wrong},
		{"a partner, expired code", expired, expiredCode},
		{"a revoked partner, right code", revoked, revokedCode},
		{"an agent", agentEmail, wrong},
		{"an admin", "root@justice.example", wrong},
		{"a service mailbox", "greffe.x@justice.example", wrong},
		{"an unknown address", "personne@avocat.example", wrong},
		{"a malformed code", lawyerEmail, "12"},
	}
	var refusal string
	for _, tr := range tries {
		resp, body := e.browser().do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: tr.email, Code: tr.code})
		got := resp.Status + " " + string(body)
		if resp.StatusCode != 401 {
			t.Errorf("%s: got %s, want 401", tr.who, got)
		}
		if refusal == "" {
			refusal = got
		} else if got != refusal {
			t.Errorf("%s: refused with %q, another refusal was %q", tr.who, got, refusal)
		}
	}
	resp, body := e.browser().do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: lawyerEmail, Code: lawyerCode})
	if resp.StatusCode != 200 {
		t.Errorf("the right code after the refusals: %d %s", resp.StatusCode, body)
	}
}

func userID(t *testing.T, e *env, email string) string {
	t.Helper()
	u, err := e.app.Meta.UserByEmail(context.Background(), email)
	if err != nil {
		t.Fatal(err)
	}
	return u.ID
}

func TestSessionTimeouts(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(t, lawyerEmail)
	// Active every 20 minutes, the session lives 12 hours, not more.
	for elapsed := 20 * time.Minute; elapsed < 12*time.Hour; elapsed += 20 * time.Minute {
		e.clock.Advance(20 * time.Minute)
		if resp, _ := b.do(t, "GET", api.PathMe, nil); resp.StatusCode != 200 {
			t.Fatalf("after %v of activity: got %d", elapsed, resp.StatusCode)
		}
		// The use is recorded in the background; the next request, 20
		// minutes later for the clock, comes at once for the test.
		e.app.Auth.Wait()
	}
	e.clock.Advance(20 * time.Minute)
	if resp, _ := b.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("past 12 h: got %d, want 401", resp.StatusCode)
	}
	// Idle for 30 minutes ends it.
	b, _ = e.signIn(t, strangerEmail)
	e.clock.Advance(29 * time.Minute)
	if resp, _ := b.do(t, "GET", api.PathMe, nil); resp.StatusCode != 200 {
		t.Fatalf("after 29 idle minutes: %d", resp.StatusCode)
	}
	e.app.Auth.Wait()
	e.clock.Advance(30 * time.Minute)
	if resp, _ := b.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("after 30 idle minutes: got %d, want 401", resp.StatusCode)
	}
}

// TestRevocationByDirectory strikes a lawyer off the directory flow: their
// session and token stop at the next request, they can no longer be chosen
// as a recipient, their deposits show it, and they are told.
func TestRevocationByDirectory(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	flow := func(status string) []directory.Entry { return lawyersFlow(t, durand, status) }
	if _, err := e.app.Directory.Apply(ctx, "lawyers", flow("actif"), directory.Options{}); err != nil {
		t.Fatal(err)
	}
	b, _ := e.signIn(t, "paul.durand@avocat.example")
	tok, _, err := e.app.Accounts.CreateToken(ctx, "paul.durand@avocat.example", "cli", 0)
	if err != nil {
		t.Fatal(err)
	}
	d := e.createDeposit(e.agent, "paul.durand@avocat.example")

	if _, err := e.app.Directory.Apply(ctx, "lawyers", flow("omis"), directory.Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	if resp, _ := b.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("session after revocation: got %d, want 401", resp.StatusCode)
	}
	if resp, _ := e.do("GET", api.PathMe, tok, nil); resp.StatusCode != 401 {
		t.Errorf("token after revocation: got %d, want 401", resp.StatusCode)
	}
	resp, body := e.do("POST", api.PathDeposits, e.agent, strings.NewReader(`{"recipients":["paul.durand@avocat.example"],"reference":"R"}`), "Content-Type", "application/json")
	if resp.StatusCode != 422 {
		t.Errorf("deposit to a revoked lawyer: got %d %s, want 422", resp.StatusCode, body)
	}
	var got api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, 200, &got)
	if len(got.Recipients) != 1 || !got.Recipients[0].Revoked {
		t.Errorf("the sender does not see the revocation: %+v", got.Recipients)
	}
	var found api.RecipientList
	e.doJSON("GET", api.PathRecipients+"?q=durand", e.agent, nil, 200, &found)
	if len(found.Recipients) != 0 {
		t.Errorf("a revoked lawyer is still offered as a recipient: %+v", found.Recipients)
	}
	ns, _ := e.app.Meta.Notices(ctx, navette.NoticeFilter{UserID: userID(t, e, "paul.durand@avocat.example")})
	revoked := 0
	for _, n := range ns {
		if n.Kind == navette.NoticeAccessRevoked {
			revoked++
		}
	}
	if revoked != 1 {
		t.Errorf("access-revoked notices: got %d, want 1", revoked)
	}
	// Back on the roll: access is restored.
	if _, err := e.app.Directory.Apply(ctx, "lawyers", flow("actif"), directory.Options{}); err != nil {
		t.Fatal(err)
	}
	e.clock.Advance(time.Minute)
	e.signIn(t, "paul.durand@avocat.example")
}

// TestAccessMailsWhoeverActs: a person is told once when their access is
// removed or given back, whoever does it. An admin who revokes a partner
// (200, as before) mails them one access_revoked naming the admin; one who
// restores them (200, the two-person rule off) one access_restored naming
// the admin; a restoration that changes nothing mails nothing. A directory
// sync that strikes a lawyer off, then lists them again, mails one of each
// that name the directory.
func TestAccessMailsWhoeverActs(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.Approvals = 1 })
	ctx := context.Background()
	adminTok := e.user("alice.admin@justice.example", "Alice Admin", navette.RoleAdmin)
	partner, err := e.app.Meta.UserByEmail(ctx, lawyerEmail)
	if err != nil {
		t.Fatal(err)
	}
	off, on := true, false
	var got api.User
	e.doJSON("PATCH", api.PathAdminUsers+"/"+partner.ID, adminTok, api.UpdateUser{Disabled: &off}, http.StatusOK, &got)
	if !got.Disabled {
		t.Errorf("the revoked partner reads %+v", got)
	}
	m := mailOnly(t, "the revoked partner", e.sentTo(t, partner), navette.NoticeAccessRevoked)[navette.NoticeAccessRevoked]
	if m != nil {
		says(t, m, "Votre accès à navette a été retiré", "Il a été retiré par", "Alice Admin", "alice.admin@justice.example", "adressez-vous à cette personne")
	}

	got = api.User{}
	e.doJSON("PATCH", api.PathAdminUsers+"/"+partner.ID, adminTok, api.UpdateUser{Disabled: &on}, http.StatusOK, &got)
	if got.Disabled {
		t.Errorf("the restored partner reads %+v", got)
	}
	m = mailOnly(t, "the restored partner", e.sentTo(t, partner), navette.NoticeAccessRevoked, navette.NoticeAccessRestored)[navette.NoticeAccessRestored]
	if m != nil {
		says(t, m, "Votre accès à navette est rétabli", "Rétabli par", "Alice Admin", "alice.admin@justice.example", e.url+"/")
		if strings.Contains(m.Text, "À la demande de") {
			t.Errorf("a restoration by hand speaks of a request:\n%s", m.Text)
		}
	}
	e.doJSON("PATCH", api.PathAdminUsers+"/"+partner.ID, adminTok, api.UpdateUser{Disabled: &on}, http.StatusOK, nil)
	mailOnly(t, "the partner restored twice", e.sentTo(t, partner), navette.NoticeAccessRevoked, navette.NoticeAccessRestored)

	for _, status := range []string{"actif", "omis", "actif"} {
		if _, err := e.app.Directory.Apply(ctx, "lawyers", lawyersFlow(t, durand, status), directory.Options{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	lawyer, err := e.app.Meta.UserByEmail(ctx, "paul.durand@avocat.example")
	if err != nil {
		t.Fatal(err)
	}
	if lawyer.Disabled {
		t.Fatal("the lawyer listed again is still revoked")
	}
	ms := mailOnly(t, "the lawyer", e.sentTo(t, lawyer), navette.NoticeAccessRevoked, navette.NoticeAccessRestored)
	if m := ms[navette.NoticeAccessRevoked]; m != nil {
		says(t, m, "Votre accès à navette a été retiré", "qui vous inscrit à l’annuaire")
	}
	if m := ms[navette.NoticeAccessRestored]; m != nil {
		says(t, m, "Votre accès à navette est rétabli", "l’annuaire qui vous inscrit")
		if strings.Contains(m.Text, "administrateur de navette") {
			t.Errorf("a restoration by the directory names an administrator:\n%s", m.Text)
		}
	}
	if got := e.sentTo(t, &navette.User{ID: userID(t, e, "lea.martin@avocat.example"), Email: "lea.martin@avocat.example"}); len(got) != 0 {
		t.Errorf("a lawyer the directory only listed was mailed: %v", got)
	}
}

// durand is Paul Durand as a lawyers' directory flow lists him, but for
// his status.
const durand = "1;Durand;Paul;Amiens;paul.durand@avocat.example"

// lawyersFlow returns the entries of a lawyers' directory flow listing
// lawyer (a line but for its status and date) with status, and Léa Martin
// active.
func lawyersFlow(t *testing.T, lawyer, status string) []directory.Entry {
	t.Helper()
	es, err := directory.Parse(strings.NewReader("cnbf;nom;prenom;barreau;email;statut;date_maj\n"+
		lawyer+";"+status+";2026-11-01\n"+
		"2;Martin;Léa;Amiens;lea.martin@avocat.example;actif;2026-11-01\n"), directory.LawyersMapping())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestDemotedAdminLosesAdminRoutesAtOnce(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	admin := e.user("root@justice.example", "Admin", navette.RoleAdmin)
	other := e.user("root2@justice.example", "Admin 2", navette.RoleAdmin)
	e.doJSON("GET", api.PathAdminUsers, admin, nil, 200, nil)
	role := "agent"
	e.doJSON("PATCH", api.PathAdminUsers+"/"+userID(t, e, "root@justice.example"), other, api.UpdateUser{Role: &role}, 200, nil)
	if resp, _ := e.do("GET", api.PathAdminUsers, admin, nil); resp.StatusCode != 403 {
		t.Errorf("admin route after demotion: got %d, want 403", resp.StatusCode)
	}
	// An admin cannot demote themselves (so there is always one left).
	resp, _ := e.do("PATCH", api.PathAdminUsers+"/"+userID(t, e, "root2@justice.example"), other, strings.NewReader(`{"role":"agent"}`), "Content-Type", "application/json")
	if resp.StatusCode != 409 {
		t.Errorf("self-demotion: got %d, want 409", resp.StatusCode)
	}
	_ = ctx
}

func TestTokenScopesAndRevocation(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	u, _ := e.app.Meta.UserByEmail(ctx, agentEmail)
	ro, t1, err := e.app.Accounts.CreateTokenFor(ctx, u, "read only", time.Hour, []navette.Scope{navette.ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	e.doJSON("GET", api.PathDeposits, ro, nil, 200, nil)
	resp, _ := e.do("POST", api.PathDeposits, ro, strings.NewReader(`{"recipients":["`+lawyerEmail+`"],"reference":"R"}`), "Content-Type", "application/json")
	if resp.StatusCode != 403 {
		t.Errorf("write with a read-only token: got %d, want 403", resp.StatusCode)
	}
	if _, _, err := e.app.Accounts.CreateTokenFor(ctx, u, "x", time.Hour, []navette.Scope{navette.ScopeAdmin}); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("admin scope for an agent: got %v, want EINVALID", err)
	}
	var list api.TokenList
	e.doJSON("GET", api.PathTokens, ro, nil, 200, &list)
	if len(list.Tokens) != 2 {
		t.Errorf("tokens listed: %d", len(list.Tokens))
	}
	// Another user cannot revoke it, nor tell it exists.
	if resp, _ := e.do("DELETE", api.PathTokens+"/"+t1.ID, e.lawyer, nil); resp.StatusCode != 404 {
		t.Errorf("revoking another's token: got %d, want 404", resp.StatusCode)
	}
	if resp, _ := e.do("DELETE", api.PathTokens+"/"+t1.ID, ro, nil); resp.StatusCode != 403 {
		t.Errorf("revoking one's token with a read-only token: got %d, want 403", resp.StatusCode)
	}
	if resp, _ := e.do("DELETE", api.PathTokens+"/"+t1.ID, e.agent, nil); resp.StatusCode != 204 {
		t.Errorf("revoking one's token: got %d", resp.StatusCode)
	}
	if resp, _ := e.do("GET", api.PathDeposits, ro, nil); resp.StatusCode != 401 {
		t.Errorf("revoked token: got %d, want 401", resp.StatusCode)
	}
	exp, _, _ := e.app.Accounts.CreateTokenFor(ctx, u, "short", time.Minute, nil)
	e.clock.Advance(time.Minute)
	if resp, _ := e.do("GET", api.PathDeposits, exp, nil); resp.StatusCode != 401 {
		t.Errorf("expired token: got %d, want 401", resp.StatusCode)
	}
}

// TestTokenRevocationNeedsWriteAndOwnership: deleting a token through
// /tokens takes the write scope and only ever reaches one's own tokens, an
// admin's included; admins revoke others' tokens through the admin API, with
// the admin scope.
func TestTokenRevocationNeedsWriteAndOwnership(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.user("root@justice.example", "Admin", navette.RoleAdmin)
	root, _ := e.app.Meta.UserByEmail(ctx, "root@justice.example")
	lawyer, _ := e.app.Meta.UserByEmail(ctx, lawyerEmail)
	mint := func(u *navette.User, scopes ...navette.Scope) (string, *navette.Token) {
		t.Helper()
		secret, tok, err := e.app.Accounts.CreateTokenFor(ctx, u, "t", time.Hour, scopes)
		if err != nil {
			t.Fatal(err)
		}
		return secret, tok
	}
	works := func(secret string) bool {
		resp, _ := e.do("GET", api.PathMe, secret, nil)
		return resp.StatusCode == 200
	}
	victim, victimTok := mint(lawyer, navette.ScopeRead)
	ownRead, _ := mint(lawyer, navette.ScopeRead)
	_, spare := mint(lawyer, navette.ScopeRead, navette.ScopeWrite)
	adminRead, _ := mint(root, navette.ScopeRead)
	adminWrite, _ := mint(root, navette.ScopeRead, navette.ScopeWrite)
	adminAdmin, _ := mint(root, navette.ScopeAdmin)

	cases := []struct {
		name, token, path string
		want              int
	}{
		{"a read token, own token", ownRead, api.PathTokens + "/" + spare.ID, 403},
		{"an admin's read token, another's token", adminRead, api.PathTokens + "/" + victimTok.ID, 403},
		{"an admin's write token, another's token", adminWrite, api.PathTokens + "/" + victimTok.ID, 404},
		{"an admin's admin token, another's token through /tokens", adminAdmin, api.PathTokens + "/" + victimTok.ID, 403},
		{"an admin's write token through the admin API", adminWrite, api.PathAdminTokens + "/" + victimTok.ID, 403},
		{"a partner through the admin API", e.lawyer, api.PathAdminTokens + "/" + victimTok.ID, 403},
	}
	for _, c := range cases {
		if resp, body := e.do("DELETE", c.path, c.token, nil); resp.StatusCode != c.want {
			t.Errorf("%s: got %d %s, want %d", c.name, resp.StatusCode, body, c.want)
		}
		if !works(victim) {
			t.Fatalf("%s: the token was revoked", c.name)
		}
	}
	var list api.TokenList
	e.doJSON("GET", api.PathAdminUsers+"/"+lawyer.ID+"/tokens", adminAdmin, nil, 200, &list)
	if !slices.ContainsFunc(list.Tokens, func(x api.Token) bool { return x.ID == victimTok.ID }) {
		t.Errorf("the admin's list of the lawyer's tokens lacks %s", victimTok.ID)
	}
	e.doJSON("DELETE", api.PathAdminTokens+"/"+victimTok.ID, adminAdmin, nil, 204, nil)
	if works(victim) {
		t.Error("the token revoked through the admin API still works")
	}
	e.doJSON("DELETE", api.PathTokens+"/"+spare.ID, e.lawyer, nil, 204, nil)
}

func TestInternalMode(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.Mode = "internal" })
	if resp, _ := e.do("GET", api.PathMe, e.lawyer, nil); resp.StatusCode != 401 {
		t.Errorf("partner token in internal mode: got %d, want 401", resp.StatusCode)
	}
	e.browser().do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: lawyerEmail})
	time.Sleep(100 * time.Millisecond)
	e.app.Worker.Kick()
	time.Sleep(100 * time.Millisecond)
	if ms, _ := e.app.Outbox.List(10); len(ms) != 0 {
		t.Errorf("a partner got a sign-in code in internal mode")
	}
	resp, body := e.do("POST", api.PathDeposits, e.agent, strings.NewReader(`{"recipients":["`+lawyerEmail+`"],"reference":"R"}`), "Content-Type", "application/json")
	if resp.StatusCode != 422 {
		t.Errorf("deposit to a partner in internal mode: got %d %s, want 422", resp.StatusCode, body)
	}
}

// TestServiceMailbox: a deposit to a court's mailbox is seen by its
// members, not by other agents; a member's download is the mailbox's, and
// partners may write only to mailboxes.
func TestServiceMailbox(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe correctionnel", "greffe.correctionnel@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	member := e.user("membre@justice.example", "Membre", navette.RoleAgent)
	outsider := e.user("autre@justice.example", "Autre", navette.RoleAgent)
	if err := e.app.Accounts.AddMember(ctx, op, svc.ID, userID(t, e, "membre@justice.example")); err != nil {
		t.Fatal(err)
	}
	// A partner may not write to an agent in person.
	resp, _ := e.do("POST", api.PathDeposits, e.lawyer, strings.NewReader(`{"recipients":["`+agentEmail+`"],"reference":"R"}`), "Content-Type", "application/json")
	if resp.StatusCode != 422 {
		t.Errorf("partner to agent: got %d, want 422", resp.StatusCode)
	}
	d := e.createDeposit(e.lawyer, svc.Email)
	e.upload(e.lawyer, d.ID, "conclusions.pdf", []byte("conclusions"))
	e.submit(e.lawyer, d.ID)

	var inbox api.DepositList
	e.doJSON("GET", api.PathDeposits, member, nil, 200, &inbox)
	if len(inbox.Deposits) != 1 || inbox.Deposits[0].ID != d.ID {
		t.Fatalf("member's inbox: %+v", inbox.Deposits)
	}
	e.doJSON("GET", api.PathDeposits, outsider, nil, 200, &inbox)
	if len(inbox.Deposits) != 0 {
		t.Errorf("a non-member sees the mailbox: %+v", inbox.Deposits)
	}
	r1, b1 := e.do("GET", api.PathDeposits+"/"+d.ID, outsider, nil)
	r2, b2 := e.do("GET", api.PathDeposits+"/"+navette.NewID(), outsider, nil)
	if r1.StatusCode != 404 || r2.StatusCode != 404 || len(b1) != len(b2) {
		t.Errorf("non-member: %d %s vs unknown: %d %s", r1.StatusCode, b1, r2.StatusCode, b2)
	}
	var full api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, member, nil, 200, &full)
	if resp, _ := e.do("GET", api.PathDeposits+"/"+d.ID+"/files/"+full.Files[0].ID, member, nil); resp.StatusCode != 200 {
		t.Fatalf("member download: %d", resp.StatusCode)
	}
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, 200, &full)
	if r := full.Recipients[0]; !r.Service || r.FirstDownloadAt == nil || r.FirstDownloadBy != userID(t, e, "membre@justice.example") {
		t.Errorf("the sender does not see the member's download: %+v", r)
	}
	// Partners find the mailbox by court or service words, accents aside.
	var found api.RecipientList
	e.doJSON("GET", api.PathRecipients+"?q=greffe%20amiens", e.lawyer, nil, 200, &found)
	if len(found.Recipients) != 1 || found.Recipients[0].Email != svc.Email || found.Recipients[0].Court == nil {
		t.Errorf("search for the mailbox: %+v", found.Recipients)
	}
}

// TestSignInAndRevocationMail delivers the two identity notices through a
// real SMTP server: the sign-in code, which works, and the notice of
// revoked access, sent once, in the person's language.
func TestSignInAndRevocationMail(t *testing.T) {
	e, srv := mailEnv(t)
	ctx := context.Background()
	flow := func(status string) []directory.Entry {
		return lawyersFlow(t, "7;Lévêque;Hélène;Lille;helene.leveque@avocat.example", status)
	}
	if _, err := e.app.Directory.Apply(ctx, "lawyers", flow("actif"), directory.Options{}); err != nil {
		t.Fatal(err)
	}
	b := e.browser()
	b.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: "helene.leveque@avocat.example"})
	m := waitMail(t, srv, "helene.leveque@avocat.example", 1)[0]
	if s := subject(t, m); s != "Votre code de connexion à navette" {
		t.Errorf("subject %q", s)
	}
	text, html := parts(t, m)
	c := codeRE.FindStringSubmatch(text)
	if c == nil || !strings.Contains(html, c[1]+" "+c[2]) {
		t.Fatalf("no code in the mail:\n%s", text)
	}
	if strings.Contains(m.Header.Get("Subject"), c[1]) {
		t.Error("the code is in the subject, which mail servers log")
	}
	resp, body := b.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: "helene.leveque@avocat.example", Code: c[1] + c[2]})
	b.session(t, resp, body, 200)

	if _, err := e.app.Directory.Apply(ctx, "lawyers", flow("radie"), directory.Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	m = waitMail(t, srv, "helene.leveque@avocat.example", 2)[1]
	if s := subject(t, m); !strings.Contains(strings.ToLower(s), "accès") {
		t.Errorf("revocation subject %q", s)
	}
	// Applying the same flow again sends nothing more.
	if _, err := e.app.Directory.Apply(ctx, "lawyers", flow("radie"), directory.Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	time.Sleep(200 * time.Millisecond)
	if n := len(srv.To("helene.leveque@avocat.example")); n != 2 {
		t.Errorf("messages to the revoked lawyer: got %d, want 2", n)
	}
}

// form posts a web page's form as the browser b would, with its cookie,
// the platform's Origin and the session's CSRF token, and keeps the session
// cookie the answer sets.
func (b *browser) form(t *testing.T, path string, v url.Values) *http.Response {
	t.Helper()
	if b.csrf != "" {
		v.Set("csrf", b.csrf)
	}
	req, err := http.NewRequest("POST", b.e.url+path, strings.NewReader(v.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", b.origin)
	req.Header.Set("Accept", "text/html")
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
	}
	resp, err := b.e.noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName && c.MaxAge >= 0 {
			b.cookie, b.csrf = c.Value, auth.CSRFToken(c.Value)
		}
	}
	return resp
}

// TestSignInOnTheWebEndsTheReplacedSession: signing in again from the web
// pages, while signed in, ends the session the browser had; that session
// never works again.
func TestSignInOnTheWebEndsTheReplacedSession(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(t, lawyerEmail)
	old := *b
	e.clock.Advance(time.Second) // the new code is the newest
	seen := e.codes(t, lawyerEmail)
	if resp := b.form(t, "/signin/code", url.Values{"email": {lawyerEmail}}); resp.StatusCode != 200 {
		t.Fatalf("web code request: %d", resp.StatusCode)
	}
	code := e.newCode(t, lawyerEmail, seen)
	if resp := b.form(t, "/signin/verify", url.Values{"email": {lawyerEmail}, "code": {code}}); resp.StatusCode != http.StatusSeeOther || b.cookie == old.cookie {
		t.Fatalf("web code check: %d, new cookie %v", resp.StatusCode, b.cookie != old.cookie)
	}
	if resp, body := old.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("the replaced session after a web sign-in: %d %s, want 401", resp.StatusCode, body)
	}
	if _, err := e.app.Meta.SessionByHash(t.Context(), auth.HashSecret(old.cookie)); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("the replaced session is still stored: %v", err)
	}
}

// TestRevokedNeverComesBack: a user revoked then restored gets neither
// their old tokens nor their old sessions back, by the admin API or by a
// directory sync; a token revoked by hand stays revoked through it all.
func TestRevokedNeverComesBack(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	admin := e.user("root@justice.example", "Admin", navette.RoleAdmin)
	lawyer := userID(t, e, lawyerEmail)
	b, _ := e.signIn(t, lawyerEmail)
	second, _, err := e.app.Accounts.CreateToken(ctx, lawyerEmail, "second", 0)
	if err != nil {
		t.Fatal(err)
	}
	handRevoked, ht, err := e.app.Accounts.CreateToken(ctx, lawyerEmail, "revoked by hand", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.doJSON("DELETE", api.PathTokens+"/"+ht.ID, e.lawyer, nil, 204, nil)

	yes, no := true, false
	e.doJSON("PATCH", api.PathAdminUsers+"/"+lawyer, admin, api.UpdateUser{Disabled: &yes}, 200, nil)
	e.clock.Advance(time.Minute)
	// Restoring a revoked person is the two-person rule's: another admin approves.
	var req api.Request
	approver := e.user("second.admin@justice.example", "Second", navette.RoleAdmin)
	e.doJSON("PATCH", api.PathAdminUsers+"/"+lawyer, admin, api.UpdateUser{Disabled: &no}, 202, &req)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", approver, api.Approve{SHA256: req.SHA256}, 200, nil)
	for name, tok := range map[string]string{"first": e.lawyer, "second": second, "revoked by hand": handRevoked} {
		if resp, body := e.do("GET", api.PathMe, tok, nil); resp.StatusCode != 401 {
			t.Errorf("%s token after revocation and restoration: %d %s, want 401", name, resp.StatusCode, body)
		}
	}
	if resp, _ := b.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("session after revocation and restoration: %d, want 401", resp.StatusCode)
	}
	var list api.TokenList
	e.doJSON("GET", api.PathAdminUsers+"/"+lawyer+"/tokens", admin, nil, 200, &list)
	for _, tok := range list.Tokens {
		if tok.RevokedAt == nil {
			t.Errorf("token %s (%s) is listed as live", tok.ID, tok.Label)
		}
	}
	// A token made after the restoration works, and a session too.
	fresh, _, err := e.app.Accounts.CreateToken(ctx, lawyerEmail, "after", 0)
	if err != nil {
		t.Fatal(err)
	}
	e.doJSON("GET", api.PathMe, fresh, nil, 200, nil)
	e.signIn(t, lawyerEmail)
}

// TestDirectGrantsMail: with the two-person rule off, an admin who adds
// an agent to a mailbox or gives someone the auditor role does it at once
// (204, 200), and the person is mailed as an approved request would mail
// them, naming the admin, in their language; no request is spoken of.
func TestDirectGrantsMail(t *testing.T) {
	f := newPolicyFixture(t, func(c *app.Config) { c.Approvals = 1 })
	e, ctx := f.e, context.Background()
	admin, adminTok := f.user[navette.RoleAdmin], f.tok[navette.RoleAdmin]
	nu := newUser("lea.morel@justice.example", navette.RoleAgent)
	nu.Name, nu.CourtID = "Léa Morel", f.courtA.ID
	clerk, err := e.app.Accounts.Create(ctx, nu)
	if err != nil {
		t.Fatal(err)
	}
	e.doJSON("PUT", api.PathServices+"/"+f.svcA.ID+"/members/"+clerk.ID, adminTok, nil, http.StatusNoContent, nil)
	m := mailOnly(t, "the member", e.sentTo(t, clerk), navette.NoticeMemberAdded)[navette.NoticeMemberAdded]
	if m != nil {
		says(t, m, "Vous avez été ajouté(e) à une boîte de service", "Greffe A", f.svcA.Email, "Par", admin.Name, admin.Email, "(heure de Paris)", e.url+"/inbox")
		if strings.Contains(m.Text, "À la demande de") || strings.Contains(m.Text, "Approuvé par") {
			t.Errorf("an addition by hand speaks of a request:\n%s", m.Text)
		}
	}
	e.userLang("reader@justice.example", "Anne Reader", navette.RoleAgent, navette.LangEnglish)
	reader, err := e.app.Meta.UserByEmail(ctx, "reader@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	role := "auditor"
	e.doJSON("PATCH", api.PathAdminUsers+"/"+reader.ID, adminTok, api.UpdateUser{Role: &role}, http.StatusOK, nil)
	m = mailOnly(t, "the new auditor", e.sentTo(t, reader), navette.NoticeRoleGranted)[navette.NoticeRoleGranted]
	if m != nil {
		says(t, m, "You were given a new role on navette", "auditor (reads the audit journal)", "By", admin.Name, admin.Email, "(Paris time)", e.url+"/audit")
	}
	e.doJSON("PATCH", api.PathAdminUsers+"/"+reader.ID, adminTok, api.UpdateUser{Role: &role}, http.StatusOK, nil)
	mailOnly(t, "the auditor given the role again", e.sentTo(t, reader), navette.NoticeRoleGranted)
}

// TestRestoredMailListsWaitingDeposits: a lawyer whose access was
// withdrawn while a deposit waited for them (its reminder, and any notice,
// skipped meanwhile) and given back before it expires reads, in the mail
// that gives it back, the deposits still waiting for them with their
// expiry and link: restored by an admin by hand, or listed again by the
// directory. A deposit they already fetched is not listed.
func TestRestoredMailListsWaitingDeposits(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.Approvals = 1 })
	ctx := context.Background()
	adminTok := e.user("alice.admin@justice.example", "Alice Admin", navette.RoleAdmin)
	if _, err := e.app.Directory.Apply(ctx, "lawyers", lawyersFlow(t, durand, "actif"), directory.Options{Force: true}); err != nil {
		t.Fatal(err)
	}
	send := func(ref, to string) api.Deposit {
		d := e.createDepositRef(e.agent, ref, to)
		e.upload(e.agent, d.ID, "pv.pdf", []byte("pv"))
		return e.submit(e.agent, d.ID)
	}
	waiting := send("RG 26/4242", lawyerEmail)
	fetched := send("RG 26/4343", lawyerEmail)
	e.doJSON("GET", filePath(fetched, fetched.Files[0]), e.lawyer, nil, http.StatusOK, nil)
	forDurand := send("RG 26/4444", "paul.durand@avocat.example")

	partner, err := e.app.Meta.UserByEmail(ctx, lawyerEmail)
	if err != nil {
		t.Fatal(err)
	}
	off, on := true, false
	e.doJSON("PATCH", api.PathAdminUsers+"/"+partner.ID, adminTok, api.UpdateUser{Disabled: &off}, http.StatusOK, nil)
	e.doJSON("PATCH", api.PathAdminUsers+"/"+partner.ID, adminTok, api.UpdateUser{Disabled: &on}, http.StatusOK, nil)
	if ms := e.sentTo(t, partner)[navette.NoticeAccessRestored]; len(ms) != 1 {
		t.Errorf("the partner restored by hand got %d access_restored mails, want 1", len(ms))
	} else {
		says(t, ms[0], "Votre accès à navette est rétabli", "Ce dépôt vous attend encore", "RG 26/4242", e.url+"/d/"+waiting.ID)
		if strings.Contains(ms[0].Text, "RG 26/4343") {
			t.Errorf("the mail lists a deposit the partner fetched:\n%s", ms[0].Text)
		}
	}

	for _, status := range []string{"omis", "actif"} {
		if _, err := e.app.Directory.Apply(ctx, "lawyers", lawyersFlow(t, durand, status), directory.Options{Force: true}); err != nil {
			t.Fatal(err)
		}
	}
	lawyer, err := e.app.Meta.UserByEmail(ctx, "paul.durand@avocat.example")
	if err != nil {
		t.Fatal(err)
	}
	if ms := e.sentTo(t, lawyer)[navette.NoticeAccessRestored]; len(ms) != 1 {
		t.Errorf("the lawyer listed again got %d access_restored mails, want 1", len(ms))
	} else {
		says(t, ms[0], "Votre accès à navette est rétabli", "RG 26/4444", e.url+"/d/"+forDurand.ID)
	}
}
