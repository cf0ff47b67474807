package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"navette"
	"navette/deposit"
)

// Each role sees what it can use: the deposit form and its links only for
// those who send, a start page that fits the role, and a way out of an
// error page that leads there.
func TestRoleFitNavigation(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	mk := func(email string, role navette.Role) *navette.User {
		u, err := f.accounts.CreateUser(ctx, email, "Nom", role)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	admin := mk("admin@justice.example", navette.RoleAdmin)
	auditor := mk("audit@justice.example", navette.RoleAuditor)
	courtAdmin := mk("chef@justice.example", navette.RoleCourtAdmin)
	for _, tc := range []struct {
		name    string
		u       *navette.User
		deposit bool
		landing string
	}{
		{"agent", f.agent, true, "/inbox"},
		{"partner", f.lawyer, true, "/inbox"},
		{"court admin", courtAdmin, true, "/admin/courts"},
		{"admin", admin, false, "/admin"},
		{"auditor", auditor, false, "/audit"},
	} {
		for _, theme := range []string{"", "dsfr"} {
			f.h.Theme = theme
			page := f.get(t, tc.u, "/account").Body.String()
			for _, link := range []string{`href="/new"`, `href="/inbox"`, `href="/sent"`} {
				if got := strings.Contains(page, link); got != tc.deposit {
					t.Errorf("%s (theme %q): %s in the menu: %v, want %v", tc.name, theme, link, got, tc.deposit)
				}
			}
		}
		f.h.Theme = ""
		if w := f.get(t, tc.u, "/"); w.Code != http.StatusSeeOther || w.Header().Get("Location") != tc.landing {
			t.Errorf("%s starts at %d %s, want %s", tc.name, w.Code, w.Header().Get("Location"), tc.landing)
		}
		w := f.get(t, tc.u, "/new")
		if tc.deposit {
			if w.Code != http.StatusOK {
				t.Errorf("%s: /new %d", tc.name, w.Code)
			}
			continue
		}
		body := w.Body.String()
		if w.Code != http.StatusForbidden || !strings.Contains(body, "Envoi impossible avec ce rôle") ||
			!strings.Contains(body, "ce sont les agents des juridictions et les partenaires qui en envoient") ||
			!strings.Contains(body, `href="`+tc.landing+`"`) {
			t.Errorf("%s: /new answers %d:\n%s", tc.name, w.Code, body)
		}
		checkPage(t, tc.name+" /new", body)
	}
}

// Every error page says what happened and what to do next, and offers a
// way on: signing in, or the visitor's start page.
func TestEveryErrorPageTellsWhatToDo(t *testing.T) {
	f := newFixture(t, "")
	errs := []error{
		&navette.Error{Code: navette.EGONE, Message: "This deposit was withdrawn by its sender.", Err: deposit.ErrRevoked},
		navette.Errorf(navette.EFORBIDDEN, "%s", msgNoDeposit),
	}
	for _, code := range []string{navette.ECONFLICT, navette.EFORBIDDEN, navette.EGONE, navette.EINTERNAL, navette.EINVALID, navette.ENOTFOUND,
		navette.ETOOLARGE, navette.ETOOMANY, navette.EUNAUTHORIZED, navette.EUNAVAILABLE, navette.ENOTIMPLEMENTED, navette.ENOSPACE} {
		errs = append(errs, navette.Errorf(code, "Something went wrong."))
	}
	next := regexp.MustCompile(`(?s)<h2>Que faire \?</h2>\s*<ul>\s*<li>[^<]{10,}</li>.*<a class="[^"]*" href="(/signin[^"]*|/inbox)">[^<]+</a>`)
	for _, err := range errs {
		for _, u := range []*navette.User{f.agent, nil} {
			r := httptest.NewRequest(http.MethodGet, "/deposits/x", nil)
			if u != nil {
				r = r.WithContext(navette.NewContextWithUser(r.Context(), u))
			}
			w := httptest.NewRecorder()
			f.h.Error(w, r, err)
			body := w.Body.String()
			if w.Code < 400 || !next.MatchString(body) {
				t.Errorf("%v (signed in: %v): %d, no next step or way on in\n%s", err, u != nil, w.Code, body)
			}
			checkPage(t, err.Error(), body)
		}
	}
}
