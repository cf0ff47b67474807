package app_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"navette"
	"navette/api"
)

// TestDirectoryGuardListsRevoked: a directory flow refused by the
// revocation guard, dry run or not, answers its 422 problem with the
// people it would revoke (the first 50, in the report's order, and how
// many in all) as extension members, and tells the API caller to force
// it with force=1, not the command line's --force.
func TestDirectoryGuardListsRevoked(t *testing.T) {
	e := newEnv(t)
	admin := e.user("root@justice.example", "Admin", navette.RoleAdmin)
	const header = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"
	line := func(i int) string {
		return fmt.Sprintf("%03d;Avocat%02d;Paul;Amiens;paul%02d@avocat.example;actif;2026-11-01\n", i, i, i)
	}
	post := func(query, flow string) (*http.Response, []byte) {
		return e.do("POST", api.PathAdminDirectory+"/lawyers/import"+query, admin, strings.NewReader(flow), "Content-Type", "text/csv")
	}
	var all strings.Builder
	all.WriteString(header)
	for i := 1; i <= 60; i++ {
		all.WriteString(line(i))
	}
	if resp, b := post("", all.String()); resp.StatusCode != http.StatusOK {
		t.Fatalf("first import: %d %s", resp.StatusCode, b)
	}

	// A truncated flow: the last of the 60 only. The report orders those
	// it would revoke, absent from the flow, by external id.
	for _, query := range []string{"?dry_run=1", ""} {
		resp, b := post(query, header+line(60))
		p := e.problem(resp, b, http.StatusUnprocessableEntity)
		if p.Type != "tag:navette,2026:problem:invalid" || p.Code != navette.EINVALID {
			t.Errorf("%q: problem type %s, code %s", query, p.Type, p.Code)
		}
		if !strings.Contains(p.Detail, "force=1") || strings.Contains(p.Detail, "--force") || !strings.Contains(p.Detail, "59 of the 60") {
			t.Errorf("%q: detail %q, want the counts and force=1", query, p.Detail)
		}
		if p.RevokedTotal != 59 || len(p.Revoked) != 50 || !strings.Contains(string(b), `"revoked_total":59`) {
			t.Fatalf("%q: revoked_total %d, %d listed; want 59 and the first 50", query, p.RevokedTotal, len(p.Revoked))
		}
		for i, c := range p.Revoked {
			if want := fmt.Sprintf("paul%02d@avocat.example", i+1); c.Email != want || c.Name == "" || c.ExternalID != fmt.Sprintf("%03d", i+1) {
				t.Errorf("%q: revoked[%d] = %+v, want %s", query, i, c, want)
			}
		}
	}
}
