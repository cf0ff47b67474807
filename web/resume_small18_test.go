package web

import (
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/auth"
)

// TestStepUpResumeRoute: the form passkey.js sends after a passkey
// step-up comes back as the resume page, filled, for a fresh session; a
// stale session, or nothing to resume, goes back to "Mon compte".
func TestStepUpResumeRoute(t *testing.T) {
	af := newThemedAdminFixture(t, ThemeNavette)
	f, admin := af.fixture, af.admin
	for _, tc := range []struct {
		name   string
		age    time.Duration
		form   string
		status int
	}{
		{"fresh, a form", time.Minute, "resume=%2Fadmin%2Fsettings&rf.max_files=17&rf.csrf=stolen", 200},
		{"stale, a form", 6 * time.Minute, "resume=%2Fadmin%2Fsettings&rf.max_files=17", 303},
		{"fresh, another site", time.Minute, "resume=https%3A%2F%2Fevil.example%2F&rf.x=1", 303},
		{"fresh, nothing", time.Minute, "", 303},
	} {
		r := httptest.NewRequest("POST", "/account/step-up/resume", strings.NewReader("csrf=csrf-token&"+tc.form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		sess := &navette.Session{ID: "s", UserID: admin.ID, Stage: navette.StageFull, Method: "code+passkey", VerifiedAt: f.clock.Now().Add(-tc.age)}
		ctx := navette.NewContextWithUser(r.Context(), admin)
		r = r.WithContext(auth.NewContext(ctx, &auth.Current{Session: sess, User: admin, CSRF: "csrf-token"}))
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		body := w.Body.String()
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d\n%s", tc.name, w.Code, tc.status, body)
			continue
		}
		if tc.status == 303 {
			if loc := w.Header().Get("Location"); loc != "/account" {
				t.Errorf("%s: to %q, want /account", tc.name, loc)
			}
			continue
		}
		for _, want := range []string{`action="/admin/settings"`, `name="csrf" value="csrf-token"`, `name="max_files" value="17"`} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the resume page lacks %s", tc.name, want)
			}
		}
		if strings.Contains(body, "stolen") {
			t.Errorf("%s: the resume page carries the form's own CSRF token", tc.name)
		}
	}
}
