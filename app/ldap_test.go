package app_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testldap"
)

// TestLDAPDirectory configures a node with a real OpenLDAP directory: an
// admin syncs it on demand through the API, agents then sign in with their
// directory password, and an agent removed from the directory loses access
// at the next sync.
func TestLDAPDirectory(t *testing.T) {
	s := testldap.Start(t, "")
	q := url.Values{"bind_dn": {s.BindDN}, "active_filter": {testldap.ActiveFilter}}
	e := newEnv(t, func(c *app.Config) {
		c.LDAP = s.URL + "/" + testldap.Suffix + "?" + q.Encode()
		c.LDAPSignIn = true
		c.LDAPSyncInterval = -1
		c.Getenv = func(k string) string {
			if k == "NAVETTE_LDAP_BIND_PASSWORD" {
				return s.BindPassword
			}
			return ""
		}
	})
	admin := e.user("root@justice.example", "Admin", navette.RoleAdmin)
	var dry api.DirectoryReport
	e.doJSON("POST", api.PathAdminLDAPSync+"?dry_run=1", admin, nil, 200, &dry)
	if dry.Applied || len(dry.Added) == 0 {
		t.Fatalf("dry run: %+v", dry)
	}
	var rep api.DirectoryReport
	e.doJSON("POST", api.PathAdminLDAPSync, admin, nil, 200, &rep)
	if !rep.Applied || len(rep.Added) != len(dry.Added) {
		t.Fatalf("sync: %+v", rep)
	}

	b := e.browser()
	resp, body := b.do(t, "POST", api.PathAuthPassword, api.PasswordSignIn{Login: "hmercier", Password: testldap.AgentPassword})
	b.session(t, resp, body, 200)
	var me api.Me
	if r, body := b.do(t, "GET", api.PathMe, nil); r.StatusCode != 200 {
		t.Fatalf("me: %d %s", r.StatusCode, body)
	} else if decode(t, body, &me); me.Role != "agent" || me.Court == nil || me.Court.Code != "TJ-AMIENS" || me.Source != "ldap" {
		t.Errorf("me: %+v", me)
	}
	// Every refusal is the same problem, byte for byte: a wrong password
	// does not tell from a right one for someone the platform refuses.
	var refusal string
	refused := func(bad api.PasswordSignIn) {
		t.Helper()
		r, body := e.browser().do(t, "POST", api.PathAuthPassword, bad)
		if r.StatusCode != 401 {
			t.Errorf("%q: got %d, want 401", bad.Login, r.StatusCode)
		}
		if refusal == "" {
			refusal = string(body)
		} else if string(body) != refusal {
			t.Errorf("%q: refused with %s, another refusal was %s", bad.Login, body, refusal)
		}
	}
	for _, bad := range []api.PasswordSignIn{
		{Login: "hmercier", Password: "faux"},
		{Login: "personne", Password: testldap.AgentPassword},
		{Login: "*)(uid=*", Password: testldap.AgentPassword},
		{Login: "amartin", Password: testldap.AgentPassword}, // suspended
	} {
		refused(bad)
	}
	// Right password, but revoked on the platform.
	hm, err := e.app.Meta.UserByEmail(t.Context(), me.Email)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.app.Accounts.SetDisabled(t.Context(), &navette.User{ID: "operator", Role: navette.RoleAdmin}, hm.ID, true); err != nil {
		t.Fatal(err)
	}
	refused(api.PasswordSignIn{Login: "hmercier", Password: testldap.AgentPassword})
	if _, err := e.app.Accounts.SetDisabled(t.Context(), &navette.User{ID: "operator", Role: navette.RoleAdmin}, hm.ID, false); err != nil {
		t.Fatal(err)
	}
	b = e.browser()
	resp, body = b.do(t, "POST", api.PathAuthPassword, api.PasswordSignIn{Login: "hmercier", Password: testldap.AgentPassword})
	b.session(t, resp, body, 200)

	s.Delete(t, "uid=hmercier,ou=people,"+testldap.Suffix)
	// The guard's refusal says whom it would revoke, and how to force it.
	resp, body = e.do("POST", api.PathAdminLDAPSync+"?dry_run=1", admin, nil)
	p := e.problem(resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(p.Detail, "force=1") || p.RevokedTotal != 1 || len(p.Revoked) != 1 || p.Revoked[0].ExternalID != "hmercier" {
		t.Errorf("the guard's refusal: %s", body)
	}
	// Forcing the sync past its guard is the two-person rule's.
	var req api.Request
	second := e.user("root2@justice.example", "Admin 2", navette.RoleAdmin)
	e.doJSON("POST", api.PathAdminLDAPSync+"?force=1", admin, nil, 202, &req)
	e.doJSON("POST", api.PathAdminRequests+"/"+req.ID+"/approve", second, nil, 200, nil)
	e.doJSON("POST", api.PathAdminLDAPSync+"?force=1&request="+req.ID, admin, nil, 200, &rep)
	if len(rep.Revoked) != 1 || rep.Revoked[0].ExternalID != "hmercier" {
		t.Errorf("revoked: %+v", rep.Revoked)
	}
	if r, _ := b.do(t, "GET", api.PathMe, nil); r.StatusCode != 401 {
		t.Errorf("session of a removed agent: got %d, want 401", r.StatusCode)
	}
}

func decode(t *testing.T, b []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%v in %s", err, b)
	}
}
