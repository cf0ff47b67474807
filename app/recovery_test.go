package app_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/api"
	"navette/app"
	"navette/auth"
	"navette/totp"
)

// formBody posts a page's form as b and returns the answer with its body.
func (b *browser) formBody(t *testing.T, path string, v url.Values) (*http.Response, string) {
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
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	for _, c := range resp.Cookies() {
		if c.Name == auth.CookieName && c.MaxAge >= 0 {
			b.cookie, b.csrf = c.Value, auth.CSRFToken(c.Value)
		}
	}
	return resp, string(body)
}

// codeStep signs email in with an e-mailed code through the API and
// returns the browser and the stage reached.
func (e *env) codeStep(t *testing.T, email string) (*browser, string) {
	t.Helper()
	e.clock.Advance(time.Minute)
	b := e.browser()
	seen := e.codes(t, email)
	if resp, body := b.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: email}); resp.StatusCode != http.StatusAccepted {
		t.Fatalf("code request: %d %s", resp.StatusCode, body)
	}
	code := e.newCode(t, email, seen)
	resp, body := b.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: email, Code: code})
	return b, b.session(t, resp, body, 200).Stage
}

// enrolTOTP enrols a TOTP secret through the API in b's session at the
// enrolment step, and returns the secret and the recovery codes the
// answer gives.
func (e *env) enrolTOTP(t *testing.T, b *browser) ([]byte, []string) {
	t.Helper()
	resp, body := b.do(t, "POST", api.PathAuthEnrol, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("enrol: %d %s", resp.StatusCode, body)
	}
	var en api.Enrolment
	json.Unmarshal(body, &en)
	secret := decodeSecret(t, en.Secret)
	resp, body = b.do(t, "POST", api.PathAuthEnrolDone, api.SecondFactor{Code: totp.Code(secret, totp.Step(e.clock.Now()))})
	s := b.session(t, resp, body, 200)
	if s.Stage != string(navette.StageFull) {
		t.Fatalf("stage after enrolment: %q", s.Stage)
	}
	return secret, s.RecoveryCodes
}

// unmailed waits for mails to email whose subjects contain each of want,
// and returns those of want no mail had within 10 seconds.
func (e *env) unmailed(t *testing.T, email string, want ...string) []string {
	t.Helper()
	var missing []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		e.app.Worker.Kick()
		ms, err := e.app.Outbox.List(1000)
		if err != nil {
			t.Fatal(err)
		}
		var subjects []string
		for _, m := range ms {
			if m.To.Email == email {
				subjects = append(subjects, m.Subject)
			}
		}
		all := strings.Join(subjects, "\n")
		missing = missing[:0]
		for _, w := range want {
			if !strings.Contains(all, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return nil
		}
	}
	return missing
}

// TestRecoveryCodeOnTheWeb: the enrolment's answer gives 10 recovery
// codes; one signs in on the web page of the second factor and says how
// many are left; used again it is refused.
func TestRecoveryCodeOnTheWeb(t *testing.T) {
	e := newEnv(t)
	b, stage := e.codeStep(t, lawyerEmail)
	if stage != string(navette.StageEnrol) {
		t.Fatalf("stage %s", stage)
	}
	_, codes := e.enrolTOTP(t, b)
	if len(codes) != auth.RecoveryCodeCount {
		t.Fatalf("the enrolment gave %d recovery codes", len(codes))
	}
	for range 2 {
		b, stage = e.codeStep(t, lawyerEmail)
		if stage != string(navette.StageSecondFactor) {
			t.Fatalf("stage %s", stage)
		}
		resp, body := b.formBody(t, "/signin/recovery", url.Values{"recovery": {codes[4]}})
		if resp.StatusCode == 200 {
			if !strings.Contains(body, "Codes de récupération restants : 9.") {
				t.Errorf("the page does not say 9 codes are left:\n%.2000s", body)
			}
			if resp, _ := b.do(t, "GET", api.PathMe, nil); resp.StatusCode != 200 {
				t.Errorf("signed in with a recovery code, /me answers %d", resp.StatusCode)
			}
			continue
		}
		if resp.StatusCode != 401 || !strings.Contains(body, "Ce code de récupération est faux ou a déjà servi.") {
			t.Errorf("a used code: %d\n%.2000s", resp.StatusCode, body)
		}
	}
	if missing := e.unmailed(t, lawyerEmail, "Un code de récupération a servi à vous connecter"); missing != nil {
		t.Error("no mail tells the code was used")
	}
}

