package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"navette"
	"navette/api"
)

// TestCourtAdminCannotReachPlatformStaff: a platform admin or an auditor
// may be attached to a court (account.Create takes a court for every
// staff role), but a court admin of that court does not manage them:
// the users page and API do not find them, so the court admin can neither
// end their sessions, revoke their tokens, read their journal nor decide
// their recovery of a lost factor (which would let a court admin reset a
// platform admin's second factor).
func TestCourtAdminCannotReachPlatformStaff(t *testing.T) {
	f := newPolicyFixture(t)
	ctx := context.Background()
	ca := f.tok[navette.RoleCourtAdmin]
	for _, role := range []navette.Role{navette.RoleAdmin, navette.RoleAuditor} {
		nu := newUser("court."+string(role)+"@justice.example", role)
		nu.CourtID = f.courtA.ID
		u, err := f.e.app.Accounts.Create(ctx, nu)
		if err != nil {
			t.Fatal(err)
		}
		_, tok, err := f.e.app.Accounts.CreateToken(ctx, u.Email, "ops", 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct{ method, path string }{
			{"GET", api.PathAdminUsers + "/" + u.ID},
			{"DELETE", f.liveSession(t, u.ID)},
		} {
			if resp, b := f.e.do(c.method, c.path, ca, nil); resp.StatusCode != http.StatusNotFound {
				t.Errorf("court admin, %s %s of a %s of their court: %d, want 404 (%.200s)", c.method, c.path, role, resp.StatusCode, b)
			}
		}
		if resp, b := f.e.do("DELETE", api.PathAdminTokens+"/"+tok.ID, ca, nil); resp.StatusCode != http.StatusForbidden {
			t.Errorf("court admin revokes a %s's token: %d (%.200s)", role, resp.StatusCode, b)
		}
		for _, q := range []string{"", "role=" + string(role)} {
			for _, got := range f.listUsers(t, ca, q) {
				if got.ID == u.ID {
					t.Errorf("court admin's list (%q) shows the %s of their court", q, role)
				}
			}
		}
		// A platform admin still sees and manages them.
		if resp, b := f.e.do("GET", api.PathAdminUsers+"/"+u.ID, f.tok[navette.RoleAdmin], nil); resp.StatusCode != http.StatusOK {
			t.Errorf("platform admin, the %s: %d (%.200s)", role, resp.StatusCode, b)
		}
	}
	// The court admin still manages the agents and court admins of their
	// court.
	if resp, b := f.e.do("GET", api.PathAdminUsers+"/"+f.user[navette.RoleAgent].ID, ca, nil); resp.StatusCode != http.StatusOK {
		t.Errorf("court admin, an agent of their court: %d (%.200s)", resp.StatusCode, b)
	}
}

// TestSignInNextStaysOnTheOrigin: a link to the sign-in page with a next
// that http.Redirect cleans into "/\host" sent a signed-in person to
// another site, which browsers read as "//host" (an open redirect from
// the platform's own address, for phishing).
func TestSignInNextStaysOnTheOrigin(t *testing.T) {
	e := newEnv(t)
	b, _ := e.signIn(t, lawyerEmail)
	for _, next := range []string{"/../%5Cevil.example", "/./%5Cevil.example/x", "/inbox/../../%5Cevil.example"} {
		resp, _ := b.do(t, "GET", "/signin?next="+next, nil)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/") || len(loc) > 1 && (loc[1] == '/' || loc[1] == '\\') {
			t.Errorf("GET /signin?next=%s: %d to %q", next, resp.StatusCode, loc)
		}
	}
}
