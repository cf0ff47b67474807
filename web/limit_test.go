package web

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"navette/deposit"
)

// TestDownloadLimitPages: a recipient past the deposit's cap gets a 410
// page saying so, and the sender's page shows the cap and who reached it.
func TestDownloadLimitPages(t *testing.T) {
	f := newFixture(t, "")
	ctx := context.Background()
	svc := f.h.Deposits
	data := []byte("procès-verbal")
	v, err := svc.Create(ctx, f.agent, deposit.Draft{Recipients: []string{f.lawyer.Email}, Reference: "RG 26/10", MaxDownloads: 1})
	if err != nil {
		t.Fatal(err)
	}
	fr, err := svc.StartFile(ctx, f.agent, v.ID, "pv.pdf", int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Write(ctx, f.agent, fr.ID, 0, bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if err := svc.Finish(ctx, f.agent, fr.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, f.agent, v.ID); err != nil {
		t.Fatal(err)
	}
	file := "/deposits/" + v.ID + "/files/" + fr.ID

	if body := f.get(t, f.agent, DepositPath(v.ID)).Body.String(); !strings.Contains(body, "1 par destinataire et par fichier") ||
		strings.Contains(body, "Limite de téléchargements atteinte") {
		t.Errorf("sender's page before any download:\n%s", body)
	}
	if w := f.get(t, f.lawyer, file); w.Code != http.StatusOK || w.Body.String() != string(data) {
		t.Fatalf("first download: %d", w.Code)
	}
	w := f.get(t, f.lawyer, file)
	if w.Code != http.StatusGone || !strings.Contains(w.Body.String(), "Limite de téléchargements atteinte") {
		t.Fatalf("second download: %d\n%s", w.Code, w.Body.String())
	}
	checkPage(t, "download limit reached", w.Body.String())
	body := f.get(t, f.agent, DepositPath(v.ID)).Body.String()
	if !strings.Contains(body, "Limite de téléchargements atteinte : 1 fichier<") {
		t.Errorf("sender's page after the cap was reached:\n%s", body)
	}
	checkPage(t, "sender's page with a download limit", body)
	if w := f.get(t, f.agent, file); w.Code != http.StatusOK {
		t.Errorf("the sender's own download: %d", w.Code)
	}
}
