package web_test

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/deposit"
	"navette/internal/testbrowser"
)

// TestForwardInBrowser: an agent who received a deposit forwards it to a
// colleague from its page in Chromium; the forward's page opens, and the
// colleague gets the same file under the same reference.
func TestForwardInBrowser(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	parquet := n.user(t, "parquet@justice.example", "Parquet", navette.RoleAgent)
	greffier := n.user(t, "greffier@justice.example", "Greffier", navette.RoleAgent)
	colleague := n.user(t, "collegue@justice.example", "Collègue", navette.RoleAgent)
	d, err := n.app.Deposits.Create(ctx, parquet, deposit.Draft{Recipients: []string{greffier.Email}, Reference: "PARQUET 26/999", RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	sent := []byte("procès-verbal d’audition")
	f, err := n.app.Deposits.StartFile(ctx, parquet, d.ID, "pv.pdf", int64(len(sent)))
	if err == nil {
		_, err = n.app.Deposits.Write(ctx, parquet, f.ID, 0, bytes.NewReader(sent))
	}
	if err == nil {
		err = n.app.Deposits.Finish(ctx, parquet, f.ID)
	}
	if err == nil {
		_, err = n.app.Deposits.Submit(ctx, parquet, d.ID)
	}
	if err != nil {
		t.Fatal(err)
	}

	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, greffier.Email)
	b.Navigate(n.URL + "/deposits/" + d.ID)
	b.Axe("/deposits/{id} (with Transmettre)")
	b.Run("forward",
		chromedp.SendKeys(chromedp.CSS("#forward-to"), colleague.Email),
		chromedp.SendKeys(chromedp.CSS("#forward-message"), "Pour attribution."),
		chromedp.Submit(chromedp.CSS("#forward-to")),
	)
	// The original's page has .facts too: wait for the forward's page.
	for end := time.Now().Add(30 * time.Second); strings.Contains(b.Location(), d.ID) && time.Now().Before(end); {
		time.Sleep(100 * time.Millisecond)
	}
	b.Run("the forward's page", chromedp.WaitVisible(chromedp.CSS(".facts")))
	if loc := b.Location(); strings.Contains(loc, d.ID) {
		t.Fatalf("after Transmettre, still on the original: %s", loc)
	}
	b.Axe("/deposits/{id}?done=forwarded")
	if !strings.Contains(b.Text("main"), "transmis") {
		t.Errorf("no word of the forward: %s", b.Text("main"))
	}
	fw, err := n.app.Deposits.Get(ctx, colleague, depositID(t, b.Location()))
	if err != nil || fw.Reference != "PARQUET 26/999" || fw.Message != "Pour attribution." || len(fw.Files) != 1 || fw.Files[0].Name != "pv.pdf" {
		t.Fatalf("the colleague's forward %+v: %v", fw, err)
	}
	dl, err := n.app.Deposits.OpenFile(ctx, colleague, fw.ID, fw.Files[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := dl.WriteRange(ctx, &got, 0, dl.Size()); err != nil || !bytes.Equal(got.Bytes(), sent) {
		t.Errorf("the forward's file: %q, %v", got.Bytes(), err)
	}
}
