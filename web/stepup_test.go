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

// TestStepUpResumes: the step-up asked for by a stale session carries where
// to go back to: the page a form was sent from, or the download itself;
// with the operator's option, downloads ask for it too.
func TestStepUpResumes(t *testing.T) {
	af := newThemedAdminFixture(t, ThemeNavette)
	f, admin := af.fixture, af.admin
	admin.TOTP = navette.WrappedKey{KeyID: "kek", Data: []byte("sealed")}
	send := func(method, target, form, referer string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, strings.NewReader(form))
		if form != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if referer != "" {
			r.Header.Set("Referer", referer)
		}
		sess := &navette.Session{ID: "s", UserID: admin.ID, Stage: navette.StageFull, Method: "code+totp", VerifiedAt: f.clock.Now().Add(-6 * time.Minute)}
		ctx := navette.NewContextWithUser(r.Context(), admin)
		r = r.WithContext(auth.NewContext(ctx, &auth.Current{Session: sess, User: admin, CSRF: "csrf-token"}))
		w := httptest.NewRecorder()
		f.mux.ServeHTTP(w, r)
		return w
	}
	id := navette.NewID()
	tests := []struct {
		name, method, path, referer string
		downloads                   bool
		status                      int
		next                        string
	}{
		{"a form, back to its page", "POST", "/admin/settings", "http://example.com/admin/settings?tab=1", false, 401, "/admin/settings?tab=1"},
		{"a form sent from elsewhere", "POST", "/admin/settings", "http://evil.example/admin", false, 401, ""},
		{"a download, option off", "GET", "/deposits/" + id + "/zip", "", false, 404, ""},
		{"a download, option on", "GET", "/deposits/" + id + "/zip", "", true, 401, "/deposits/" + id + "/zip"},
		{"a file, option on", "GET", "/deposits/" + id + "/files/" + id, "", true, 401, "/deposits/" + id + "/files/" + id},
	}
	for _, tc := range tests {
		f.h.Auth.Config.StepUpDownloads = tc.downloads
		form := ""
		if tc.method == "POST" {
			form = "max_files=3"
		}
		w := send(tc.method, tc.path, form, tc.referer)
		body := w.Body.String()
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, w.Code, tc.status)
			continue
		}
		if tc.method == "POST" && tc.status == 401 && (!strings.Contains(body, `name="resume" value="/admin/settings"`) ||
			!strings.Contains(body, `name="rf.max_files" value="3"`) || strings.Contains(body, `name="rf.csrf"`)) {
			t.Errorf("%s: the form is not carried through the step-up:\n%s", tc.name, body)
		}
		hidden := `name="next" value="` + strings.ReplaceAll(tc.next, "&", "&amp;") + `"`
		if got := strings.Contains(body, `name="next"`); got != (tc.next != "") || (tc.next != "" && !strings.Contains(body, hidden)) {
			t.Errorf("%s: next field %v, want %q", tc.name, got, tc.next)
		}
	}
	f.h.Auth.Config.StepUpDownloads = false
}

// TestResumeNext keeps only paths of this site, never the step-up itself.
func TestResumeNext(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/admin/settings", "/admin/settings"},
		{"/deposits/x/zip?a=1", "/deposits/x/zip?a=1"},
		{"", ""},
		{"//evil.example/x", ""},
		{"https://evil.example/x", ""},
		{`/\evil.example`, ""},
		{"/account/step-up/totp", ""},
		{"/signin", ""},
		{"/a\r\nLocation: x", ""},
	} {
		if got := resumeNext(tc.in); got != tc.want {
			t.Errorf("resumeNext(%q): got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestResumePage: once the step-up is done with TOTP, the form that asked
// for it comes back filled as it was sent, with the session's CSRF token,
// to be sent again with one press.
func TestResumePage(t *testing.T) {
	af := newThemedAdminFixture(t, ThemeNavette)
	f, admin := af.fixture, af.admin
	form := "code=123456&csrf=csrf-token&resume=%2Fadmin%2Fsettings&rf.max_files=3&rf.max_retention_days=30&rf.csrf=stolen"
	r := httptest.NewRequest("POST", "/account/step-up/totp", strings.NewReader(form))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	sess := &navette.Session{ID: "s", UserID: admin.ID, Stage: navette.StageFull, Method: "code+totp", VerifiedAt: f.clock.Now()}
	ctx := navette.NewContextWithUser(r.Context(), admin)
	r = r.WithContext(auth.NewContext(ctx, &auth.Current{Session: sess, User: admin, CSRF: "csrf-token"}))
	rf := resumedForm(r)
	if rf == nil || rf.Action != "/admin/settings" || len(rf.Fields) != 2 {
		t.Fatalf("resumedForm: %+v", rf)
	}
	w := httptest.NewRecorder()
	f.h.resume(w, r, rf)
	body := w.Body.String()
	for _, want := range []string{`action="/admin/settings"`, `name="csrf" value="csrf-token"`, `name="max_files" value="3"`, `name="max_retention_days" value="30"`} {
		if !strings.Contains(body, want) {
			t.Errorf("the resume page lacks %s:\n%s", want, body)
		}
	}
	if strings.Contains(body, "stolen") {
		t.Error("the resume page carries a CSRF token of the form's own")
	}
	bad := httptest.NewRequest("POST", "/account/step-up/totp", strings.NewReader("resume=https%3A%2F%2Fevil.example%2F&rf.x=1"))
	bad.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if got := resumedForm(bad); got != nil {
		t.Errorf("a resume to another site: %+v", got)
	}
}
