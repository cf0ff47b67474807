package app_test

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/totp"
)

// TestStepUp: a session may create an API token right after signing in;
// six minutes later it gets 401 step_up_required, until the person gives
// their TOTP code again (a wrong one is refused and journaled), and the
// step-up is journaled.
func TestStepUp(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.StaffCodes = true })
	e.user("etape@avocat.example", "Maître Étape", navette.RolePartner)
	b, secret := e.signIn(t, "etape@avocat.example")

	if resp, body := b.do(t, "POST", api.PathTokens, api.CreateToken{Label: "fresh"}); resp.StatusCode != 201 {
		t.Fatalf("a token right after sign-in: %d %s", resp.StatusCode, body)
	}
	e.clock.Advance(6 * time.Minute)
	resp, body := b.do(t, "POST", api.PathTokens, api.CreateToken{Label: "stale"})
	var p api.Problem
	json.Unmarshal(body, &p)
	if resp.StatusCode != 401 || p.Code != navette.ESTEPUP || p.Type != "tag:navette,2026:problem:step_up_required" {
		t.Fatalf("a token 6 minutes later: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.do(t, "POST", api.PathAuthStepUp, api.SecondFactor{Code: "000000"}); resp.StatusCode != 401 {
		t.Fatalf("a wrong step-up code: %d %s", resp.StatusCode, body)
	}
	code := totp.Code(secret, totp.Step(e.clock.Now()))
	if resp, body := b.do(t, "POST", api.PathAuthStepUp, api.SecondFactor{Code: code}); resp.StatusCode != 204 {
		t.Fatalf("step-up: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.do(t, "POST", api.PathAuthStepUp, api.SecondFactor{Code: code}); resp.StatusCode != 401 {
		t.Fatalf("the same code again: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.do(t, "POST", api.PathTokens, api.CreateToken{Label: "stepped up"}); resp.StatusCode != 201 {
		t.Fatalf("a token after the step-up: %d %s", resp.StatusCode, body)
	}
	// Admin operations that grant access or change settings ask the same.
	e.user("etape.admin@justice.example", "Admin Étape", navette.RoleAdmin)
	ab, asecret := e.signIn(t, "etape.admin@justice.example")
	if resp, body := ab.do(t, "PUT", api.PathAdminSettings, map[string]any{}); resp.StatusCode != 200 {
		t.Fatalf("settings right after sign-in: %d %s", resp.StatusCode, body)
	}
	e.clock.Advance(6 * time.Minute)
	if resp, body := ab.do(t, "PUT", api.PathAdminSettings, map[string]any{}); resp.StatusCode != 401 || !bytes.Contains(body, []byte(navette.ESTEPUP)) {
		t.Fatalf("settings 6 minutes later: %d %s", resp.StatusCode, body)
	}
	if resp, body := ab.do(t, "GET", api.PathAdminSettings, nil); resp.StatusCode != 200 {
		t.Fatalf("reading the settings needs no step-up: %d %s", resp.StatusCode, body)
	}
	if resp, body := ab.do(t, "POST", api.PathAuthStepUp, api.SecondFactor{Code: totp.Code(asecret, totp.Step(e.clock.Now()))}); resp.StatusCode != 204 {
		t.Fatalf("admin step-up: %d %s", resp.StatusCode, body)
	}
	if resp, body := ab.do(t, "PUT", api.PathAdminSettings, map[string]any{}); resp.StatusCode != 200 {
		t.Fatalf("settings after the step-up: %d %s", resp.StatusCode, body)
	}

	evs, err := e.app.Meta.Events(t.Context(), navette.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	ups, wrong := 0, 0
	for _, ev := range evs {
		switch {
		case ev.Type == navette.EventSteppedUp && ev.Detail == "totp":
			ups++
		case ev.Type == navette.EventSignInFailed && ev.Detail == "wrong step-up code":
			wrong++
		}
	}
	if ups != 2 || wrong != 2 {
		t.Errorf("journal: %d step-ups, %d wrong codes; want 2 and 2", ups, wrong)
	}
}

// TestMinimumAssurance: where partners need a high-assurance sign-in, a
// lawyer signed in with a code and TOTP reaches only "Mon compte" (to add a
// passkey), their own details and signing out; an agent is not held back,
// and the lawyer's API token still works.
func TestMinimumAssurance(t *testing.T) {
	e := newEnv(t, func(c *app.Config) {
		c.StaffCodes = true
		c.Auth.MinAssurance = map[navette.Role]navette.Assurance{navette.RolePartner: navette.AssuranceHigh}
	})
	e.user("faible@avocat.example", "Maître Faible", navette.RolePartner)
	e.user("minimum.greffe@justice.example", "Greffe minimum", navette.RoleAgent)
	lawyer, _ := e.signIn(t, "faible@avocat.example")
	agent, _ := e.signIn(t, "minimum.greffe@justice.example")

	for _, c := range []struct {
		b      *browser
		method string
		path   string
		want   int
		where  string
	}{
		{lawyer, "GET", api.PathDeposits, 403, ""},
		{lawyer, "GET", api.PathMe, 200, ""},
		{lawyer, "GET", "/inbox", 303, "/account"},
		{lawyer, "GET", "/account", 200, ""},
		{agent, "GET", api.PathDeposits, 200, ""},
		{agent, "GET", "/inbox", 200, ""},
	} {
		resp, body := c.b.do(t, c.method, c.path, nil)
		if resp.StatusCode != c.want || resp.Header.Get("Location") != c.where {
			t.Errorf("%s %s: %d %s %.200s; want %d %s", c.method, c.path, resp.StatusCode, resp.Header.Get("Location"), body, c.want, c.where)
		}
		if c.path == "/account" && !bytes.Contains(body, []byte(`id="weak-signin"`)) {
			t.Errorf("the account page does not say the sign-in is too weak")
		}
	}
	e.doJSON("GET", api.PathDeposits, e.lawyer, nil, 200, nil)
	if resp, body := lawyer.do(t, "POST", api.PathAuthSignOut, nil); resp.StatusCode != 204 {
		t.Errorf("sign out: %d %s", resp.StatusCode, body)
	}
}

// TestStepUpDownloads: with the operator's option, a browser session
// downloads only within the step-up age of its last proof; an API token is
// not asked, as for the other sensitive actions.
func TestStepUpDownloads(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.Auth.StepUpDownloads = true })
	d := e.send(map[string][]byte{"pv.pdf": []byte("procès-verbal")})
	b, secret := e.signIn(t, lawyerEmail)
	path := filePath(d, d.Files[0])
	if resp, body := b.do(t, "GET", path, nil); resp.StatusCode != 200 {
		t.Fatalf("a download right after sign-in: %d %s", resp.StatusCode, body)
	}
	e.clock.Advance(6 * time.Minute)
	resp, body := b.do(t, "GET", path, nil)
	var p api.Problem
	json.Unmarshal(body, &p)
	if resp.StatusCode != 401 || p.Code != navette.ESTEPUP {
		t.Fatalf("a download 6 minutes later: %d %s", resp.StatusCode, body)
	}
	e.get(e.lawyer, path) // an API token downloads without a step-up
	if resp, body := b.do(t, "POST", api.PathAuthStepUp, api.SecondFactor{Code: totp.Code(secret, totp.Step(e.clock.Now()))}); resp.StatusCode != 204 {
		t.Fatalf("step-up: %d %s", resp.StatusCode, body)
	}
	if resp, body := b.do(t, "GET", path, nil); resp.StatusCode != 200 {
		t.Fatalf("a download after the step-up: %d %s", resp.StatusCode, body)
	}
}
