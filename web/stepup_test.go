package web

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/auth"
)

// TestStalePagesAskForStepUp: six minutes after an admin last proved who
// they are, adding a member to a mailbox, applying an import and saving the
// settings answer 401 with "Mon compte" asking for the TOTP code in place;
// reading the pages needs no step-up.
func TestStalePagesAskForStepUp(t *testing.T) {
	af := newThemedAdminFixture(t, ThemeNavette)
	f, admin := af.fixture, af.admin
	admin.TOTP = navette.WrappedKey{KeyID: "kek", Data: []byte("sealed")}
	send := func(method, target, form string) *httptest.ResponseRecorder {
		var r *http.Request
		if form != "" {
			r = httptest.NewRequest(method, target, strings.NewReader(form))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		} else {
			r = httptest.NewRequest(method, target, nil)
		}
		sess := &navette.Session{ID: "s", UserID: admin.ID, Stage: navette.StageFull, Method: "code+totp", VerifiedAt: f.clock.Now().Add(-6 * time.Minute)}
		ctx := navette.NewContextWithUser(r.Context(), admin)
		r = r.WithContext(auth.NewContext(ctx, &auth.Current{Session: sess, User: admin, CSRF: "csrf-token"}))
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		return w
	}
	for _, c := range []struct{ method, path, form string }{
		{"POST", "/admin/services/" + af.service.ID + "/members", "email=clerk%40amiens.justice.example"},
		{"POST", "/admin/imports/apply", "source=lawyers"},
		{"POST", "/admin/settings", "max_files=3"},
		{"POST", "/admin/requests/" + navette.NewID() + "/approve", "sha256="},
	} {
		w := send(c.method, c.path, c.form)
		body := w.Body.String()
		if w.Code != http.StatusUnauthorized || !strings.Contains(body, `id="stepup-code"`) || !strings.Contains(body, "confirmer à nouveau votre identité") {
			t.Errorf("%s %s: %d, step-up offered: %v", c.method, c.path, w.Code, strings.Contains(body, `id="stepup-code"`))
		}
	}
	members, err := f.meta.Members(t.Context(), af.service.ID)
	if err != nil || len(members) != 0 {
		t.Errorf("a stale session added members: %v, %v", members, err)
	}
	for _, p := range []string{"/admin/settings", "/admin/services/" + af.service.ID, "/account"} {
		if w := send("GET", p, ""); w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", p, w.Code)
		}
	}
}
