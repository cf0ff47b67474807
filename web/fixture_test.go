package web

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/auth"
	"navette/deposit"
	"navette/directory"
	"navette/disk"
	"navette/internal/testsqlite"
	"navette/keyring"
)

// fixture is a Handler over real stores in a temporary directory.
type fixture struct {
	h        *Handler
	mux      *http.ServeMux
	meta     navette.MetaStore
	clock    *navette.FakeClock
	accounts *account.Service
	agent    *navette.User
	lawyer   *navette.User
	stranger *navette.User
	// preparse makes upload parse its form before serving it.
	preparse bool
}

func newFixture(t testing.TB, theme string) *fixture {
	t.Helper()
	dir := t.TempDir()
	meta := testsqlite.Open(t, filepath.Join(dir, "navette.db"))
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := keyring.Open(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	clock := navette.NewFakeClock(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	acc := &account.Service{Meta: meta, Clock: clock}
	dep := &deposit.Service{Meta: meta, Blobs: blobs, Keys: keys, Clock: clock, Log: log}
	mac, err := keyring.OpenMAC(filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	au := &auth.Service{Meta: meta, Clock: clock, Keys: keys, Codes: mac}
	au.Init()
	f := &fixture{meta: meta, clock: clock, accounts: acc}
	f.h = &Handler{Deposits: dep, Auth: au, Accounts: acc, Clock: clock, Logger: log, Theme: theme}
	f.mux = http.NewServeMux()
	f.h.Register(f.mux)
	ctx := context.Background()
	mk := func(email, name string, role navette.Role) *navette.User {
		u, err := acc.CreateUser(ctx, email, name, role)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.agent = mk("greffe@justice.example", "Greffe correctionnel", navette.RoleAgent)
	f.lawyer = mk("avocat@avocat.example", "Maître Lévêque", navette.RolePartner)
	f.stranger = mk("autre@avocat.example", "Maître Autre", navette.RolePartner)
	return f
}

// withCaseKeys gives the deposit service a case key, so that deposits of
// one reference make a case.
func (f *fixture) withCaseKeys(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	mac, err := keyring.OpenMAC(dir)
	if err != nil {
		t.Fatal(err)
	}
	f.h.Deposits.CaseKeys = mac
}

// deposit makes an available deposit from the agent to the lawyer with the
// given files.
func (f *fixture) deposit(t testing.TB, ref string, files map[string][]byte) *deposit.View {
	t.Helper()
	ctx := context.Background()
	svc := f.h.Deposits
	v, err := svc.Create(ctx, f.agent, deposit.Draft{Recipients: []string{f.lawyer.Email}, Reference: ref, Message: "Pièces du dossier."})
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		fr, err := svc.StartFile(ctx, f.agent, v.ID, name, int64(len(data)))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Write(ctx, f.agent, fr.ID, 0, bytes.NewReader(data)); err != nil {
			t.Fatal(err)
		}
		if err := svc.Finish(ctx, f.agent, fr.ID); err != nil {
			t.Fatal(err)
		}
	}
	v, err = svc.Submit(ctx, f.agent, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// depositFrom makes an available deposit of one file from sender to to.
func (f *fixture) depositFrom(t testing.TB, sender, to *navette.User, ref string) *deposit.View {
	t.Helper()
	ctx := context.Background()
	svc := f.h.Deposits
	v, err := svc.Create(ctx, sender, deposit.Draft{Recipients: []string{to.Email}, Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := svc.StartFile(ctx, sender, v.ID, "pv.pdf", 3)
	if err == nil {
		_, err = svc.Write(ctx, sender, fr.ID, 0, bytes.NewReader([]byte("pdf")))
	}
	if err == nil {
		err = svc.Finish(ctx, sender, fr.ID)
	}
	if err == nil {
		v, err = svc.Submit(ctx, sender, v.ID)
	}
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// do serves a request as u (nil: anonymous) with a full session.
func (f *fixture) do(t testing.TB, u *navette.User, method, target string, body io.Reader) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, body)
	if body != nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return f.serve(u, r)
}

// serve serves r as u (nil: anonymous) with a full session.
func (f *fixture) serve(u *navette.User, r *http.Request) *httptest.ResponseRecorder {
	if u != nil {
		ctx := navette.NewContextWithUser(r.Context(), u)
		ctx = auth.NewContext(ctx, &auth.Current{Session: &navette.Session{ID: "s", UserID: u.ID, Stage: navette.StageFull, VerifiedAt: f.clock.Now()}, User: u, CSRF: "csrf-token"})
		r = r.WithContext(ctx)
	}
	w := httptest.NewRecorder()
	f.mux.ServeHTTP(w, r)
	return w
}

func (f *fixture) get(t testing.TB, u *navette.User, target string) *httptest.ResponseRecorder {
	return f.do(t, u, http.MethodGet, target, nil)
}

// post sends a form as u.
func (f *fixture) post(t testing.TB, u *navette.User, target, form string) *httptest.ResponseRecorder {
	return f.do(t, u, http.MethodPost, target, strings.NewReader(form))
}

// newThemedAdminFixture is a fixture in theme with directory
// imports configured, a platform admin, the courts of Amiens and Lille with
// a service mailbox each, a court admin and a clerk of Amiens and a clerk
// of Lille.
func newThemedAdminFixture(t *testing.T, theme string) *adminFixture {
	t.Helper()
	f := &adminFixture{fixture: newFixture(t, theme)}
	f.h.Accounts = f.accounts
	f.h.Directory = &directory.Sync{Meta: f.meta, Clock: f.clock, Keys: f.h.Deposits.Keys}
	f.h.Mappings = map[string]directory.Mapping{"lawyers": directory.LawyersMapping()}
	ctx := context.Background()
	mk := func(email, name string, role navette.Role, court string) *navette.User {
		t.Helper()
		u, err := f.accounts.Create(ctx, account.NewUser{Email: email, Name: name, Role: role, CourtID: court})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	f.admin = mk("admin@justice.example", "Admin", navette.RoleAdmin, "")
	amiens, err := f.accounts.CreateCourt(ctx, f.admin, "TJ-AMIENS", "Tribunal judiciaire d’Amiens")
	if err != nil {
		t.Fatal(err)
	}
	lille, err := f.accounts.CreateCourt(ctx, f.admin, "TJ-LILLE", "Tribunal judiciaire de Lille")
	if err != nil {
		t.Fatal(err)
	}
	f.courtAdmin = mk("chef@amiens.justice.example", "Chef de greffe", navette.RoleCourtAdmin, amiens.ID)
	f.clerk = mk("clerk@amiens.justice.example", "Greffier Amiens", navette.RoleAgent, amiens.ID)
	f.otherClerk = mk("clerk@lille.justice.example", "Greffier Lille", navette.RoleAgent, lille.ID)
	if f.service, err = f.accounts.CreateService(ctx, f.admin, amiens.ID, "Greffe pénal", "penal@amiens.justice.example"); err != nil {
		t.Fatal(err)
	}
	if f.otherService, err = f.accounts.CreateService(ctx, f.admin, lille.ID, "Greffe civil", "civil@lille.justice.example"); err != nil {
		t.Fatal(err)
	}
	return f
}
