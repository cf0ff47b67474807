package app_test

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/auth"
	"navette/web"
)

// The web policy test walks every page route × every caller (each role
// with a full browser session, anonymous, and a session stopped at the
// second-factor enrolment) over plain HTTP with session cookies, and checks
// each answer against the table below: a status, or a redirect and its
// target. TestEveryRouteHasAPolicy checks that the server's live mux has
// exactly the routes of the API and web tables, so no route is served
// without a stated policy.

// partialCaller is a session stopped at the second-factor enrolment.
const partialCaller navette.Role = "partial"

// restCaller, in outcomes, stands for every full-session role not listed.
const restCaller navette.Role = "*"

// webCallers are the callers of the walk: anonymous is "".
var webCallers = []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner, navette.RoleAdmin, navette.RoleAuditor, "", partialCaller}

// outcomes are a route's answers by caller: "200", "403", or a redirect
// and its target ("303 /signin"). A caller not listed gets, if anonymous,
// the sign-in page (a redirect there and back for a GET, the 401 page
// otherwise); if partial, the redirect to their enrolment step; otherwise
// restCaller's outcome, or the 403 page.
type outcomes map[navette.Role]string

// everyone gives o to every caller.
func everyone(o string) outcomes {
	m := outcomes{}
	for _, c := range webCallers {
		m[c] = o
	}
	return m
}

// fullSession gives o to every role with a full session.
func fullSession(o string) outcomes { return outcomes{restCaller: o} }

// rolesOnly gives o to roles, 403 to the other full sessions.
func rolesOnly(o string, roles ...navette.Role) outcomes {
	m := outcomes{}
	for _, r := range roles {
		m[r] = o
	}
	return m
}

// with returns m with the outcomes of more added.
func (m outcomes) with(more outcomes) outcomes {
	out := outcomes{}
	for k, v := range m {
		out[k] = v
	}
	for k, v := range more {
		out[k] = v
	}
	return out
}

// landings are where each full session starts: its inbox, or the page
// its role is for.
var landings = outcomes{restCaller: "303 /inbox", navette.RoleAuditor: "303 /audit", navette.RoleCourtAdmin: "303 /admin/courts", navette.RoleAdmin: "303 /admin"}

// toSignIn is how sign-in pages answer: signed-in callers go to where
// they start, anonymous ones back to signing in, the partial session to
// its step.
var toSignIn = landings.with(outcomes{"": "303 /signin", partialCaller: "303 /signin/enrol"})

