package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/auth"
)

// TestCourtAdminCannotReachPlatformStaff: a platform admin or an auditor
// may be attached to a court (account.Create takes a court for every
// staff role), but a court admin of that court does not manage them:
// the users page and API do not find them, so the court admin can neither
// end their sessions, revoke their tokens, read their journal nor decide
// their recovery of a lost factor (which would let a court admin reset a
// platform admin's second factor).
func TestCourtAdminCannotReachPlatformStaff(t *testing.T) {
	f := newPolicyFixture(t)
	ctx := context.Background()
	ca := f.tok[navette.RoleCourtAdmin]
	for _, role := range []navette.Role{navette.RoleAdmin, navette.RoleAuditor} {
		nu := newUser("court."+string(role)+"@justice.example", role)
		nu.CourtID = f.courtA.ID
		u, err := f.e.app.Accounts.Create(ctx, nu)
		if err != nil {
			t.Fatal(err)
		}
		_, tok, err := f.e.app.Accounts.CreateToken(ctx, u.Email, "ops", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ method, path string }{
			{"GET", api.PathAdminUsers + "/" + u.ID},
			{"DELETE", f.liveSession(t, u.ID)},
		} {
			if resp, b := f.e.do(c.method, c.path, ca, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("court admin, %s %s of a %s of their court: %d, want 404 (%.200s)", c.method, c.path, role, resp.StatusCode, b)
			}
		}
		if resp, b := f.e.do("DELETE", api.PathAdminTokens+"/"+tok.ID, ca, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("court admin revokes a %s's token: %d (%.200s)", role, resp.StatusCode, b)
		}
		for _, q := range []string{"", "role=" + string(role)} {
			for _, got := range f.listUsers(t, ca, q) {
				if got.ID == u.ID {
					t.Errorf("court admin's list (%q) shows the %s of their court", q, role)
				}
			}
		}
		// A platform admin still sees and manages them.
		if resp, b := f.e.do("GET", api.PathAdminUsers+"/"+u.ID, f.tok[navette.RoleAdmin], nil); resp.StatusCode != http.StatusOK {
			t.Errorf("platform admin, the %s: %d (%.200s)", role, resp.StatusCode, b)
		}
	}
	// The court admin still manages the agents and court admins of their
	// court.
	if resp, b := f.e.do("GET", api.PathAdminUsers+"/"+f.user[navette.RoleAgent].ID, ca, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("court admin, an agent of their court: %d (%.200s)", resp.StatusCode, b)
	}
}

// TestSignInNextStaysOnTheOrigin: a link to the sign-in page with a next
// that http.Redirect cleans into "/\host" sent a signed-in person to
// another site, which browsers read as "//host" (an open redirect from
// the platform's own address, for phishing).
func TestSignInNextStaysOnTheOrigin(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(t, lawyerEmail)
	for _, next := range []string{"/../%5Cevil.example", "/./%5Cevil.example/x", "/inbox/../../%5Cevil.example"} {
		resp, _ := b.do(t, "GET", "/signin?next="+next, nil)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || len(loc) > 1 && (loc[1] == '/' || loc[1] == '\\') {
			t.Errorf("GET /signin?next=%s: %d to %q", next, resp.StatusCode, loc)
		}
	}
}

// TestMemberWhoLeftSeesNothing: an agent removed from a service mailbox
// loses at once every deposit the mailbox received, those they downloaded
// included: the deposit, its files, its case, its receipts answer as ids
// never issued, and the inbox no longer lists it.
func TestMemberWhoLeftSeesNothing(t *testing.T) {
	f := newPolicyFixture(t)
	ctx := context.Background()
	member := f.tok[navette.RoleAgent]
	d := f.available(f.tok[navette.RolePartner], f.svcA.Email)
	var full api.Deposit
	f.e.doJSON("GET", api.PathDeposits+"/"+d.ID, member, nil, http.StatusOK, &full)
	file := api.PathDeposits + "/" + d.ID + "/files/" + full.Files[0].ID
	if resp, _ := f.e.do("GET", file, member, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("a member's download: %d", resp.StatusCode)
	}
	op := &navette.User{ID: navette.LocalOperator, Role: navette.RoleAdmin}
	if err := f.e.app.Accounts.RemoveMember(ctx, op, f.svcA.ID, f.user[navette.RoleAgent].ID); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{api.PathDeposits + "/" + d.ID, file, api.PathDeposits + "/" + d.ID + "/files",
		api.PathCases + "/" + full.CaseID, api.PathCases + "/" + full.CaseID + "/bundle",
		api.PathDeposits + "/" + d.ID + "/receipts", api.PathDeposits + "/" + d.ID + "/evidence"} {
		if resp, b := f.e.do("GET", path, member, nil); resp.StatusCode != http.StatusNotFound {
			t.Errorf("after leaving, GET %s: %d, want 404 (%.200s)", path, resp.StatusCode, b)
		}
	}
	var inbox api.DepositList
	f.e.doJSON("GET", api.PathDeposits, member, nil, http.StatusOK, &inbox)
	for _, x := range inbox.Deposits {
		if x.ID == d.ID {
			t.Error("after leaving, the inbox still lists the mailbox's deposit")
		}
	}
}

