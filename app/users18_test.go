package app_test

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testpg"
)

// TestAdminUsersAPI: the users page's search and a person's page over the
// API, on SQLite and PostgreSQL: platform admins see everyone, a page at
// a time; court admins only their court's people (anyone else is not
// found); other roles are refused; no secret of a factor or token shows.
func TestAdminUsersAPI(t *testing.T) {
	for _, db := range []struct {
		name  string
		tweak func(t *testing.T) func(*app.Config)
	}{
		{"SQLite", func(*testing.T) func(*app.Config) { return func(*app.Config) {} }},
		{"PostgreSQL", func(t *testing.T) func(*app.Config) {
			pg := testpg.Start(t)
			url := pg.NewDatabase(t)
			return func(c *app.Config) { c.DB = url }
		}},
	} {
		t.Run(db.name, func(t *testing.T) { testAdminUsersAPI(t, newPolicyFixture(t, db.tweak(t))) })
	}
}

// listUsers walks every page of the list at query as token.
func (f *policyFixture) listUsers(t *testing.T, token, query string) []api.User {
	t.Helper()
	var all []api.User
	cursor := ""
	for range 100 {
		var l api.UserList
		f.e.doJSON("GET", api.PathAdminUsers+"?limit=2&"+query+"&cursor="+url.QueryEscape(cursor), token, nil, 200, &l)
		if len(l.Users) > 2 {
			t.Fatalf("a page of %d, want at most 2", len(l.Users))
		}
		all = append(all, l.Users...)
		if l.Next == "" {
			return all
		}
		cursor = l.Next
	}
	t.Fatal("the pages never end")
	return nil
}

func testAdminUsersAPI(t *testing.T, f *policyFixture) {
	ctx := context.Background()
	admin, ca := f.tok[navette.RoleAdmin], f.tok[navette.RoleCourtAdmin]
	outsider, err := f.e.app.Meta.UserByEmail(ctx, "outsider@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	everyone := f.listUsers(t, admin, "")
	ids := map[string]bool{}
	for _, u := range everyone {
		if ids[u.ID] {
			t.Errorf("%s listed twice", u.Email)
		}
		ids[u.ID] = true
	}
	if !ids[outsider.ID] || !ids[f.user[navette.RoleAgent].ID] || len(everyone) < 8 {
		t.Errorf("the admin's list (%d) lacks people", len(everyone))
	}

	mine := f.listUsers(t, ca, "")
	if len(mine) == 0 {
		t.Fatal("the court admin sees nobody")
	}
	for _, u := range mine {
		if u.Court == nil || u.Court.ID != f.courtA.ID {
			t.Errorf("the court admin sees %s, of court %+v", u.Email, u.Court)
		}
	}
	if got := f.listUsers(t, ca, "q=outsider"); len(got) != 0 {
		t.Errorf("the court admin finds %d outsiders", len(got))
	}
	if got := f.listUsers(t, admin, "q=outsider&role=agent"); len(got) != 1 || got[0].ID != outsider.ID {
		t.Errorf("the admin's search for the outside agent: %+v", got)
	}
	yes := true
	f.e.doJSON("PATCH", api.PathAdminUsers+"/"+f.user[navette.RoleAgent].ID, admin, api.UpdateUser{Disabled: &yes}, 200, nil)
	if got := f.listUsers(t, ca, "status=disabled"); len(got) != 1 || got[0].ID != f.user[navette.RoleAgent].ID {
		t.Errorf("the court's revoked people: %+v", got)
	}
	if got := f.listUsers(t, ca, "directory=nosuchdirectory"); len(got) != 0 {
		t.Errorf("people of no such directory: %+v", got)
	}
	for _, bad := range []string{"status=gone", "role=king", "q=" + strings.Repeat("a", 201)} {
		if resp, _ := f.e.do("GET", api.PathAdminUsers+"?"+bad, ca, nil); resp.StatusCode != 422 && resp.StatusCode != 400 {
			t.Errorf("%s: %d, want 422", bad, resp.StatusCode)
		}
	}

	var d api.UserDetail
	f.e.doJSON("GET", api.PathAdminUsers+"/"+f.user[navette.RoleAgent].ID, ca, nil, 200, &d)
	if d.ID != f.user[navette.RoleAgent].ID || !d.Disabled || len(d.Tokens) != 1 || d.Tokens[0].Secret != "" ||
		!slices.ContainsFunc(d.Mailboxes, func(u api.User) bool { return u.ID == f.svcA.ID }) || d.Factors.Passkeys == nil {
		t.Errorf("the agent's page for their court admin: %+v", d)
	}
	if len(d.Events) == 0 {
		t.Error("the agent's page shows no event")
	}
	_, body := f.e.do("GET", api.PathAdminUsers+"/"+f.user[navette.RoleAgent].ID, admin, nil)
	for _, secret := range []string{`"secret"`, `"key_data"`, `"record"`, `"credential`} {
		if strings.Contains(string(body), secret) {
			t.Errorf("the person's page shows %s", secret)
		}
	}
	for _, tc := range []struct {
		name, token, id string
		status          int
	}{
		{"court admin, another court's person", ca, outsider.ID, 404},
		{"court admin, another court's mailbox", ca, f.svcB.ID, 404},
		{"court admin, no such person", ca, navette.NewID(), 404},
		{"admin, another court's person", admin, outsider.ID, 200},
		{"agent, themself", f.outAgent, outsider.ID, 403},
		{"partner, themself", f.tok[navette.RolePartner], f.user[navette.RolePartner].ID, 403},
		{"auditor", f.tok[navette.RoleAuditor], outsider.ID, 403},
		{"anonymous", "", outsider.ID, 401},
	} {
		if resp, _ := f.e.do("GET", api.PathAdminUsers+"/"+tc.id, tc.token, nil); resp.StatusCode != tc.status {
			t.Errorf("%s: GET /{id} %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	for _, tok := range []string{f.tok[navette.RolePartner], f.tok[navette.RoleAuditor], f.outAgent} {
		if resp, _ := f.e.do("GET", api.PathAdminUsers, tok, nil); resp.StatusCode != 403 {
			t.Errorf("a non-admin lists people: %d, want 403", resp.StatusCode)
		}
	}
}
