package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/internal/testclamd"
)

// TestPolicyAssuranceByRequest: an admin asks, through the API, that
// partners sign in with a passkey; a lawyer signed in with a code and TOTP
// keeps working until a second admin approves (the requester cannot), and
// is held to "Mon compte" at once after.
func TestPolicyAssuranceByRequest(t *testing.T) {
	e := newEnv(t)
	first := e.user("premier.admin@justice.example", "Premier admin", navette.RoleAdmin)
	second := e.user("second.admin@justice.example", "Second admin", navette.RoleAdmin)
	e.user("faible@avocat.example", "Maître Faible", navette.RolePartner)
	lawyer, _ := e.signIn(t, "faible@avocat.example")
	if resp, body := lawyer.do(t, "GET", api.PathDeposits, nil); resp.StatusCode != 200 {
		t.Fatalf("before the request: %d %s", resp.StatusCode, body)
	}

	var req api.Request
	e.doJSON("POST", api.PathAdminPolicy, first, api.PolicyChange{Role: "partner", MinAssurance: "high", Reason: "hameçonnage"}, http.StatusAccepted, &req)
	if req.Action != string(navette.ActionPolicyAssurance) || req.State != "pending" || string(req.Params) != `{"role":"partner","level":"high"}` {
		t.Fatalf("request: %+v", req)
	}
	if resp, body := lawyer.do(t, "GET", api.PathDeposits, nil); resp.StatusCode != 200 {
		t.Fatalf("before approval: %d %s", resp.StatusCode, body)
	}
	resp, body := e.do("POST", api.PathAdminRequests+"/"+req.ID+"/approve", first, strings.NewReader(`{"sha256":"`+req.SHA256+`"}`), "Content-Type", "application/json")
	if p := e.problem(resp, body, http.StatusForbidden); !strings.Contains(p.Detail, "own request") {
		t.Errorf("self-approval: %+v", p)
	}
	if resp, body := lawyer.do(t, "GET", api.PathDeposits, nil); resp.StatusCode != 200 {
		t.Fatalf("after a refused self-approval: %d %s", resp.StatusCode, body)
	}
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", second, api.Approve{SHA256: req.SHA256}, 200, &req)
	if req.State != "executed" {
		t.Fatalf("after approval: %+v", req)
	}
	if resp, body := lawyer.do(t, "GET", api.PathDeposits, nil); resp.StatusCode != http.StatusForbidden {
		t.Errorf("after approval: %d %s; want 403", resp.StatusCode, body)
	}
	var p api.Policy
	e.doJSON("GET", api.PathAdminPolicy, second, nil, 200, &p)
	if p.MinAssurance["partner"] != "high" || p.RequestID != req.ID || p.AntivirusBypass {
		t.Errorf("policy: %+v", p)
	}
	if evs := e.events("", navette.EventPolicyChanged); len(evs) != 1 || evs[0].Detail != req.ID+" min_assurance partner=high" {
		t.Errorf("journal: %+v", evs)
	}
}

// TestPolicyAntivirusBypass: with clamd configured, files are scanned
// until an approved request bypasses the antivirus; then they are offered
// marked unscanned, and /readyz says so.
func TestPolicyAntivirusBypass(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{})
	e := newEnv(t, withClamd(srv.URL))
	first := e.user("premier.admin@justice.example", "Premier admin", navette.RoleAdmin)
	second := e.user("second.admin@justice.example", "Second admin", navette.RoleAdmin)
	checks := func() string {
		d := e.createDeposit(e.agent, lawyerEmail)
		e.upload(e.agent, d.ID, "pv.txt", []byte("procès-verbal"))
		got := e.submit(e.agent, d.ID)
		if len(got.Files) != 1 || got.Files[0].State != string(navette.FileAvailable) {
			t.Fatalf("deposit: %+v", got)
		}
		return got.Files[0].Check
	}
	if c := checks(); c != "clean" {
		t.Fatalf("before the request: check %q", c)
	}
	bypass := true
	var req api.Request
	e.doJSON("POST", api.PathAdminPolicy, first, api.PolicyChange{AntivirusBypass: &bypass}, http.StatusAccepted, &req)
	if c := checks(); c != "clean" {
		t.Fatalf("before approval: check %q", c)
	}
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", second, api.Approve{SHA256: req.SHA256}, 200, &req)
	if c := checks(); c != string(navette.CheckUnscanned) {
		t.Errorf("after approval: check %q, want unscanned", c)
	}
	var ready map[string]any
	e.doJSON("GET", "/readyz", "", nil, 200, &ready)
	if ready["antivirus"] != "bypassed" {
		t.Errorf("/readyz: %v", ready)
	}
}

