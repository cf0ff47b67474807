package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/deposit"
	"navette/internal/testbrowser"
	"navette/receipt"
)

// TestProofsPages: the sender's deposit page lists its receipts in a
// "Preuves" section, each as PDF and JSON, with the evidence bundle; the
// recipient's lists theirs likewise; an auditor finds the deposit by a few
// words of its reference on the evidence search page, with the same list,
// and downloads its bundle and that of its whole case. Every JSON link gives a receipt that verifies
// against the journal's keys.
func TestProofsPages(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	agent := n.user(t, "greffe.proofs@justice.example", "Greffe civil", navette.RoleAgent)
	lawyer := n.user(t, "martin@avocat.example", "Maître Martin", navette.RolePartner)
	auditor := n.user(t, "inspection@justice.example", "Inspection des services", navette.RoleAuditor)
	svc := n.app.Deposits
	v, err := svc.Create(ctx, agent, deposit.Draft{Recipients: []string{lawyer.Email}, Reference: "RG 26/555 Martin c. Durand"})
	if err != nil {
		t.Fatal(err)
	}
	f, err := svc.StartFile(ctx, agent, v.ID, "assignation.pdf", 5)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Write(ctx, agent, f.ID, 0, strings.NewReader("%PDF-")); err != nil {
		t.Fatal(err)
	}
	if err := svc.Finish(ctx, agent, f.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Submit(ctx, agent, v.ID); err != nil {
		t.Fatal(err)
	}
	dl, err := svc.OpenFile(ctx, lawyer, v.ID, f.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := dl.WriteRange(ctx, &bytes.Buffer{}, 0, dl.Size()); err != nil {
		t.Fatal(err)
	}

	ab := testbrowser.New(t, n.URL)
	signIn(t, n, ab, agent.Email)
	ab.Navigate(n.URL + "/deposits/" + v.ID)
	ab.Run("the proofs", chromedp.WaitVisible(chromedp.CSS("#proofs-title")))
	ab.Axe("/deposits/{id} (proofs, sender)")
	page := ab.Text("main")
	for _, s := range []string{"Preuves", "Mise à disposition", "Première ouverture", "Téléchargement complet — assignation.pdf", "Maître Martin <martin@avocat.example>"} {
		if !strings.Contains(page, s) {
			t.Errorf("the sender's page lacks %q:\n%s", s, page)
		}
	}
	checkReceiptLinks(t, n, ab, "the sender's", agent, v.ID)
	pdf := ab.Download(chromedp.Click(chromedp.CSS(`a[href$="?format=pdf"]`)))
	if b, err := os.ReadFile(pdf); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
		t.Errorf("the receipt's PDF: %v, %.20q", err, b)
	}
	checkBundle(t, ab.Download(chromedp.Click(chromedp.CSS(`a[href$="/evidence"]`))))

	lb := testbrowser.New(t, n.URL)
	signIn(t, n, lb, lawyer.Email)
	lb.Navigate(n.URL + "/deposits/" + v.ID)
	lb.Run("the proofs", chromedp.WaitVisible(chromedp.CSS("#proofs-title")))
	lb.Axe("/deposits/{id} (proofs, recipient)")
	if page := lb.Text("main"); !strings.Contains(page, "Téléchargement complet") || strings.Contains(page, "Dossier de preuves") {
		t.Errorf("the recipient's proofs:\n%s", page)
	}
	checkReceiptLinks(t, n, lb, "the recipient's", lawyer, v.ID)

	// Withdrawn, the deposit answers 410, and its receipts stay there.
	if err := svc.Revoke(ctx, agent, v.ID); err != nil {
		t.Fatal(err)
	}
	lb.Navigate(n.URL + "/deposits/" + v.ID)
	lb.Run("the proofs of a withdrawn deposit", chromedp.WaitVisible(chromedp.CSS("#proofs-title")))
	lb.Axe("410 (proofs)")
	if page := lb.Text("main"); !strings.Contains(page, "Ce dépôt a été retiré") || !strings.Contains(page, "Retrait par l’expéditeur") {
		t.Errorf("the recipient's page of a withdrawn deposit:\n%s", page)
	}
	if pdf := lb.Download(chromedp.Click(chromedp.CSS(`a[href$="?format=pdf"]`))); pdf == "" {
		t.Error("no PDF from the 410 page")
	}

	xb := testbrowser.New(t, n.URL)
	signIn(t, n, xb, auditor.Email)
	if loc := xb.Location(); !strings.HasSuffix(loc, "/audit") {
		t.Errorf("the auditor starts at %s, want /audit", loc)
	}
	xb.Axe("/audit")
	xb.Run("search",
		chromedp.SendKeys(chromedp.CSS("#reference"), "555 martin"),
		chromedp.Submit(chromedp.CSS("#reference")),
		chromedp.WaitVisible(chromedp.CSS("#hits-title")),
	)
	xb.Axe("/audit (results)")
	if res := xb.Text("main"); !strings.Contains(res, "RG 26/555 Martin c. Durand") || !strings.Contains(res, "Greffe civil") {
		t.Errorf("search results:\n%s", res)
	}
	checkReceiptLinks(t, n, xb, "the auditor's", auditor, v.ID)
	checkBundle(t, xb.Download(chromedp.Click(chromedp.CSS(`a[href$="/evidence"]`))))
	checkCaseEvidence(t, xb.Download(chromedp.Click(chromedp.CSS(`a[href$="/case-evidence"]`))), v.ID)
	xb.Navigate(n.URL + "/audit?reference=nothing+like+it")
	if res := xb.Text("main"); !strings.Contains(res, "Aucun dépôt ne correspond") {
		t.Errorf("a search that finds nothing:\n%s", res)
	}
}

// checkReceiptLinks checks that the page in b lists the receipts of
// deposit id that u is entitled to (those of a deposit made, made
// available, opened and downloaded at least), in order, each with a link
// to its PDF and one to its JSON, and that each JSON, downloaded through
// the browser, is a receipt of that kind that verifies against the
// journal's keys.
func checkReceiptLinks(t *testing.T, n *node, b *testbrowser.Browser, whose string, u *navette.User, id string) {
	t.Helper()
	es, err := n.app.Evidence.List(context.Background(), u, id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, e := range es {
		kinds = append(kinds, string(e.Kind))
	}
	for _, k := range []string{"deposited", "available", "opened", "downloaded"} {
		if !slices.Contains(kinds, k) {
			t.Errorf("%s receipts: %v, no %s", whose, kinds, k)
		}
	}
	var rows [][]string
	js := testbrowser.Eval[string](b, `JSON.stringify([...document.querySelectorAll("table.receipts tbody tr")].map(tr => [...tr.querySelectorAll("a")].map(a => a.getAttribute("href"))))`)
	if err := json.Unmarshal([]byte(js), &rows); err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(kinds) {
		t.Fatalf("%s page lists %d receipts, want %d (%v): %v", whose, len(rows), len(kinds), kinds, rows)
	}
	for i, links := range rows {
		if len(links) != 2 || links[0] != links[1]+"?format=pdf" || !strings.HasPrefix(links[1], "/api/v1/receipts/") {
			t.Errorf("%s receipt %d: links %v, want its PDF and its JSON", whose, i, links)
			continue
		}
		data, err := os.ReadFile(b.Download(chromedp.Click(chromedp.CSS(`table.receipts a[href="` + links[1] + `"]`))))
		if err != nil {
			t.Fatal(err)
		}
		r, err := receipt.Parse(data)
		if err != nil {
			t.Errorf("%s receipt %d: %v", whose, i, err)
			continue
		}
		if _, err := receipt.Verify(r, n.app.Evidence.Verifiers(), nil); err != nil || r.Kind != kinds[i] {
			t.Errorf("%s receipt %d: kind %s, want %s; verify: %v", whose, i, r.Kind, kinds[i], err)
		}
	}
}

func checkBundle(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the bundle is no ZIP: %v", err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	if !names["LISEZMOI.txt"] || !names["cles-publiques.txt"] || len(names) < 8 {
		t.Errorf("bundle files: %v", names)
	}
}

// checkCaseEvidence checks that the file at path is the evidence of a
// case holding the bundle of deposit id and its manifest.
func checkCaseEvidence(t *testing.T, path, id string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the case's evidence is no ZIP: %v", err)
	}
	names := map[string]bool{}
	for _, f := range zr.File {
		names[f.Name] = true
	}
	inner := false
	for name := range names {
		inner = inner || (strings.HasPrefix(name, "depots/") && strings.HasSuffix(name, id+".zip"))
	}
	if !names["LISEZMOI.txt"] || !names["manifeste.csv"] || !names["manifeste.json"] || !inner {
		t.Errorf("case evidence files: %v", names)
	}
}
