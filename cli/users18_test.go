package cli

import (
	"context"
	"strings"
	"testing"
	"time"

	"navette"
)

// TestAdminUsers: "navette admin users ls" lists every person across its
// pages, filters by role, gives one page and its cursor with --limit;
// "navette admin users show" shows a person with their token and live
// sessions and no secret; a partner is refused.
func TestAdminUsers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	admin := e.user("admin@justice.example", navette.RoleAdmin)
	all := runCLI(t, e.vars(admin), false, "admin", "users", "ls")
	if all.code != 0 {
		t.Fatalf("ls: %d %s", all.code, all.stderr)
	}
	for _, email := range []string{agent, lawyer, other, stranger, "admin@justice.example"} {
		if !strings.Contains(all.stdout, email) {
			t.Errorf("ls lacks %s:\n%s", email, all.stdout)
		}
	}
	page := runCLI(t, e.vars(admin), false, "admin", "users", "ls", "--limit", "2")
	if page.code != 0 || strings.Count(page.stdout, "\n") != 4 || !strings.Contains(page.stdout, "next: ") {
		t.Errorf("one page of 2: %d\n%s", page.code, page.stdout)
	}
	partners := runCLI(t, e.vars(admin), false, "admin", "users", "ls", "--role", "partner")
	if partners.code != 0 || strings.Contains(partners.stdout, agent) || !strings.Contains(partners.stdout, lawyer) {
		t.Errorf("partners: %d\n%s", partners.code, partners.stdout)
	}
	u, err := e.app.Meta.UserByEmail(ctx, agent)
	if err != nil {
		t.Fatal(err)
	}
	sess := e.session(u)
	show := runCLI(t, e.vars(admin), false, "admin", "users", "show", u.ID)
	if show.code != 0 || !strings.Contains(show.stdout, agent) || !strings.Contains(show.stdout, "token ") || !strings.Contains(show.stdout, "totp: false") ||
		!strings.Contains(show.stdout, "session "+sess.ID+" full code+totp (substantial)") {
		t.Errorf("show: %d %s\n%s", show.code, show.stderr, show.stdout)
	}
	if strings.Contains(show.stdout, e.agent) {
		t.Error("show prints the person's token")
	}
	if refused := runCLI(t, e.vars(e.lawyer), false, "admin", "users", "ls"); refused.code == 0 {
		t.Error("a partner listed people")
	}
	if missing := runCLI(t, e.vars(admin), false, "admin", "users", "show"); missing.code == 0 {
		t.Error("show without an id succeeded")
	}
}

// session opens for u a full session of an hour, signed in with a code and
// TOTP, from now on the platform's clock.
func (e *testEnv) session(u *navette.User) *navette.Session {
	e.t.Helper()
	now := e.app.Config.Clock.Now()
	sess := &navette.Session{ID: navette.NewID(), Hash: []byte(navette.NewID() + navette.NewID()), UserID: u.ID, Stage: navette.StageFull,
		Method: "code+totp", CreatedAt: now, SeenAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := e.app.Meta.CreateSession(context.Background(), sess); err != nil {
		e.t.Fatal(err)
	}
	return sess
}
