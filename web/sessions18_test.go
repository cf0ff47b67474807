package web

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"navette"
)

// TestUserSessions: a person's page lists their live sessions, how and
// when each was established and never its secret, with a button to end
// each; ending one signs out only that session, journaled, and a court
// admin cannot end another court's person's session, even under the id of
// a person of their court. (The CSRF token is checked before the handler,
// by http's guard: app's TestWebPolicy walks that.)
func TestUserSessions(t *testing.T) {
	af := newAdminFixture(t)
	f := af.fixture
	f.h.Auth.Config.IdleTimeout = 30 * time.Minute
	ctx := context.Background()
	now := f.clock.Now()
	mk := func(u *navette.User, stage navette.SessionStage, method string, created, seen, verified time.Time) *navette.Session {
		t.Helper()
		s := &navette.Session{ID: navette.NewID(), Hash: []byte("hash-of-" + navette.NewID()), UserID: u.ID, Stage: stage, Method: method,
			CreatedAt: created, SeenAt: seen, ExpiresAt: now.Add(11 * time.Hour), VerifiedAt: verified}
		if err := f.meta.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	hourAgo := now.Add(-time.Hour)
	signedIn := mk(af.clerk, navette.StageFull, "code+passkey", hourAgo, now.Add(-time.Minute), hourAgo)
	fresh := mk(af.clerk, navette.StageSecondFactor, "code", now.Add(-time.Minute), time.Time{}, time.Time{})
	abandoned := mk(af.clerk, navette.StageSecondFactor, "code", hourAgo, time.Time{}, time.Time{}) // never seen since, idle
	idle := mk(af.clerk, navette.StageFull, "oidc", hourAgo, now.Add(-31*time.Minute), hourAgo)
	other := mk(af.otherClerk, navette.StageFull, "oidc", hourAgo, now, now)

	w := f.get(t, af.courtAdmin, "/admin/users/"+af.clerk.ID)
	body := w.Body.String()
	if w.Code != http.StatusOK {
		t.Fatalf("the clerk's page: %d", w.Code)
	}
	for _, want := range []string{`id="person-sessions"`, "/sessions/" + signedIn.ID + "/end", `title="code&#43;passkey">code reçu par courriel et clé d’accès<`, "élevé",
		"/sessions/" + fresh.ID + "/end", "connexion en cours", "faible",
		`data-label="Méthode"`, "Fermer cette session", "Fermer toutes ses sessions"} {
		if !strings.Contains(body, want) {
			t.Errorf("the clerk's page lacks %q", want)
		}
	}
	for _, not := range []string{abandoned.ID, idle.ID, other.ID, "hash-of-"} {
		if strings.Contains(body, not) {
			t.Errorf("the clerk's page shows %q", not)
		}
	}

	for _, c := range []struct{ name, target string }{
		{"another court's person", "/admin/users/" + af.otherClerk.ID + "/sessions/" + other.ID + "/end"},
		{"another court's session under their person", "/admin/users/" + af.clerk.ID + "/sessions/" + other.ID + "/end"},
		{"an idle session", "/admin/users/" + af.clerk.ID + "/sessions/" + idle.ID + "/end"},
		{"no such session", "/admin/users/" + af.clerk.ID + "/sessions/" + navette.NewID() + "/end"},
	} {
		if w := f.post(t, af.courtAdmin, c.target, "csrf=csrf-token"); w.Code != http.StatusNotFound {
			t.Errorf("%s: %d, want 404", c.name, w.Code)
		}
	}
	if w := f.post(t, af.clerk, "/admin/users/"+af.clerk.ID+"/sessions/"+signedIn.ID+"/end", "csrf=csrf-token"); w.Code != http.StatusForbidden {
		t.Errorf("a clerk ends their own session as an admin: %d", w.Code)
	}
	for _, s := range []*navette.Session{signedIn, other} {
		if _, err := f.meta.SessionByHash(ctx, s.Hash); err != nil {
			t.Fatalf("session %s ended by a refused request: %v", s.ID, err)
		}
	}

	w = f.post(t, af.courtAdmin, "/admin/users/"+af.clerk.ID+"/sessions/"+signedIn.ID+"/end", "csrf=csrf-token")
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/admin/users/"+af.clerk.ID+"?done=session" {
		t.Fatalf("ending the session: %d %q", w.Code, loc)
	}
	if _, err := f.meta.SessionByHash(ctx, signedIn.Hash); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("the ended session: %v", err)
	}
	if _, err := f.meta.SessionByHash(ctx, fresh.Hash); err != nil {
		t.Errorf("the clerk's other session: %v", err)
	}
	body = f.get(t, af.courtAdmin, "/admin/users/"+af.clerk.ID+"?done=session").Body.String()
	if !strings.Contains(body, "La session est fermée.") || strings.Contains(body, signedIn.ID) {
		t.Error("the page after ending the session")
	}
	evs, err := f.meta.Events(ctx, navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if !containsEvent(evs, navette.EventSignOut, af.courtAdmin.ID, "revoked "+af.clerk.ID+" "+signedIn.ID) {
		t.Error("no session.ended event by the court admin")
	}
}

// containsEvent reports whether evs has an event of type typ by actor with
// detail.
func containsEvent(evs []navette.Event, typ navette.EventType, actor, detail string) bool {
	for _, e := range evs {
		if e.Type == typ && e.ActorID == actor && e.Detail == detail {
			return true
		}
	}
	return false
}

