package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"navette"
)

// TestUsersPage: the users page finds people whatever the case and accents
// typed, filters by role and status, and shows a court admin only the
// people of their court: another court's person is not found.
func TestUsersPage(t *testing.T) {
	af := newAdminFixture(t)
	f := af.fixture
	for _, c := range []struct {
		target    string
		want, not []string
	}{
		{"/admin/users?q=GREFFIER+amiens", []string{"Greffier Amiens"}, []string{"Greffier Lille"}},
		{"/admin/users?q=leveque", []string{"Maître Lévêque"}, []string{"Greffier Amiens"}},
		{"/admin/users?role=court_admin", []string{"Chef de greffe"}, []string{"Greffier Amiens", "Maître Lévêque"}},
		{"/admin/users?status=disabled", []string{"Aucune personne ne correspond"}, []string{"Greffier Amiens"}},
	} {
		w := f.get(t, af.admin, c.target)
		if w.Code != http.StatusOK {
			t.Errorf("%s: %d", c.target, w.Code)
		}
		hasAndHasNot(t, c.target, w.Body.String(), c.want, c.not)
	}
	if w := f.get(t, af.admin, "/admin/users?role=king"); w.Code != http.StatusBadRequest {
		t.Errorf("an unknown role: %d", w.Code)
	}
	w := f.get(t, af.courtAdmin, "/admin/users")
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, "Greffier Amiens") || strings.Contains(body, "Greffier Lille") || strings.Contains(body, "Maître Lévêque") {
		t.Errorf("the court admin's list: %d", w.Code)
	}
	if w := f.get(t, af.courtAdmin, "/admin/users/"+af.otherClerk.ID); w.Code != http.StatusNotFound {
		t.Errorf("another court's person: %d", w.Code)
	}
	if w := f.post(t, af.courtAdmin, "/admin/users/"+af.otherClerk.ID+"/sessions/end", "csrf=csrf-token"); w.Code != http.StatusNotFound {
		t.Errorf("ending another court's person's sessions: %d", w.Code)
	}
	w = f.get(t, af.courtAdmin, "/admin/users/"+af.clerk.ID)
	if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, `id="factors"`) || !strings.Contains(body, "Non activée") {
		t.Errorf("the court's person: %d", w.Code)
	}
	if w := f.post(t, af.courtAdmin, "/admin/users/"+af.clerk.ID+"/sessions/end", "csrf=csrf-token"); w.Code != http.StatusSeeOther {
		t.Errorf("ending the court's person's sessions: %d", w.Code)
	}
	if w := f.get(t, af.clerk, "/admin/users"); w.Code != http.StatusForbidden {
		t.Errorf("a clerk opens the users page: %d", w.Code)
	}
}

// TestLostPageAnswersAlike: the lost-factor page answers an unknown
// address as it answers a known one.
func TestLostPageAnswersAlike(t *testing.T) {
	f := newFixture(t, "")
	known := f.post(t, nil, "/signin/lost", "email=avocat%40avocat.example")
	unknown := f.post(t, nil, "/signin/lost", "email=nobody%40avocat.example")
	kb := strings.ReplaceAll(known.Body.String(), "avocat@avocat.example", "X")
	ub := strings.ReplaceAll(unknown.Body.String(), "nobody@avocat.example", "X")
	if known.Code != http.StatusOK || unknown.Code != known.Code || kb != ub || !strings.Contains(kb, `id="lost-sent"`) {
		t.Errorf("known %d, unknown %d, same page %v", known.Code, unknown.Code, kb == ub)
	}
}

// TestPeopleStates: the people pages name a directory by its name, not
// its code, and say why a person has no access in the directory's words
// (radié(e), omis(e)), or that an administrator removed it.
func TestPeopleStates(t *testing.T) {
	af := newAdminFixture(t)
	f := af.fixture
	mk := func(name, status string) *navette.User {
		t.Helper()
		u := &navette.User{ID: navette.NewID(), Email: navette.NewID() + "@avocat.example", Name: name, Role: navette.RolePartner,
			Source: "lawyers", ExternalID: navette.NewID(), Kind: "lawyer", DirectoryStatus: status, Disabled: true,
			RevokedAt: f.clock.Now(), CreatedAt: f.clock.Now(), UpdatedAt: f.clock.Now()}
		if err := f.meta.CreateUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		return u
	}
	struck := mk("Maître Radiée", "Radié")
	mk("Maître Omis", "omis")
	mk("Maître Retiré", "actif")
	for _, c := range []struct {
		target    string
		want, not []string
	}{
		{"/admin/users?status=disabled", []string{"<td>radié(e)</td>", "<td>omis(e)</td>", "<td>accès retiré</td>", "<td>Tableau national des avocats</td>"},
			[]string{"désactivé", "<td>lawyers</td>"}},
		{"/admin/users/" + struck.ID, []string{"<dd>radié(e)</dd>", "<dd>Tableau national des avocats</dd>"}, []string{"désactivé", ">lawyers<"}},
		{"/admin/users/" + struck.ID + "?lang=en", []string{"<dd>struck off</dd>", "<dd>National table of lawyers</dd>"}, []string{"disabled<", ">lawyers<"}},
	} {
		hasAndHasNot(t, c.target, f.get(t, af.admin, c.target).Body.String(), c.want, c.not)
	}
}

// hasAndHasNot fails t unless the page at target, body, holds every text
// of want and none of not.
func hasAndHasNot(t *testing.T, target, body string, want, not []string) {
	t.Helper()
	for _, s := range want {
		if !strings.Contains(body, s) {
			t.Errorf("%s: %q missing", target, s)
		}
	}
	for _, s := range not {
		if strings.Contains(body, s) {
			t.Errorf("%s: %q shown", target, s)
		}
	}
}

// TestRecoveryCodesPage: the page of new recovery codes says that the
// previous ones no longer work when it renews them, and not when it shows
// the first ones, made at enrolment, which replace none.
func TestRecoveryCodesPage(t *testing.T) {
	f := newFixture(t, "")
	const previous = "Les codes précédents ne fonctionnent plus."
	w := f.post(t, f.agent, "/account/recovery-codes", "csrf=csrf-token")
	if w.Code != http.StatusOK || !strings.Contains(w.Body.String(), `id="recovery-codes"`) {
		t.Fatalf("renewing the codes: %d", w.Code)
	}
	hasAndHasNot(t, "renewed", w.Body.String(), []string{previous}, nil)
	first := httptest.NewRecorder()
	r := httptest.NewRequest(http.MethodGet, "/account/recovery-codes", nil)
	f.h.renderRecovery(first, r.WithContext(navette.NewContextWithUser(r.Context(), f.agent)), http.StatusOK, "Vos codes de récupération",
		&recoveryData{Step: "codes", Codes: []string{"aaaa-bbbb-cccc"}, Next: "/"})
	hasAndHasNot(t, "first", first.Body.String(), []string{`id="recovery-codes"`, "ils ne seront plus affichés"}, []string{previous})
}