// TestLostFactorThroughPages: the whole lost-factor path. The lost-factor
// page answers an unknown address exactly as a known one; the court admin
// of another court does not find the person (404) nor their request; the
// person's court admin sees the request on the users page and approves it
// (a fresh sign-in); the person's next sign-in enrols a new factor after
// the e-mailed code, the old one stops working, and they were e-mailed at
// each step.
func TestLostFactorThroughPages(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.StaffCodes = true })
	ctx := context.Background()
	e.user("admin.perte@justice.example", "Admin", navette.RoleAdmin)
	op, err := e.app.Meta.UserByEmail(ctx, "admin.perte@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	mk := func(email, name string, role navette.Role, court string) *navette.User {
		u, err := e.app.Accounts.Create(ctx, account.NewUser{Email: email, Name: name, Role: role, CourtID: court})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	amiens, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-AMIENS", "Amiens")
	if err != nil {
		t.Fatal(err)
	}
	lille, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-LILLE", "Lille")
	if err != nil {
		t.Fatal(err)
	}
	clerk := mk("greffier.perdu@amiens.example", "Greffier Perdu", navette.RoleAgent, amiens.ID)
	mk("chef@amiens.example", "Chef Amiens", navette.RoleCourtAdmin, amiens.ID)
	mk("chef@lille.example", "Chef Lille", navette.RoleCourtAdmin, lille.ID)
	b, _ := e.codeStep(t, clerk.Email)
	oldSecret, _ := e.enrolTOTP(t, b)

	anon := e.browser()
	known, kbody := anon.formBody(t, "/signin/lost", url.Values{"email": {clerk.Email}})
	unknown, ubody := anon.formBody(t, "/signin/lost", url.Values{"email": {"inconnu@amiens.example"}})
	if known.StatusCode != 200 || unknown.StatusCode != 200 || strings.ReplaceAll(kbody, clerk.Email, "X") != strings.ReplaceAll(ubody, "inconnu@amiens.example", "X") {
		t.Fatalf("known and unknown addresses answered differently: %d, %d", known.StatusCode, unknown.StatusCode)
	}
	rs := e.app.Meta.(navette.RecoveryStore)
	rr, err := rs.RecoveryRequests(ctx, navette.RecoveryFilter{})
	if err != nil || len(rr) != 1 || rr[0].UserID != clerk.ID {
		t.Fatalf("requests: %v, %v", rr, err)
	}
	req := rr[0]

	lilleChief, _ := e.signIn(t, "chef@lille.example")
	if resp, body := lilleChief.do(t, "GET", "/admin/users/"+clerk.ID, nil); resp.StatusCode != 404 {
		t.Errorf("another court's admin opens the person's page: %d %.300s", resp.StatusCode, body)
	}
	if resp, body := lilleChief.do(t, "GET", "/admin/users", nil); resp.StatusCode != 200 || strings.Contains(string(body), clerk.Name) {
		t.Errorf("another court's admin lists the person: %d", resp.StatusCode)
	}
	if resp, _ := lilleChief.formBody(t, "/admin/recovery/"+req.ID+"/approve", url.Values{}); resp.StatusCode != 404 {
		t.Errorf("another court's admin approves: %d", resp.StatusCode)
	}

	chief, _ := e.signIn(t, "chef@amiens.example")
	resp, body := chief.do(t, "GET", "/admin/users", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `id="recovery-requests"`) || !strings.Contains(string(body), clerk.Name) {
		t.Fatalf("the court admin's users page: %d\n%.3000s", resp.StatusCode, body)
	}
	resp, body = chief.do(t, "GET", "/admin/users/"+clerk.ID, nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `id="recovery-approve"`) || !strings.Contains(string(body), "recovery.requested") {
		t.Fatalf("the person's page: %d\n%.3000s", resp.StatusCode, body)
	}
	if resp, _ := chief.formBody(t, "/admin/recovery/"+req.ID+"/approve", url.Values{"user": {clerk.ID}}); resp.StatusCode != 303 || resp.Header.Get("Location") != "/admin/users/"+clerk.ID+"?done=approved" {
		t.Fatalf("approve: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	b, stage := e.codeStep(t, clerk.Email)
	if stage != string(navette.StageEnrol) {
		t.Fatalf("after approval the code leads to %s", stage)
	}
	e.clock.Advance(time.Minute)
	newSecret, codes := e.enrolTOTP(t, b)
	if len(codes) != auth.RecoveryCodeCount {
		t.Errorf("the new enrolment gave %d codes", len(codes))
	}
	if got, _ := rs.RecoveryRequest(ctx, req.ID); got.State != navette.RecoveryCompleted {
		t.Errorf("request state %s", got.State)
	}
	e.clock.Advance(time.Minute)
	b, _ = e.codeStep(t, clerk.Email)
	if resp, body := b.do(t, "POST", api.PathAuthTOTP, api.SecondFactor{Code: totp.Code(oldSecret, totp.Step(e.clock.Now()))}); resp.StatusCode != 401 {
		t.Errorf("the old secret still works: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.do(t, "POST", api.PathAuthTOTP, api.SecondFactor{Code: totp.Code(newSecret, totp.Step(e.clock.Now()))}); resp.StatusCode != 200 {
		t.Errorf("the new secret: %d %s", resp.StatusCode, body)
	}
	if missing := e.unmailed(t, clerk.Email, "Demande de récupération", "approuvée", "Un nouveau second facteur"); missing != nil {
		t.Errorf("no mail about %q", missing)
	}
	evs, err := e.app.Meta.Events(ctx, navette.EventFilter{Limit: 10000})
	if err != nil {
		t.Fatal(err)
	}
	seen := map[navette.EventType]int{}
	for _, ev := range evs {
		seen[ev.Type]++
	}
	for _, typ := range []navette.EventType{navette.EventRecoveryRequested, navette.EventRecoveryApproved, navette.EventRecoveryCompleted} {
		if seen[typ] != 1 {
			t.Errorf("%d %s events", seen[typ], typ)
		}
	}
}