// TestPolicyStartupOverride: a server started with a setting weaker than
// the stored policy journals it as the local operator's act: the
// antivirus off while the policy has files scanned, a minimum assurance
// below the policy's (which applies all the same).
func TestPolicyStartupOverride(t *testing.T) {
	e := newEnv(t, func(c *app.Config) {
		c.Auth.MinAssurance = map[navette.Role]navette.Assurance{navette.RoleAgent: navette.AssuranceHigh}
	})
	overrides := func() []string {
		var out []string
		for _, ev := range e.events("", navette.EventPolicyOverridden) {
			if ev.ActorID != navette.LocalOperator {
				t.Errorf("override by %q", ev.ActorID)
			}
			out = append(out, ev.Detail)
		}
		return out
	}
	if got := overrides(); len(got) != 1 || got[0] != "antivirus=off policy=scan" {
		t.Fatalf("at the first start: %q", got)
	}
	ctx := context.Background()
	a := e.app.Accounts
	admin, err := e.app.Meta.UserByEmail(ctx, mustAdmin(t, e, "premier.admin@justice.example"))
	if err != nil {
		t.Fatal(err)
	}
	admin2, err := e.app.Meta.UserByEmail(ctx, mustAdmin(t, e, "second.admin@justice.example"))
	if err != nil {
		t.Fatal(err)
	}
	for _, level := range []struct {
		role  navette.Role
		level navette.Assurance
	}{{navette.RolePartner, navette.AssuranceSubstantial}, {navette.RoleAgent, navette.AssuranceSubstantial}} {
		r, err := a.RequestPolicyAssurance(ctx, admin, level.role, level.level, "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Approve(ctx, admin2, r.ID, r.ParamsHash); err != nil {
			t.Fatal(err)
		}
	}
	// A second node on the same data, as after a restart, with partners
	// below the policy and agents above it.
	apptest.Start(t, e.clock, func(c *app.Config) {
		c.DataDir = e.dir
		c.Auth.MinAssurance = map[navette.Role]navette.Assurance{navette.RolePartner: navette.AssuranceLow, navette.RoleAgent: navette.AssuranceHigh}
	})
	want := []string{"antivirus=off policy=scan", "antivirus=off policy=scan", "min_assurance partner=low policy=substantial"}
	if got := overrides(); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("after the restart: %q, want %q", got, want)
	}
}

// mustAdmin creates a platform admin with the e-mail address email and
// returns it.
func mustAdmin(t *testing.T, e *env, email string) string {
	t.Helper()
	e.user(email, strings.Split(email, "@")[0], navette.RoleAdmin)
	return email
}