// TestPersonEventsNamed: a person's page names their events and says
// their details in words (a request's action, a sign-in method, a session
// ended with the person's name), in the page's language, and keeps each
// event's code and raw detail in the cell's title for whoever matches it
// with the journal; a detail with no better reading shows as it is.
func TestPersonEventsNamed(t *testing.T) {
	af := newAdminFixture(t)
	f := af.fixture
	now := f.clock.Now()
	evs := []navette.Event{{Time: now, Type: navette.EventSignIn, ActorID: af.clerk.ID, Detail: "code+totp"},
		{Time: now, Type: navette.EventRequestCreated, ActorID: af.clerk.ID, Detail: "R1 member.add 0a1b"},
		{Time: now, Type: navette.EventSignOut, ActorID: af.clerk.ID, Detail: "revoked " + af.clerk.ID + " S1"},
		{Time: now, Type: navette.EventAccessDenied, ActorID: af.clerk.ID, Detail: "not_found"}}
	if err := f.meta.AppendEvents(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	for lang, wants := range map[string][]string{
		"fr": {`<td title="session.created">Connexion</td>`, `title="code&#43;totp">code reçu par courriel et application d’authentification<`,
			`title="R1 member.add 0a1b">ajout d’une personne à une boîte de service<`,
			`title="revoked ` + af.clerk.ID + ` S1">une session de ` + af.clerk.Name + ` fermée<`, `<td>not_found</td>`},
		"en": {`<td title="session.created">Sign-in</td>`, `>e-mailed code and authenticator app<`, `>adding someone to a service mailbox<`,
			`>a session of ` + af.clerk.Name + ` ended<`},
	} {
		body := personPageSays(t, af, af.clerk, lang, wants)
		if strings.Contains(body, ">session.created<") {
			t.Errorf("%s: the page shows the event's code as its name", lang)
		}
	}
}

// TestOwnPageNamesMembershipEvents: on an admin's own page, the events
// they caused that name people and mailboxes the page did not load (a
// member added to or removed from a mailbox, someone's role changed, all
// someone's sessions ended) show those names, in the page's language,
// as other event rows do, never the ids; an id of someone a court admin
// does not manage stays an id.
func TestOwnPageNamesMembershipEvents(t *testing.T) {
	af := newAdminFixture(t)
	f := af.fixture
	now := f.clock.Now()
	evs := []navette.Event{
		{Time: now, Type: navette.EventMemberAdded, ActorID: af.admin.ID, Detail: af.service.ID + " " + af.clerk.ID},
		{Time: now, Type: navette.EventMemberRemoved, ActorID: af.admin.ID, Detail: af.otherService.ID + " " + af.otherClerk.ID},
		{Time: now, Type: navette.EventRoleChanged, ActorID: af.admin.ID, Detail: af.clerk.ID + " agent court_admin"},
		{Time: now, Type: navette.EventSignOut, ActorID: af.admin.ID, Detail: "revoked " + af.otherClerk.ID},
		{Time: now, Type: navette.EventMemberAdded, ActorID: af.courtAdmin.ID, Detail: af.otherService.ID + " " + af.otherClerk.ID},
	}
	if err := f.meta.AppendEvents(context.Background(), evs...); err != nil {
		t.Fatal(err)
	}
	for lang, wants := range map[string][]string{
		"fr": {">" + af.clerk.Name + ", boîte " + af.service.Name + "<", ">" + af.otherClerk.Name + ", boîte " + af.otherService.Name + "<",
			">" + af.clerk.Name + " : Agent de juridiction → Administrateur de juridiction<", ">toutes les sessions de " + af.otherClerk.Name + " fermées<", ">Boîte de service : " + af.service.Name + "<"},
		"en": {">" + af.clerk.Name + ", mailbox " + af.service.Name + "<", ">" + af.clerk.Name + ": Court agent → Court administrator<"},
	} {
		body := personPageSays(t, af, af.admin, lang, wants)
		for _, id := range []string{af.service.ID, af.clerk.ID, af.otherService.ID, af.otherClerk.ID} {
			if strings.Contains(body, ">"+id) || strings.Contains(body, id+"<") {
				t.Errorf("%s: the page shows the id %s in words", lang, id)
			}
		}
	}
	body := f.get(t, af.courtAdmin, "/admin/users/"+af.courtAdmin.ID).Body.String()
	if want := ">" + af.otherClerk.ID + ", boîte " + af.otherService.ID + "<"; !strings.Contains(body, want) {
		t.Errorf("a court admin's page names another court's people: it lacks %q", want)
	}
}

// personPageSays fails t unless the page of person, as the platform admin
// reads it in lang, holds each of wants; it returns the page.
func personPageSays(t *testing.T, af *adminFixture, person *navette.User, lang string, wants []string) string {
	t.Helper()
	w := af.get(t, af.admin, "/admin/users/"+person.ID+"?lang="+lang)
	if w.Code != http.StatusOK {
		t.Fatalf("%s: %d", lang, w.Code)
	}
	body := w.Body.String()
	for _, want := range wants {
		if !strings.Contains(body, want) {
			t.Errorf("%s: the page lacks %q", lang, want)
		}
	}
	return body
}