// TestEndedCredentialsGetNothing: a revoked API token, and the session
// and token of a person an admin disabled, are refused on every kind of
// route at the next request, reads and downloads included.
func TestEndedCredentialsGetNothing(t *testing.T) {
	f := newPolicyFixture(t, func(c *app.Config) { c.StaffCodes = true })
	ctx := context.Background()
	d := f.available(f.tok[navette.RoleAgent], f.lawyer)
	var full api.Deposit
	f.e.doJSON("GET", api.PathDeposits+"/"+d.ID, f.tok[navette.RoleAgent], nil, http.StatusOK, &full)
	paths := []string{api.PathMe, api.PathDeposits, api.PathDeposits + "/" + d.ID, api.PathDeposits + "/" + d.ID + "/files/" + full.Files[0].ID}

	secret, tok, err := f.e.app.Accounts.CreateToken(ctx, f.user[navette.RoleAgent].Email, "spare", 0)
	if err != nil {
		t.Fatal(err)
	}
	f.e.doJSON("DELETE", api.PathTokens+"/"+tok.ID, secret, nil, http.StatusNoContent, nil)
	for _, p := range paths {
		if resp, _ := f.e.do("GET", p, secret, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("revoked token, GET %s: %d, want 401", p, resp.StatusCode)
		}
	}

	b, _ := f.e.signIn(t, f.user[navette.RoleAgent].Email)
	if resp, _ := b.do(t, "GET", api.PathDeposits+"/"+d.ID, nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("the agent's session before: %d", resp.StatusCode)
	}
	yes := true
	f.e.doJSON("PATCH", api.PathAdminUsers+"/"+f.user[navette.RoleAgent].ID, f.tok[navette.RoleAdmin], api.UpdateUser{Disabled: &yes}, http.StatusOK, nil)
	for _, p := range paths {
		if resp, _ := b.do(t, "GET", p, nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("disabled person's session, GET %s: %d, want 401", p, resp.StatusCode)
		}
		if resp, _ := f.e.do("GET", p, f.tok[navette.RoleAgent], nil); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("disabled person's token, GET %s: %d, want 401", p, resp.StatusCode)
		}
	}
	if resp, _ := b.do(t, "GET", "/inbox", nil); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/signin") {
		t.Errorf("disabled person's session, GET /inbox: %d to %q", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// requestRef is the request's reference an error page shows, which differs
// from one request to the next.
var requestRef = regexp.MustCompile(`<code>[0-9a-f]{16}</code>`)

// TestWebActionsOnOthersDepositsAreMisses: a signed-in partner who posts
// the forms of a deposit page (withdraw, extend, reply, forward, discard)
// with the id of a deposit not theirs gets the page of an id never
// issued, byte for byte but the id and the request's reference, and the deposit is unchanged.
func TestWebActionsOnOthersDepositsAreMisses(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"a.txt": []byte("secret")})
	draft := e.createDeposit(e.agent, lawyerEmail)
	b, _ := e.signIn(t, strangerEmail)
	for _, c := range []struct {
		action string
		id     string
		form   url.Values
	}{
		{"revoke", d.ID, url.Values{"confirm": {"yes"}}},
		{"extend", d.ID, url.Values{"days": {"3"}}},
		{"reply", d.ID, url.Values{"message": {"x"}}},
		{"forward", d.ID, url.Values{"recipients": {lawyerEmail}}},
		{"discard", draft.ID, url.Values{}},
	} {
		resp, body := b.formBody(t, "/deposits/"+c.id+"/"+c.action, c.form)
		unknownID := navette.NewID()
		resp2, body2 := b.formBody(t, "/deposits/"+unknownID+"/"+c.action, c.form)
		body, body2 = requestRef.ReplaceAllString(strings.ReplaceAll(body, c.id, unknownID), ""), requestRef.ReplaceAllString(body2, "")
		if resp.StatusCode != resp2.StatusCode || body != body2 {
			t.Errorf("%s of another's deposit: %d, unknown id: %d; bodies differ: %v", c.action, resp.StatusCode, resp2.StatusCode, body != body2)
		}
	}
	var after api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, http.StatusOK, &after)
	if after.State != d.State || !after.ExpiresAt.Equal(*d.ExpiresAt) {
		t.Errorf("the deposit changed: %s until %v, was %s until %v", after.State, after.ExpiresAt, d.State, d.ExpiresAt)
	}
	e.doJSON("GET", api.PathDeposits+"/"+draft.ID, e.agent, nil, http.StatusOK, nil)
}

