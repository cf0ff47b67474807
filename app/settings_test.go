package app_test

import (
	"bytes"
	"net/http"
	"testing"
	"time"

	"navette"
	"navette/api"
)

// TestSettingsThroughAPI: a platform admin reads and changes the limits
// through the API; the change applies to the next upload and deposit and
// to what tus discovery advertises; bad input is refused whole.
func TestSettingsThroughAPI(t *testing.T) {
	e := newEnv(t)
	admin := e.user("admin@justice.example", "Admin", navette.RoleAdmin)

	var got api.PlatformSettings
	e.doJSON("GET", api.PathAdminSettings, admin, nil, http.StatusOK, &got)
	if got.Set != (api.Settings{}) || got.Effective != got.Configured || got.Configured.MaxFileSize != 1<<30 || got.UpdatedAt != nil {
		t.Fatalf("settings before any change: %+v", got)
	}

	for _, bad := range []string{
		`{"max_retention_days": 0.5}`,
		`{"max_retention_days": 4000}`,
		`{"max_retention_days": 31}`,
		`{"max_file_size": 1000}`,
		`{"max_files": -2}`,
		`{"max_file_sise": 2097152}`,
	} {
		resp, b := e.do("PUT", api.PathAdminSettings, admin, bytes.NewReader([]byte(bad)), "Content-Type", "application/json")
		e.problem(resp, b, http.StatusUnprocessableEntity)
	}
	e.doJSON("GET", api.PathAdminSettings, admin, nil, http.StatusOK, &got)
	if got.Set != (api.Settings{}) {
		t.Fatalf("settings after refused changes: %+v", got.Set)
	}

	e.doJSON("PUT", api.PathAdminSettings, admin, api.Settings{MaxFileSize: 2 << 20, MaxRetentionDays: 10}, http.StatusOK, &got)
	if got.Effective.MaxFileSize != 2<<20 || got.Effective.MaxRetentionDays != 10 || got.Effective.MaxFiles != got.Configured.MaxFiles ||
		got.UpdatedBy != "admin@justice.example" || got.UpdatedAt == nil {
		t.Fatalf("settings after the change: %+v", got)
	}
	resp, _ := e.do("OPTIONS", api.PathUploads, "", nil)
	if m := resp.Header.Get("Tus-Max-Size"); m != "2097152" {
		t.Errorf("Tus-Max-Size after the change: %q", m)
	}

	resp, b := e.do("POST", api.PathDeposits, e.agent, bytes.NewReader([]byte(`{"recipients":["`+lawyerEmail+`"],"reference":"RG 26/8","retention_days":12}`)), "Content-Type", "application/json")
	e.problem(resp, b, http.StatusUnprocessableEntity)
	var d api.Deposit
	e.doJSON("POST", api.PathDeposits, e.agent, api.CreateDeposit{Recipients: []string{lawyerEmail}, Reference: "RG 26/9", RetentionDays: 10}, http.StatusCreated, &d)
	resp, b = e.do("POST", api.PathUploads, e.agent, nil, "Tus-Resumable", "1.0.0", "Upload-Length", "3145728",
		"Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "big.pdf"))
	e.problem(resp, b, http.StatusRequestEntityTooLarge)

	// Others may neither read nor change them.
	for _, tok := range []string{e.agent, e.lawyer} {
		resp, b := e.do("GET", api.PathAdminSettings, tok, nil)
		e.problem(resp, b, http.StatusForbidden)
	}
}

// TestFirstOpenedThroughAPI: the sender sees when the recipient first
// opened the deposit, before any download.
func TestFirstOpenedThroughAPI(t *testing.T) {
	e := newEnv(t)
	d := e.send(map[string][]byte{"a.pdf": []byte("pdf")})
	var seen api.Deposit
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, http.StatusOK, &seen)
	if r := seen.Recipients[0]; r.FirstOpenedAt != nil {
		t.Fatalf("opened before the recipient looked: %+v", r)
	}
	e.clock.Advance(time.Hour)
	opened := e.clock.Now()
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, http.StatusOK, nil)
	e.clock.Advance(time.Hour)
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.lawyer, nil, http.StatusOK, nil)
	e.doJSON("GET", api.PathDeposits+"/"+d.ID, e.agent, nil, http.StatusOK, &seen)
	if r := seen.Recipients[0]; r.FirstOpenedAt == nil || !r.FirstOpenedAt.Equal(opened) || r.FirstDownloadAt != nil {
		t.Errorf("recipient after opening twice: %+v, want first opened at %v and no download", r, opened)
	}
}