// TestPolicyOnSettingsPage: the settings page shows the policy and asks
// for a change, which the requests page describes to the second admin,
// who approves it there.
func TestPolicyOnSettingsPage(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.StaffCodes = true })
	e.user("premier.admin@justice.example", "Premier admin", navette.RoleAdmin)
	secondTok := e.user("second.admin@justice.example", "Second admin", navette.RoleAdmin)
	first, _ := e.signIn(t, "premier.admin@justice.example")
	second, _ := e.signIn(t, "second.admin@justice.example")

	resp, body := first.do(t, "GET", "/admin/settings", nil)
	for _, want := range []string{`id="policy"`, "Politique de sécurité", `action="/admin/settings/policy"`, "Demander le changement"} {
		if resp.StatusCode != 200 || !strings.Contains(string(body), want) {
			t.Fatalf("settings page: %d, lacks %q", resp.StatusCode, want)
		}
	}
	resp, page := first.formBody(t, "/admin/settings/policy", url.Values{"kind": {"assurance"}, "role": {"auditor"}, "level": {"total"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, `id="policy-problem"`) {
		t.Errorf("an unknown level: %d", resp.StatusCode)
	}
	resp, _ = first.formBody(t, "/admin/settings/policy", url.Values{"kind": {"assurance"}, "role": {"auditor"}, "level": {"high"}, "reason": {"audit"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/settings?done=policy-requested" {
		t.Fatalf("request: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	var list api.RequestList
	e.doJSON("GET", api.PathAdminRequests+"?state=pending", secondTok, nil, 200, &list)
	if len(list.Requests) != 1 || list.Requests[0].Action != string(navette.ActionPolicyAssurance) {
		t.Fatalf("pending: %+v", list)
	}
	req := list.Requests[0]
	resp, body = second.do(t, "GET", "/admin/requests", nil)
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Exiger du rôle auditor une authentification de niveau élevé au moins") {
		t.Errorf("requests page: %d %s", resp.StatusCode, body)
	}
	resp, _ = second.formBody(t, "/admin/requests/"+req.ID+"/approve", url.Values{"sha256": {req.SHA256}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("approval: %d", resp.StatusCode)
	}
	var p api.Policy
	e.doJSON("GET", api.PathAdminPolicy, secondTok, nil, 200, &p)
	if p.MinAssurance["auditor"] != "high" || p.RequestID != req.ID {
		t.Errorf("policy after approval: %+v", p)
	}
}

// TestKeyRotateByRequest: a new journal signing key is a request a second
// admin approves (the requester cannot); the server makes it on approval,
// once, and journals it by the requester, linked to the request; the old
// verifier key stays published.
func TestKeyRotateByRequest(t *testing.T) {
	e := newEnv(t)
	first := e.user("premier.admin@justice.example", "Premier admin", navette.RoleAdmin)
	second := e.user("second.admin@justice.example", "Second admin", navette.RoleAdmin)
	before := e.app.JournalKeys.Verifiers()
	var req api.Request
	e.doJSON("POST", api.PathAdminKeyRotate, first, api.KeyRotate{Key: "journal", Reason: "fin de mission"}, http.StatusAccepted, &req)
	if req.Action != string(navette.ActionKeysRotate) || string(req.Params) != `{"key":"journal"}` {
		t.Fatalf("request: %+v", req)
	}
	resp, body := e.do("POST", api.PathAdminKeyRotate, first, strings.NewReader(`{"key":"tls"}`), "Content-Type", "application/json")
	e.problem(resp, body, http.StatusUnprocessableEntity)
	resp, body = e.do("POST", api.PathAdminRequests+"/"+req.ID+"/approve", first, strings.NewReader(`{}`), "Content-Type", "application/json")
	e.problem(resp, body, http.StatusForbidden)
	if got := e.app.JournalKeys.Verifiers(); len(got) != len(before) {
		t.Fatalf("verifier keys before approval: %d, want %d", len(got), len(before))
	}
	sizeBefore, err := e.app.Meta.TreeSize(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", second, api.Approve{SHA256: req.SHA256}, 200, &req)
	after := e.app.JournalKeys.Verifiers()
	if req.State != "executed" || len(after) != len(before)+1 || !strings.Contains(strings.Join(after, "\n"), before[0]) {
		t.Fatalf("after approval: %+v, keys %q", req, after)
	}
	current, err := e.app.JournalKeys.Verifier()
	if err != nil {
		t.Fatal(err)
	}
	evs := e.events("", navette.EventKeyRotated)
	if len(evs) != 1 {
		t.Fatalf("journal: %+v", evs)
	}
	// The old key retires at the tree's size as the rotation began: no
	// smaller than before the approval, and no larger than the rotation's
	// own leaf (a worker may journal something of its own in between).
	head, atText, _ := strings.Cut(evs[0].Detail, " at ")
	at, err := strconv.ParseInt(atText, 10, 64)
	if head != navette.CleanDetail(req.ID+" journal "+current+" retired "+strings.Split(before[0], "+")[1]) || err != nil || at < sizeBefore || at > evs[0].Leaf || evs[0].ActorID == navette.LocalOperator || evs[0].ActorID == "" {
		t.Errorf("journal: %+v; want the old key retired at %d events or more, at most at %d", evs, sizeBefore, evs[0].Leaf)
	}
	resp, body = e.do("POST", api.PathAdminRequests+"/"+req.ID+"/approve", second, strings.NewReader(`{}`), "Content-Type", "application/json")
	e.problem(resp, body, http.StatusConflict)
}