// TestLeftMemberCannotSubmitFromTheMailbox: an agent who drafted a deposit
// on behalf of a service mailbox, then was removed from it, cannot submit
// the draft in the mailbox's name: it would reach the recipient as the
// court service's, and every member would stand for its sender.
func TestLeftMemberCannotSubmitFromTheMailbox(t *testing.T) {
	f := newPolicyFixture(t)
	ctx := context.Background()
	member := f.tok[navette.RoleAgent]
	var d api.Deposit
	f.e.doJSON("POST", api.PathDeposits, member, api.CreateDeposit{Recipients: []string{f.lawyer}, Reference: "RG 26/4242", RetentionDays: 7, FromSpace: f.svcA.Email}, http.StatusCreated, &d)
	f.e.upload(member, d.ID, "piece.pdf", []byte("contenu"))
	op := &navette.User{ID: navette.LocalOperator, Role: navette.RoleAdmin}
	if err := f.e.app.Accounts.RemoveMember(ctx, op, f.svcA.ID, f.user[navette.RoleAgent].ID); err != nil {
		t.Fatal(err)
	}
	resp, b := f.e.do("POST", api.PathDeposits+"/"+d.ID+"/submit", member, nil)
	if resp.StatusCode < 400 {
		t.Errorf("submit after leaving the mailbox: %d (%.300s), want a refusal", resp.StatusCode, b)
	}
}

// TestAPIDownloadStartedElsewhere: the session cookie is sent with a
// top-level navigation from another site (SameSite=Lax), and the API
// accepts it, so a link in a phishing page or a webmail to the API's file
// or case-bundle URL streamed the file and journaled a download in the
// person's name, around the page the web routes show first
// (startedElsewhere). A browser's cross-site or same-site request to the
// API with the cookie alone is now served as if it carried none (401);
// from navette's own pages, typed, or with a token, as before.
func TestAPIDownloadStartedElsewhere(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(t, lawyerEmail)
	d := e.send(map[string][]byte{"pièce.pdf": []byte("%PDF-1.7 pièce")})
	f := d.Files[0]
	file := api.PathDeposits + "/" + d.ID + "/files/" + f.ID
	for _, c := range []struct {
		path    string
		headers map[string]string
	}{
		{file, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{file, map[string]string{"Sec-Fetch-Site": "same-site"}},
		{file, map[string]string{"Referer": "https://mail.example/inbox"}},
		{api.PathCases + "/" + d.CaseID + "/bundle", map[string]string{"Sec-Fetch-Site": "cross-site"}},
		{api.PathDeposits + "/" + d.ID, map[string]string{"Sec-Fetch-Site": "cross-site"}},
	} {
		req, _ := http.NewRequest("GET", e.url+c.path, nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
		for k, v := range c.headers {
			req.Header.Set(k, v)
		}
		resp, err := e.noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("GET %s with the cookie, %v: %d, want 401", c.path, c.headers, resp.StatusCode)
		}
	}
	e.noDownloadYet(t, "API downloads started from another site", d, f)
	if n := len(e.events(d.ID, navette.EventDepositOpened)); n != 0 {
		t.Errorf("%d openings journaled by requests from another site, want none", n)
	}
	// From navette's own pages, or typed, the cookie still serves.
	for _, site := range []string{"same-origin", "none", ""} {
		req, _ := http.NewRequest("GET", e.url+file, nil)
		req.AddCookie(&http.Cookie{Name: auth.CookieName, Value: b.cookie})
		if site != "" {
			req.Header.Set("Sec-Fetch-Site", site)
		}
		resp, err := e.noRedirect.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s with the cookie, Sec-Fetch-Site %q: %d, want 200", file, site, resp.StatusCode)
		}
	}
}

// TestSignInGoesOnToAskForEveryDownload: a sign-in that goes on to a
// download goes on to the page that asks for it (?ask), whatever form the
// link gives the download's path: "/./deposits/…" or "/deposits//…" left
// askAfterSignIn unmarked, then http.Redirect (and the browser, for
// passkey.js) cleaned them into the download itself, started with no click
// of the person's, and an API download path went there too.
func TestSignInGoesOnToAskForEveryDownload(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(t, lawyerEmail)
	d := e.send(map[string][]byte{"pièce.pdf": []byte("%PDF-1.7 pièce")})
	file := "/deposits/" + d.ID + "/files/" + d.Files[0].ID
	for _, next := range []string{
		"/." + file, "/deposits/" + d.ID + "//files/" + d.Files[0].ID, "/x/.." + file, "/deposits/" + d.ID + "/./zip",
		"/cases//" + d.CaseID + "/zip", "/%2e" + file, file + "/.",
		api.PathDeposits + "/" + d.ID + "/files/" + d.Files[0].ID, api.PathCases + "/" + d.CaseID + "/bundle",
	} {
		resp, _ := b.do(t, "GET", "/signin?next="+url.QueryEscape(next), nil)
		loc := resp.Header.Get("Location")
		u, err := url.Parse(loc)
		if err != nil || resp.StatusCode != http.StatusSeeOther {
			t.Errorf("next %q: %d to %q", next, resp.StatusCode, loc)
			continue
		}
		if strings.HasPrefix(u.Path, "/api/") || (strings.Contains(u.Path, "/files/") || strings.HasSuffix(u.Path, "/zip")) && !u.Query().Has("ask") {
			t.Errorf("next %q: the sign-in goes on to %q, a download nobody asked for", next, loc)
		}
	}
	e.noDownloadYet(t, "sign-ins going on to downloads", d, d.Files[0])
}
