package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testpg"
)

// ownOrService is the person role's caller is, or court A's mailbox for a
// role without one.
func (f *policyFixture) ownOrService(role navette.Role) string {
	if u := f.user[role]; u != nil {
		return u.ID
	}
	return f.svcA.ID
}

// liveSession returns the path of a live session of the person userID,
// made for the occasion, or of an unknown session of an unknown person.
func (f *policyFixture) liveSession(t *testing.T, userID string) string {
	t.Helper()
	sid := navette.NewID()
	if _, err := f.e.app.Meta.User(context.Background(), userID); err == nil {
		now := f.e.clock.Now()
		s := &navette.Session{ID: sid, Hash: []byte(navette.NewID() + navette.NewID()), UserID: userID, Stage: navette.StageFull,
			Method: "code+totp", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour), VerifiedAt: now}
		if err := f.e.app.Meta.CreateSession(context.Background(), s); err != nil {
			t.Fatal(err)
		}
	}
	return api.PathAdminUsers + "/" + userID + "/sessions/" + sid
}

// TestAdminUserSessionsAPI: a person's page over the API lists their live
// sessions (how and when each was established, never a secret), and an
// admin who manages them ends one, on SQLite and PostgreSQL: the browser
// of that session is signed out, the person's other sessions stay, the
// journal says who ended it; a court admin cannot reach another court's
// sessions, nor anyone a session given under another person's id.
func TestAdminUserSessionsAPI(t *testing.T) {
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
		t.Run(db.name, func(t *testing.T) {
			testAdminUserSessionsAPI(t, newPolicyFixture(t, db.tweak(t), func(c *app.Config) { c.StaffCodes = true }))
		})
	}
}

func testAdminUserSessionsAPI(t *testing.T, f *policyFixture) {
	ctx := context.Background()
	admin, ca := f.tok[navette.RoleAdmin], f.tok[navette.RoleCourtAdmin]
	agent := f.user[navette.RoleAgent]
	full, secret := f.e.signIn(t, agent.Email)
	if secret == nil {
		t.Fatal("the agent's first sign-in enrolled no TOTP")
	}
	f.e.clock.Advance(time.Minute)
	f.e.signIn(t, agent.Email)
	outsider, _ := f.e.signIn(t, "outsider@justice.example")
	out, err := f.e.app.Meta.UserByEmail(ctx, "outsider@justice.example")
	if err != nil {
		t.Fatal(err)
	}

	detail := func(token, id string) api.UserDetail {
		t.Helper()
		var d api.UserDetail
		f.e.doJSON("GET", api.PathAdminUsers+"/"+id, token, nil, 200, &d)
		return d
	}
	d := detail(ca, agent.ID)
	if len(d.Sessions) != 2 {
		t.Fatalf("the agent's sessions: %+v, want 2", d.Sessions)
	}
	p, s := d.Sessions[0], d.Sessions[1]
	if p.Stage != string(navette.StageSecondFactor) || p.Method != "code" || p.Assurance != "low" || p.VerifiedAt != nil {
		t.Errorf("the newest session, its second factor not given yet: %+v", p)
	}
	if s.Stage != string(navette.StageFull) || s.Method != "code+totp" || s.Assurance != "substantial" || s.VerifiedAt == nil ||
		!s.ExpiresAt.After(s.CreatedAt) || s.LastSeen == nil || s.ID == "" || s.ID == p.ID {
		t.Errorf("the signed-in session: %+v", s)
	}
	_, body := f.e.do("GET", api.PathAdminUsers+"/"+agent.ID, admin, nil)
	for _, leak := range []string{`"pending"`, `"secret"`, `"session_hash"`} {
		if strings.Contains(string(body), leak) {
			t.Errorf("the person's page shows %s", leak)
		}
	}
	if n := len(detail(admin, out.ID).Sessions); n != 1 {
		t.Errorf("the outsider's sessions as the admin sees them: %d, want 1", n)
	}
	outSID := detail(admin, out.ID).Sessions[0].ID

	path := func(userID, sid string) string { return api.PathAdminUsers + "/" + userID + "/sessions/" + sid }
	for _, tc := range []struct {
		name, token, path string
		status            int
	}{
		{"court admin, another court's person", ca, path(out.ID, outSID), 404},
		{"court admin, another court's session under their person", ca, path(agent.ID, outSID), 404},
		{"admin, a session under another person", admin, path(agent.ID, outSID), 404},
		{"court admin, no such session", ca, path(agent.ID, navette.NewID()), 404},
		{"court admin, no such person", ca, path(navette.NewID(), s.ID), 404},
		{"agent", f.outAgent, path(out.ID, outSID), 403},
		{"partner", f.tok[navette.RolePartner], path(agent.ID, s.ID), 403},
		{"anonymous", "", path(agent.ID, s.ID), 401},
	} {
		if resp, _ := f.e.do("DELETE", tc.path, tc.token, nil); resp.StatusCode != tc.status {
			t.Errorf("%s: %d, want %d", tc.name, resp.StatusCode, tc.status)
		}
	}
	if resp, _ := outsider.do(t, "GET", api.PathMe, nil); resp.StatusCode != 200 {
		t.Fatalf("the outsider lost their session to refused calls: %d", resp.StatusCode)
	}
	if resp, _ := full.do(t, "GET", api.PathMe, nil); resp.StatusCode != 200 {
		t.Fatalf("the agent lost their session to refused calls: %d", resp.StatusCode)
	}

	if resp, body := f.e.do("DELETE", path(agent.ID, s.ID), ca, nil); resp.StatusCode != 204 {
		t.Fatalf("the court admin ends the agent's session: %d %s", resp.StatusCode, body)
	}
	if resp, _ := full.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("the ended session still works: %d", resp.StatusCode)
	}
	if d := detail(ca, agent.ID); len(d.Sessions) != 1 || d.Sessions[0].ID != p.ID {
		t.Errorf("the agent's sessions after one ended: %+v", d.Sessions)
	}
	if resp, _ := f.e.do("DELETE", path(agent.ID, s.ID), ca, nil); resp.StatusCode != 404 {
		t.Errorf("ending it again: %d, want 404", resp.StatusCode)
	}
	if resp, _ := f.e.do("DELETE", path(out.ID, outSID), admin, nil); resp.StatusCode != 204 {
		t.Errorf("the admin ends the outsider's session: %d", resp.StatusCode)
	}
	if resp, _ := outsider.do(t, "GET", api.PathMe, nil); resp.StatusCode != 401 {
		t.Errorf("the outsider's ended session still works: %d", resp.StatusCode)
	}

	evs, err := f.e.app.Meta.Events(ctx, navette.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	found := 0
	for _, e := range evs {
		if e.Type != navette.EventSignOut {
			continue
		}
		switch e.Detail {
		case "revoked " + agent.ID + " " + s.ID:
			found++
			if e.ActorID != f.user[navette.RoleCourtAdmin].ID {
				t.Errorf("the agent's session ended by %s, want the court admin", e.ActorID)
			}
		case "revoked " + out.ID + " " + outSID:
			found++
		}
	}
	if found != 2 {
		t.Errorf("%d session.ended events of the two sessions ended, want 2", found)
	}
}
