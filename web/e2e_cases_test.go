package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/deposit"
	"navette/internal/testbrowser"
)

// TestCaseReplyInBrowser: a clerk of a court's mailbox sends a deposit; the
// lawyer opens it in Chromium, answers with Répondre (the new-deposit page
// opens the draft, addressed to the mailbox, under the same reference),
// adds a file and sends; the case page lists both deposits, and its ZIP
// holds both files with their SHA-256s in the manifest. The clerk then
// extends the deposit from its page.
func TestCaseReplyInBrowser(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := n.app.Accounts.CreateCourt(ctx, op, "TJ-AMI", "Tribunal judiciaire d’Amiens")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := n.app.Accounts.CreateService(ctx, op, court.ID, "Greffe correctionnel", "greffe.correctionnel@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	agent := n.user(t, "greffier@justice.example", "Greffier", navette.RoleAgent)
	if err := n.app.Accounts.AddMember(ctx, op, svc.ID, agent.ID); err != nil {
		t.Fatal(err)
	}
	lawyer := n.user(t, "leveque@avocat.example", "Maître Lévêque", navette.RolePartner)

	// The clerk's deposit, made through the service.
	d, err := n.app.Deposits.Create(ctx, agent, deposit.Draft{Recipients: []string{lawyer.Email}, Reference: "PARQUET 26/12345", RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	sent := []byte("réquisitions du parquet")
	f, err := n.app.Deposits.StartFile(ctx, agent, d.ID, "requisitions.pdf", int64(len(sent)))
	if err == nil {
		_, err = n.app.Deposits.Write(ctx, agent, f.ID, 0, bytes.NewReader(sent))
	}
	if err == nil {
		err = n.app.Deposits.Finish(ctx, agent, f.ID)
	}
	if err == nil {
		d, err = n.app.Deposits.Submit(ctx, agent, d.ID)
	}
	if err != nil || d.CaseID == "" {
		t.Fatalf("deposit %+v: %v", d, err)
	}

	p, sum := tempFile(t, "observations.pdf", 200<<10)
	lb := testbrowser.New(t, n.URL)
	signIn(t, n, lb, lawyer.Email)
	lb.Navigate(n.URL + "/deposits/" + d.ID)
	lb.Axe("/deposits/{id} (with Répondre)")
	lb.Run("reply",
		chromedp.SendKeys(chromedp.CSS("#reply-message"), "Mes observations."),
		chromedp.Submit(chromedp.CSS("#reply-message")),
		chromedp.WaitVisible(chromedp.CSS("#recipients li")),
	)
	if loc := lb.Location(); !strings.Contains(loc, "/new?draft=") {
		t.Fatalf("after Répondre: %s", loc)
	}
	if got := testbrowser.Eval[string](lb, `document.getElementById("reference").value`); got != "PARQUET 26/12345" {
		t.Errorf("reply's reference %q", got)
	}
	if to := lb.Text("#recipients"); !strings.Contains(to, svc.Email) {
		t.Errorf("reply addressed to %q, want the mailbox %s", to, svc.Email)
	}
	// The draft exists: a file added starts uploading at once.
	lb.Run("add the file and send",
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{p}),
		chromedp.WaitVisible(chromedp.CSS("#file-list li")),
		chromedp.WaitEnabled(chromedp.CSS("#send")),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS(".facts")),
	)
	replyID := depositID(t, lb.Location())
	rv, err := n.app.Deposits.Get(ctx, lawyer, replyID)
	if err != nil || rv.CaseID != d.CaseID || rv.Message != "Mes observations." {
		t.Fatalf("reply %+v: %v", rv, err)
	}

	lb.Navigate(n.URL + "/cases")
	lb.Axe("/cases")
	lb.Run("open the case", chromedp.Click(chromedp.CSS(`a[href="/cases/`+d.CaseID+`"]`)), chromedp.WaitVisible(chromedp.CSS("table")))
	lb.Axe("/cases/{id}")
	page := lb.Text("main")
	for _, s := range []string{"Envoyé", "Reçu", "Greffier", "Maître Lévêque", "1 dépôt envoyé, 1 reçu."} {
		if !strings.Contains(page, s) {
			t.Errorf("the case page lacks %q: %s", s, page)
		}
	}
	zipPath := lb.Download(chromedp.Click(chromedp.CSS(`a[href="/cases/` + d.CaseID + `/zip"]`)))
	data, err := os.ReadFile(zipPath)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	sums := map[string]string{}
	var manifest []byte
	for _, zf := range zr.File {
		rc, err := zf.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		h := sha256.Sum256(b)
		sums[zf.Name[strings.LastIndexByte(zf.Name, '/')+1:]] = hex.EncodeToString(h[:])
		if zf.Name == deposit.ManifestJSON {
			manifest = b
		}
	}
	sentSum := sha256.Sum256(sent)
	if sums["observations.pdf"] != sum || sums["requisitions.pdf"] != hex.EncodeToString(sentSum[:]) {
		t.Errorf("the case's ZIP holds %v", sums)
	}
	for _, s := range []string{sum, hex.EncodeToString(sentSum[:])} {
		if !bytes.Contains(manifest, []byte(s)) {
			t.Errorf("the manifest lacks %s", s)
		}
	}

	ab := testbrowser.New(t, n.URL)
	signIn(t, n, ab, agent.Email)
	ab.Navigate(n.URL + "/deposits/" + d.ID)
	ab.Run("extend",
		chromedp.SetValue(chromedp.CSS("#extend-days"), "5"),
		chromedp.Submit(chromedp.CSS("#extend-days")),
		chromedp.WaitVisible(chromedp.CSS(".facts")),
	)
	ab.Axe("/deposits/{id}?done=extended")
	if !regexp.MustCompile(`prolongé`).MatchString(ab.Text("main")) {
		t.Errorf("no word of the extension: %s", ab.Text("main"))
	}
	ab.Navigate(n.URL + "/inbox?group=case")
	ab.Axe("/inbox?group=case")
	if in := ab.Text("main"); !strings.Contains(in, "Affaire PARQUET 26/12345") || !strings.Contains(in, "Maître Lévêque") {
		t.Errorf("the inbox grouped by case: %s", in)
	}
	if v, err := n.app.Deposits.Get(ctx, agent, d.ID); err != nil || v.RetentionDays != 12 {
		t.Errorf("retention %d days after the extension, %v; want 12", v.RetentionDays, err)
	}
}
