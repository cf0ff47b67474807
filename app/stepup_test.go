package app_test

import (
	"encoding/json"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/totp"
)

// TestStepUp: a session may create an API token right after signing in;
// six minutes later it gets 401 step_up_required, until the person gives
// their TOTP code again (a wrong one is refused and journaled), and the
// step-up is journaled.
func TestStepUp(t *testing.T) {
	e := newEnv(t)
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
	if ups != 1 || wrong != 2 {
		t.Errorf("journal: %d step-ups, %d wrong codes; want 1 and 2", ups, wrong)
	}
}