// webPolicy is the one table of who may open which page. Deposit routes
// are walked on a deposit an agent of court A sent to the partner; admin
// routes on court A and its service mailbox.
var webPolicy = map[string]outcomes{
	"GET /static/{path...}": everyone("200"),
	"GET /{$}":              toSignIn,

	"GET /inbox":                               fullSession("200"),
	"GET /sent":                                fullSession("200"),
	"GET /new":                                 rolesOnly("200", navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner),
	"GET /new/problem":                         rolesOnly("200", navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner),
	"GET /drafts":                              rolesOnly("200", navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner),
	"POST /deposits/{id}/discard":              rolesOnly("404", navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner), // an unknown deposit
	"GET /deposits/{id}":                       {navette.RoleAgent: "200", navette.RolePartner: "200", restCaller: "404"},
	"GET /deposits/{id}/zip":                   {navette.RoleAgent: "200", navette.RolePartner: "200", restCaller: "404"},
	"GET /deposits/{id}/files/{fid}":           {navette.RoleAgent: "200", navette.RolePartner: "200", restCaller: "404"},
	"POST /deposits/{id}/revoke":               fullSession("404"), // an unknown deposit
	"POST /deposits/{id}/reply":                fullSession("404"), // an unknown deposit
	"POST /deposits/{id}/extend":               fullSession("404"), // an unknown deposit
	"POST /deposits/{id}/forward":              fullSession("404"), // an unknown deposit
	"GET /cases":                               fullSession("200"),
	"GET /cases/{id}":                          {navette.RoleAgent: "200", navette.RolePartner: "200", restCaller: "404"},
	"GET /cases/{id}/zip":                      {navette.RoleAgent: "200", navette.RolePartner: "200", restCaller: "404"},
	"GET /signin":                              {restCaller: "303 /", "": "200", partialCaller: "200"},
	"POST /signin/code":                        everyone("422"),
	"POST /signin/verify":                      everyone("401"),
	"GET /signin/totp":                         toSignIn,
	"POST /signin/totp":                        toSignIn,
	"GET /signin/enrol":                        toSignIn.with(outcomes{partialCaller: "200"}),
	"POST /signin/enrol":                       toSignIn.with(outcomes{partialCaller: "401"}),
	"POST /signin/password":                    everyone("501"),
	"GET /signin/oidc":                         everyone("501"),
	"GET /signin/oidc/callback":                everyone("401"),
	"POST /signout":                            everyone("303 /signin"),
	"GET /audit":                               rolesOnly("200", navette.RoleAuditor),
	"GET /admin":                               rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	"GET /admin/courts":                        rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	"GET /admin/services/{id}":                 rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/services/{id}/members":        rolesOnly("422", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/services/{id}/members/remove": rolesOnly("422", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/courts/{id}/services":         rolesOnly("422", navette.RoleAdmin, navette.RoleCourtAdmin),
	"GET /admin/imports":                       rolesOnly("200", navette.RoleAdmin),
	"POST /admin/imports/preview":              rolesOnly("400", navette.RoleAdmin),
	"POST /admin/imports/apply":                rolesOnly("400", navette.RoleAdmin),
	"GET /admin/settings":                      rolesOnly("200", navette.RoleAdmin),
	"POST /admin/settings":                     rolesOnly("422", navette.RoleAdmin),
	"POST /admin/settings/policy":              rolesOnly("303 /admin/settings?done=policy-requested", navette.RoleAdmin),
	"GET /admin/stats":                         rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	"GET /admin/requests":                      rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/requests/{id}/approve":        rolesOnly("404", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/requests/{id}/reject":         rolesOnly("404", navette.RoleAdmin, navette.RoleCourtAdmin),
	"GET /admin/stats/chart.svg":               rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	// A court admin sees the people of their court (the agent walked on
	// is of court A), and an unknown person is not found.
	"GET /admin/users":                           rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	"GET /admin/users/{id}":                      rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/users/{id}/sessions/end":        rolesOnly("404", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/users/{id}/sessions/{sid}/end":  rolesOnly("404", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/users/{id}/tokens/{tid}/revoke": rolesOnly("404", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/recovery/{id}/approve":          rolesOnly("404", navette.RoleAdmin, navette.RoleCourtAdmin),
	"POST /admin/recovery/{id}/reject":           rolesOnly("404", navette.RoleAdmin, navette.RoleCourtAdmin),
	"GET /signin/lost":                           everyone("200"),
	"GET /accessibilite":                         everyone("200"),
	"GET /mentions-legales":                      everyone("200"),
	"GET /donnees-personnelles":                  everyone("200"),
	"POST /signin/lost":                          everyone("422"),
	"POST /signin/recovery":                      toSignIn,
	"GET /account/recovery-codes":                fullSession("303 /"),
	"POST /account/recovery-codes":               fullSession("200"),
	"POST /account/sessions/end-others":          fullSession("303 /account?done=others"),
	"GET /admin/stats.csv":                       rolesOnly("200", navette.RoleAdmin, navette.RoleCourtAdmin),

	// Passkeys need a public URL, which this fixture has not.
	"GET /account":                          fullSession("200"),
	"POST /account/passkeys/options":        fullSession("503"),
	"POST /account/passkeys":                fullSession("422"),
	"POST /account/passkeys/{id}/remove":    fullSession("503"),
	"POST /signin/passkey/options":          toSignIn,
	"POST /signin/passkey":                  toSignIn,
	"POST /signin/passkey-only/options":     everyone("503"),
	"POST /signin/passkey-only":             everyone("422"),
	"POST /signin/enrol/passkey/options":    toSignIn.with(outcomes{partialCaller: "503"}),
	"POST /signin/enrol/passkey":            toSignIn.with(outcomes{partialCaller: "422"}),
	"POST /account/step-up/totp":            fullSession("401"), // a wrong code
	"POST /account/step-up/passkey/options": fullSession("503"),
	"POST /account/step-up/passkey":         fullSession("422"),
	"POST /account/step-up/resume":          fullSession("303 /account"), // nothing to resume
}

// downloadRoutes are the web's downloads, which a sign-in goes on to
// through the page that asks for them.
var downloadRoutes = []string{"GET /deposits/{id}/zip", "GET /deposits/{id}/files/{fid}", "GET /cases/{id}/zip"}

// expected returns what the route of pattern answers caller at path.
func (m outcomes) expected(pattern string, caller navette.Role, path string) string {
	if o, ok := m[caller]; ok {
		return o
	}
	switch caller {
	case "":
		if strings.HasPrefix(pattern, "GET ") {
			return "303 /signin?next=" + url.QueryEscape(path)
		}
		return "401"
	case partialCaller:
		if slices.Contains(downloadRoutes, pattern) {
			path += "?ask=1" // a sign-in goes on to a download asked for first
		}
		return "303 /signin/enrol?next=" + url.QueryEscape(path)
	}
	if o, ok := m[restCaller]; ok {
		return o
	}
	return "403"
}

// webRequest is one request of the walk: its path and, for a POST, its
// url-encoded form.
type webRequest struct {
	path, form string
}

// webFixture is the policy fixture with a browser session per caller and
// the deposit the deposit routes are walked on.
type webFixture struct {
	*policyFixture
	session map[navette.Role]*browser
	deposit api.Deposit
	fileID  string
}

func newWebFixture(t *testing.T) *webFixture {
	f := &webFixture{policyFixture: newPolicyFixture(t, func(c *app.Config) { c.StaffCodes = true }), session: map[navette.Role]*browser{}}
	for _, r := range webCallers[:5] {
		f.session[r], _ = f.e.signIn(t, f.user[r].Email)
	}
	f.session[""] = f.e.browser()
	f.e.user("partial@avocat.example", "Maître Partiel", navette.RolePartner)
	b := f.e.browser()
	resp, body := b.do(t, "POST", api.PathAuthCode, api.SignInCodeRequest{Email: "partial@avocat.example"})
	if resp.StatusCode != http.StatusAccepted {
		t.Fatalf("code request: %d %s", resp.StatusCode, body)
	}
	code := f.e.code(t, "partial@avocat.example")
	resp, body = b.do(t, "POST", api.PathAuthCodeVerify, api.SignInCodeVerify{Email: "partial@avocat.example", Code: code})
	if s := b.session(t, resp, body, 200); s.Stage != string(navette.StageEnrol) {
		t.Fatalf("stage after the code: %q", s.Stage)
	}
	f.session[partialCaller] = b
	f.deposit = f.available(f.tok[navette.RoleAgent], strangerEmail)
	var full api.Deposit
	f.e.doJSON("GET", api.PathDeposits+"/"+f.deposit.ID, f.tok[navette.RoleAgent], nil, 200, &full)
	f.fileID = full.Files[0].ID
	return f
}

// webRequest returns the request of the walk for the route of pattern.
func (f *webFixture) webRequest(pattern string) webRequest {
	_, path, _ := strings.Cut(pattern, " ")
	path = strings.TrimSuffix(path, "{$}")
	rq := webRequest{path: path}
	switch pattern {
	case "GET /static/{path...}":
		rq.path = "/static/css/navette.css"
	case "GET /deposits/{id}", "GET /deposits/{id}/zip":
		rq.path = strings.Replace(path, "{id}", f.deposit.ID, 1)
	case "GET /deposits/{id}/files/{fid}":
		rq.path = "/deposits/" + f.deposit.ID + "/files/" + f.fileID
	case "POST /deposits/{id}/revoke":
		rq.path = strings.Replace(path, "{id}", navette.NewID(), 1)
		rq.form = "confirm=yes"
	case "POST /deposits/{id}/discard":
		rq.path = strings.Replace(path, "{id}", navette.NewID(), 1)
	case "POST /deposits/{id}/reply", "POST /deposits/{id}/extend", "POST /deposits/{id}/forward":
		rq.path = strings.Replace(path, "{id}", navette.NewID(), 1)
		rq.form = "days=1&message=x"
	case "GET /cases/{id}", "GET /cases/{id}/zip":
		rq.path = strings.Replace(path, "{id}", f.deposit.CaseID, 1)
	case "POST /signin/code":
		rq.form = "email="
	case "POST /signin/verify":
		rq.form = "email=someone%40avocat.example&code=12345678"
	case "POST /signin/totp", "POST /signin/enrol":
		rq.form = "code=000000"
	case "POST /signin/password":
		rq.form = "login=a&password=b"
	case "GET /admin/services/{id}", "POST /admin/services/{id}/members", "POST /admin/services/{id}/members/remove":
		rq.path = strings.Replace(path, "{id}", f.svcA.ID, 1)
		rq.form = "email="
	case "POST /admin/courts/{id}/services":
		rq.path = strings.Replace(path, "{id}", f.courtA.ID, 1)
		rq.form = "name=&email="
	case "POST /admin/settings":
		rq.form = "max_files=0"
	case "POST /admin/settings/policy":
		rq.form = "kind=antivirus&antivirus=bypass"
	case "POST /admin/requests/{id}/approve", "POST /admin/requests/{id}/reject":
		rq.path, rq.form = strings.Replace(path, "{id}", navette.NewID(), 1), "sha256="
	case "POST /account/passkeys/{id}/remove", "POST /admin/recovery/{id}/approve", "POST /admin/recovery/{id}/reject":
		rq.path = strings.Replace(path, "{id}", navette.NewID(), 1)
	case "GET /admin/users/{id}":
		rq.path = strings.Replace(path, "{id}", f.user[navette.RoleAgent].ID, 1)
	case "POST /admin/users/{id}/sessions/end", "POST /admin/users/{id}/tokens/{tid}/revoke", "POST /admin/users/{id}/sessions/{sid}/end":
		rq.path = strings.NewReplacer("{id}", navette.NewID(), "{tid}", navette.NewID(), "{sid}", navette.NewID()).Replace(path)
	case "POST /signin/lost":
		rq.form = "email="
	}
	if !strings.HasPrefix(pattern, "GET ") && rq.form == "" {
		rq.form = "x="
	}
	return rq
}

// open sends rq to the route of pattern as b's browser would send it, and
// returns the outcome: the status, and the target of a redirect.
func (f *webFixture) open(t *testing.T, b *browser, pattern string, rq webRequest) string {
	t.Helper()
	method, _, _ := strings.Cut(pattern, " ")
	var body io.Reader
	if method != http.MethodGet {
		body = strings.NewReader(rq.form)
	}
	req, err := http.NewRequest(method, f.e.url+rq.path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/html")
	if method != http.MethodGet {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", f.e.url)
		if b.csrf != "" {
			req.Header.Set("X-CSRF-Token", b.csrf)
		}
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
	}
	resp, err := b.e.noRedirect.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, resp.Body)
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return fmt.Sprintf("%d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return fmt.Sprint(resp.StatusCode)
}

func TestWebPolicy(t *testing.T) {
	f := newWebFixture(t)
	routes := f.e.app.Server.Pages.(*web.Handler).Routes()
	var patterns []string
	for _, rt := range routes {
		if _, ok := webPolicy[rt.Pattern]; !ok {
			t.Errorf("web route %q is missing from the web policy table", rt.Pattern)
			continue
		}
		patterns = append(patterns, rt.Pattern)
	}
	for p := range webPolicy {
		if !slices.ContainsFunc(routes, func(rt web.Route) bool { return rt.Pattern == p }) {
			t.Errorf("the web policy table names %q, which the web interface does not have", p)
		}
	}
	// Signing out ends the sessions: last.
	slices.SortStableFunc(patterns, func(a, b string) int {
		if a == "POST /signout" {
			return 1
		}
		if b == "POST /signout" {
			return -1
		}
		return 0
	})
	for _, p := range patterns {
		rq := f.webRequest(p)
		for _, c := range webCallers {
			want := webPolicy[p].expected(p, c, rq.path)
			if got := f.open(t, f.session[c], p, rq); got != want {
				t.Errorf("%s as %q: got %s, want %s", p, c, got, want)
			}
		}
	}
}

// TestEveryRouteHasAPolicy checks the mux the server serves against the
// route tables: every pattern registered on it is in the API table or the
// web table, once, and every route of the tables is registered.
func TestEveryRouteHasAPolicy(t *testing.T) {
	e := newEnv(t, func(c *app.Config) { c.DevMail = true })
	declared := map[string]int{}
	apiRoutes, err := e.app.Server.Routes()
	if err != nil {
		t.Fatal(err)
	}
	for _, rt := range apiRoutes {
		declared[rt.Pattern]++
	}
	for _, rt := range e.app.Server.Pages.(*web.Handler).Routes() {
		declared[rt.Pattern]++
	}
	served := map[string]bool{}
	for _, p := range e.app.Server.Patterns() {
		if served[p] {
			t.Errorf("%q is registered twice", p)
		}
		served[p] = true
		switch n := declared[p]; n {
		case 0:
			t.Errorf("%q is served without a policy: it is in neither route table", p)
		case 1:
		default:
			t.Errorf("%q is in the route tables %d times", p, n)
		}
	}
	for p := range declared {
		if !served[p] {
			t.Errorf("%q is in a route table but the server does not serve it", p)
		}
	}
}
