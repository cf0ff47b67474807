package web

import (
	"context"
	"encoding/csv"
	"net/http"
	"slices"
	"strings"
	"testing"

	"navette"
	"navette/account"
)

// TestStatsPageAndCSV counts a deposit of an Amiens clerk to a lawyer of a
// firm on the statistics page and in its CSV, for the platform admin and
// Amiens' court admin, and nothing for Lille's; the firm's name, which
// reads as a formula, is defused in the CSV.
func TestStatsPageAndCSV(t *testing.T) {
	f := newAdminFixture(t)
	err := f.meta.UpdateUser(context.Background(), f.lawyer.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Org = "=Cabinet Lévêque"
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.agent = f.clerk
	f.deposit(t, "PARQUET-1", map[string][]byte{"a.pdf": make([]byte, 1500), "b.pdf": make([]byte, 2500)})
	lilleAdmin, err := f.accounts.Create(context.Background(), account.NewUser{Email: "chef@lille.justice.example", Name: "Chef Lille", Role: navette.RoleCourtAdmin, CourtID: f.otherClerk.CourtID})
	if err != nil {
		t.Fatal(err)
	}

	for _, c := range []struct {
		name string
		u    *navette.User
		lang string
		has  []string
	}{
		{"platform, French", f.admin, "fr", []string{"Toute la plateforme, de décembre 2025 à novembre 2026.", "Tribunal judiciaire d’Amiens",
			"=Cabinet Lévêque", `<title id="chart-deposits-title">Dépôts par mois</title>`, `<desc id="chart-volume-desc">`,
			"<td>4\u00a0ko</td>", "<th scope=\"row\">novembre 2026</th><td>1</td><td>2</td>"}},
		{"platform, English", f.admin, "en", []string{"The whole platform, from December 2025 to November 2026.", "Deposits per month", "<td>4\u00a0kB</td>"}},
		{"Amiens", f.courtAdmin, "fr", []string{"Juridiction : Tribunal judiciaire d’Amiens ; dépôts de ses agents, de décembre 2025 à novembre 2026.", "Tribunal judiciaire d’Amiens", "=Cabinet Lévêque"}},
		{"Lille", lilleAdmin, "fr", []string{"Aucun dépôt sur la période.", "Aucune organisation partenaire n’a reçu de dépôt sur la période."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := f.get(t, c.u, "/admin/stats?lang="+c.lang)
			if w.Code != http.StatusOK {
				t.Fatalf("status %d", w.Code)
			}
			body := w.Body.String()
			for _, s := range c.has {
				if !strings.Contains(body, strings.ReplaceAll(s, "’", "&rsquo;")) && !strings.Contains(body, s) {
					t.Errorf("the page lacks %q", s)
				}
			}
			if strings.Contains(body, "<script") {
				t.Error("the page has a script")
			}
		})
	}

	w := f.get(t, f.admin, "/admin/stats.csv?lang=fr")
	if ct := w.Header().Get("Content-Type"); w.Code != http.StatusOK || ct != "text/csv; charset=utf-8" {
		t.Fatalf("CSV: status %d, type %q", w.Code, ct)
	}
	if cd := w.Header().Get("Content-Disposition"); cd != `attachment; filename="navette-statistiques-2026-11.csv"` {
		t.Errorf("Content-Disposition: %q", cd)
	}
	recs, err := csv.NewReader(w.Body).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range [][]string{
		{"indicateur", "mois", "groupe", "valeur"},
		{"dépôts", "2026-11", "Tribunal judiciaire d’Amiens", "1"},
		{"fichiers", "2026-11", "Tribunal judiciaire d’Amiens", "2"},
		{"octets", "2026-11", "Tribunal judiciaire d’Amiens", "4000"},
		{"dépôts mis à disposition", "", "", "1"},
		{"dépôts téléchargés", "", "", "0"},
		{"octets reçus par l’organisation", "", "'=Cabinet Lévêque", "4000"},
	} {
		if !slices.ContainsFunc(recs, func(r []string) bool { return slices.Equal(r, want) }) {
			t.Errorf("the CSV lacks %q:\n%q", want, recs)
		}
	}
	w = f.get(t, lilleAdmin, "/admin/stats.csv?lang=en")
	if recs, err := csv.NewReader(w.Body).ReadAll(); err != nil || len(recs) != 7 || !slices.Equal(recs[0], []string{"figure", "month", "group", "value"}) {
		t.Errorf("Lille's CSV: %q, %v; want the header and the six totals", recs, err)
	}
	if w := f.get(t, f.clerk, "/admin/stats.csv"); w.Code != http.StatusForbidden {
		t.Errorf("a clerk gets the CSV: %d", w.Code)
	}
}

// TestStatsOfCourtAdminWithoutCourt: a court admin whom no court was given
// (a directory that maps the role but not the court) is refused the
// statistics, not shown the whole platform's, as a platform admin is.
func TestStatsOfCourtAdminWithoutCourt(t *testing.T) {
	f := newAdminFixture(t)
	f.agent = f.clerk
	f.deposit(t, "PARQUET-1", map[string][]byte{"a.pdf": make([]byte, 1500)})
	loose, err := f.accounts.Create(context.Background(), account.NewUser{Email: "chef@justice.example", Name: "Chef sans juridiction", Role: navette.RoleCourtAdmin})
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/admin/stats?lang=fr", "/admin/stats.csv?lang=fr", "/admin/stats/chart.svg"} {
		w := f.get(t, loose, path)
		if w.Code != http.StatusForbidden || strings.Contains(w.Body.String(), "Amiens") {
			t.Errorf("%s: %d, want 403 (%.300s)", path, w.Code, w.Body.String())
		}
	}
}
