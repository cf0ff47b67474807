package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"navette"
)

// TestSettingsPage: a platform admin changes the deposit limits on the
// settings page; a bad value is shown on its field and nothing is saved;
// the new limits show on the overview and the new-deposit page; a court
// admin may neither see nor post the form.
func TestSettingsPage(t *testing.T) {
	f := newAdminFixture(t)
	f.h.Deposits.Limits = navette.Limits{MaxFileSize: 1 << 30, MaxRetentionDays: 30}
	current := func() navette.Limits {
		l, err := f.h.Deposits.CurrentLimits(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return l
	}
	before := current()

	w := f.get(t, f.admin, "/admin/settings")
	body := w.Body.String()
	if w.Code != 200 || !strings.Contains(body, "Vide : 1,1\u00a0Go, la valeur de la configuration. En mégaoctets : 1 Go = 1 000 Mo.") || !strings.Contains(body, `name="max_retention_days"`) {
		t.Fatalf("settings page: %d\n%s", w.Code, body)
	}
	checkPage(t, "settings", body)

	for _, bad := range []struct{ form, field string }{
		{"max_file_size=abc", "max_file_size"},
		{"max_files=0", "max_files"},
		{"max_retention_days=9999", "max_retention_days"},
		{"max_recipients=-3", "max_recipients"},
	} {
		w := f.post(t, f.admin, "/admin/settings", "csrf=csrf-token&"+bad.form)
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity || !strings.Contains(body, `id="`+bad.field+`-error"`) || !strings.Contains(body, "Indiquez un nombre entier de 1 à") {
			t.Errorf("%s: got %d, want 422 with the problem on %s", bad.form, w.Code, bad.field)
		}
		checkPage(t, "settings with a problem", body)
	}
	if got := current(); got != before {
		t.Fatalf("limits after refused forms: got %+v, want %+v", got, before)
	}

	w = f.post(t, f.admin, "/admin/settings", "csrf=csrf-token&max_file_size=2+500&max_files=&max_retention_days=21&max_recipients=")
	if w.Code != http.StatusSeeOther || w.Header().Get("Location") != "/admin/settings?done=saved" {
		t.Fatalf("save: %d %s", w.Code, w.Header().Get("Location"))
	}
	want := before
	want.MaxFileSize, want.MaxRetentionDays = 2_500_000_000, 21
	if got := current(); got != want {
		t.Fatalf("limits after saving: got %+v, want %+v", got, want)
	}
	body = f.get(t, f.admin, "/admin/settings?done=saved").Body.String()
	if !strings.Contains(body, "Les réglages sont enregistrés") || !strings.Contains(body, `value="2500"`) || !strings.Contains(body, "par Admin") {
		t.Errorf("settings page after saving:\n%s", body)
	}
	if body := f.get(t, f.admin, "/admin").Body.String(); !strings.Contains(body, "2,5\u00a0Go") || !strings.Contains(body, "21\u00a0jours") {
		t.Errorf("overview after saving does not show the new limits:\n%s", body)
	}
	if body := f.get(t, f.clerk, "/new").Body.String(); !strings.Contains(body, `max="21"`) {
		t.Errorf("new-deposit page after saving does not offer 21 days")
	}

	// Court admins see the limits but may not change them.
	if body := f.get(t, f.courtAdmin, "/admin").Body.String(); strings.Contains(body, `href="/admin/settings"`) {
		t.Error("a court admin is offered the settings page")
	}
	if w := f.get(t, f.courtAdmin, "/admin/settings"); w.Code != http.StatusForbidden {
		t.Errorf("court admin GET: %d, want 403", w.Code)
	}
	if w := f.post(t, f.courtAdmin, "/admin/settings", "csrf=csrf-token&max_files=1"); w.Code != http.StatusForbidden || current() != want {
		t.Errorf("court admin POST: %d, limits %+v", w.Code, current())
	}
}

// TestSettingsPageKeepsExactSize: a file size limit set to the byte
// through the API is shown in whole (decimal) Mo and kept as it is when
// the form is saved without changing it; changed on the form, it becomes
// whole Mo; a size in whole Mo reads back as typed.
func TestSettingsPageKeepsExactSize(t *testing.T) {
	f := newAdminFixture(t)
	ctx := context.Background()
	exact := int64(1 << 30) // 1,073.741824 MB
	if _, err := f.h.Deposits.SaveSettings(ctx, f.admin, navette.Limits{MaxFileSize: exact}); err != nil {
		t.Fatal(err)
	}
	if body := f.get(t, f.admin, "/admin/settings").Body.String(); !strings.Contains(body, `value="1073"`) {
		t.Fatalf("the form does not show 1073 Mo:\n%s", body)
	}
	size := func() int64 {
		st, err := f.h.Deposits.Settings(ctx, f.admin)
		if err != nil {
			t.Fatal(err)
		}
		return st.Limits.MaxFileSize
	}
	if w := f.post(t, f.admin, "/admin/settings", "max_file_size=1073&max_files=9"); w.Code != http.StatusSeeOther || size() != exact {
		t.Fatalf("saved unchanged: %d, size %d, want %d", w.Code, size(), exact)
	}
	if w := f.post(t, f.admin, "/admin/settings", "max_file_size=1500"); w.Code != http.StatusSeeOther || size() != 1_500_000_000 {
		t.Fatalf("saved changed: %d, size %d, want %d", w.Code, size(), int64(1_500_000_000))
	}
	body := f.get(t, f.admin, "/admin/settings").Body.String()
	if !strings.Contains(body, `value="1500"`) {
		t.Errorf("the form does not read back 1500 Mo:\n%s", body)
	}
	if body := f.get(t, f.admin, "/admin").Body.String(); !strings.Contains(body, "1,5\u00a0Go") {
		t.Errorf("the overview does not show 1,5 Go:\n%s", body)
	}
}
