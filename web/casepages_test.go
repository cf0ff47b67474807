package web

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

// TestCaseDepositPager reads a case of more deposits than one page shows:
// the first page links to older deposits, the second shows the rest and
// links back to the newest.
func TestCaseDepositPager(t *testing.T) {
	f := newFixture(t, "")
	f.withCaseKeys(t)
	caseID := ""
	for range 53 {
		v := f.deposit(t, "RG 26/5353", map[string][]byte{"f": {1}})
		caseID = v.CaseID
		f.clock.Advance(time.Second)
	}
	first := f.get(t, f.lawyer, CasePath(caseID)).Body.String()
	m := regexp.MustCompile(`href="(/cases/` + caseID + `\?before=[^"]+)" rel="next"`).FindStringSubmatch(first)
	if m == nil || !strings.Contains(first, "Sur cette page :") || strings.Count(first, `<a href="/deposits/`) != 50 {
		t.Fatalf("first page: %d deposits, next %v", strings.Count(first, `<a href="/deposits/`), m)
	}
	second := f.get(t, f.lawyer, strings.ReplaceAll(m[1], "&amp;", "&")).Body.String()
	if n := strings.Count(second, `<a href="/deposits/`); n != 3 {
		t.Errorf("second page has %d deposits, want 3", n)
	}
	if !strings.Contains(second, `<a href="`+CasePath(caseID)+`">`) || strings.Contains(second, `rel="next"`) {
		t.Errorf("second page: no link to the newest deposits, or a next page")
	}
}
