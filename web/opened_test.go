package web

import (
	"strings"
	"testing"
	"time"
)

// TestDepositPageShowsFirstOpened: the sender's deposit page says the
// recipient has not opened the deposit, then when they first did, and the
// recipient's own view does not show the column.
func TestDepositPageShowsFirstOpened(t *testing.T) {
	f := newFixture(t, "")
	v := f.deposit(t, "RG 26/4", map[string][]byte{"pv.pdf": []byte("pdf")})
	page := DepositPath(v.ID)

	body := f.get(t, f.agent, page).Body.String()
	if !strings.Contains(body, "Première ouverture") || !strings.Contains(body, "Pas encore ouvert") {
		t.Fatalf("sender's page before opening:\n%s", body)
	}
	f.clock.Advance(90 * time.Minute) // 10:30 in Paris
	lawyer := f.get(t, f.lawyer, page).Body.String()
	if strings.Contains(lawyer, "Première ouverture") {
		t.Error("the recipient's page shows the opening column")
	}
	body = f.get(t, f.agent, page).Body.String()
	if strings.Contains(body, "Pas encore ouvert") || !strings.Contains(body, "2 nov. 2026 à 11:30") {
		t.Errorf("sender's page after opening does not show the time:\n%s", body)
	}
	checkPage(t, "deposit opened", body)
}
