package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/auth"
)

// TestOwnSessions: "Mon compte" lists the person's live sessions, theirs
// marked, and "Fermer mes autres sessions" ends all of them but the one
// asking, journaled, leaving other people's alone. A lawyer who feared
// their account was used on another computer could not sign out there:
// only an admin could.
func TestOwnSessions(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	now := f.clock.Now()
	mk := func(u *navette.User, method string) *navette.Session {
		t.Helper()
		s := &navette.Session{ID: navette.NewID(), Hash: []byte("hash-of-" + navette.NewID()), UserID: u.ID, Stage: navette.StageFull, Method: method,
			CreatedAt: now.Add(-time.Hour), SeenAt: now.Add(-time.Minute), ExpiresAt: now.Add(11 * time.Hour), VerifiedAt: now}
		if err := f.meta.CreateSession(ctx, s); err != nil {
			t.Fatal(err)
		}
		return s
	}
	mine, elsewhere, phone := mk(f.lawyer, "code+totp"), mk(f.lawyer, "code+passkey"), mk(f.lawyer, "passkey")
	theirs := mk(f.agent, "code+totp")
	as := func(method, target string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader("csrf=csrf-token"))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c := navette.NewContextWithUser(r.Context(), f.lawyer)
		c = auth.NewContext(c, &auth.Current{Session: mine, User: f.lawyer, CSRF: "csrf-token"})
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r.WithContext(c))
		return w
	}
	w := as(http.MethodGet, "/account")
	body := w.Body.String()
	for _, want := range []string{`id="own-sessions"`, "(cette session)", "code reçu par courriel et clé d’accès", "Fermer mes autres sessions"} {
		if !strings.Contains(body, want) {
			t.Errorf("the account page lacks %q", want)
		}
	}
	if strings.Contains(body, "hash-of-") || strings.Contains(body, theirs.ID) {
		t.Error("the account page shows a secret or someone else's session")
	}
	w = as(http.MethodPost, "/account/sessions/end-others")
	if loc := w.Header().Get("Location"); w.Code != http.StatusSeeOther || loc != "/account?done=others" {
		t.Fatalf("ending the other sessions: %d %q", w.Code, loc)
	}
	for s, live := range map[*navette.Session]bool{mine: true, elsewhere: false, phone: false, theirs: true} {
		if _, err := f.meta.SessionByHash(ctx, s.Hash); (err == nil) != live {
			t.Errorf("session %s (%s): live %v, want %v", s.ID, s.Method, err == nil, live)
		}
	}
	evs, err := f.meta.Events(ctx, navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	ended := 0
	for _, e := range evs {
		if e.Type == navette.EventSignOut && e.ActorID == f.lawyer.ID && strings.HasPrefix(e.Detail, "revoked "+f.lawyer.ID+" ") {
			ended++
		}
	}
	if ended != 2 {
		t.Errorf("%d sessions ended journaled, want 2: %+v", ended, evs)
	}
}
