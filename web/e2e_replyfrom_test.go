package web_test

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/deposit"
	"navette/internal/testbrowser"
)

// TestReplyOnBehalfInBrowser: a lawyer sends a deposit to a court's
// mailbox; a clerk of the mailbox opens it in Chromium, where "Répondre au
// nom de" offers the mailbox, chosen already; the reply's draft opens on
// the new deposit page on behalf of the mailbox, and once sent its page
// names the mailbox, and the clerk's colleague finds it in their sent
// list. Choosing "Moi-même" instead makes a reply in person.
func TestReplyOnBehalfInBrowser(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := n.app.Accounts.CreateCourt(ctx, op, "TJ-RB", "Tribunal judiciaire RB")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := n.app.Accounts.CreateService(ctx, op, court.ID, "Greffe correctionnel RB", "greffe.correctionnel.rb@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	clerk := n.user(t, "clerk.rb@justice.example", "Clerk RB", navette.RoleAgent)
	colleague := n.user(t, "colleague.rb@justice.example", "Colleague RB", navette.RoleAgent)
	lawyer := n.user(t, "leveque@avocat.example", "Maître Lévêque", navette.RolePartner)
	for _, u := range []*navette.User{clerk, colleague} {
		if err := n.app.Accounts.AddMember(ctx, op, svc.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	d := submitted(t, n, lawyer, svc.Email, "RG 26/4242")

	p, _ := tempFile(t, "accuse.pdf", 10<<10)
	cb := testbrowser.New(t, n.URL)
	signIn(t, n, cb, clerk.Email)
	cb.Navigate(n.URL + "/deposits/" + d.ID)
	cb.Axe("/deposits/{id} (Répondre au nom de)")
	if got := testbrowser.Eval[string](cb, `document.getElementById("reply-from").value`); got != svc.Email {
		t.Fatalf("Répondre au nom de: %q chosen, want the mailbox %s", got, svc.Email)
	}
	reply := `form[action$="/reply"] button[type="submit"]`
	cb.Run("reply", chromedp.Click(chromedp.CSS(reply)), chromedp.WaitVisible(chromedp.CSS("#recipients li")))
	if got := testbrowser.Eval[string](cb, `document.getElementById("from-space").value`); got != svc.Email {
		t.Errorf("the reply's draft is sent on behalf of %q, want %s", got, svc.Email)
	}
	cb.Run("add the file and send",
		chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{p}),
		chromedp.WaitVisible(chromedp.CSS("#file-list li")),
		chromedp.WaitEnabled(chromedp.CSS("#send")),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS(".facts")),
	)
	replyID := depositID(t, cb.Location())
	if page := cb.Text("main"); !strings.Contains(page, "Au nom de") || !strings.Contains(page, svc.Email) {
		t.Errorf("the reply's page does not name the mailbox:\n%s", page)
	}
	rv, err := n.app.Deposits.Get(ctx, colleague, replyID)
	if err != nil || !rv.Sending || rv.FromSpace == nil || rv.FromSpace.ID != svc.ID || rv.SenderID != clerk.ID || rv.CaseID != d.CaseID {
		t.Fatalf("the colleague's view of the reply %+v, %v", rv, err)
	}
	ob := testbrowser.New(t, n.URL)
	signIn(t, n, ob, colleague.Email)
	ob.Navigate(n.URL + "/sent")
	if page := ob.Text("main"); !strings.Contains(page, "RG 26/4242") {
		t.Errorf("the colleague's sent list lacks the reply:\n%s", page)
	}

	cb.Navigate(n.URL + "/deposits/" + d.ID)
	if got := testbrowser.Eval[string](cb, `(function (s) { s.selectedIndex = 0; return s.options[s.selectedIndex].text; })(document.getElementById("reply-from"))`); got != "Moi-même" {
		t.Fatalf("the first choice of Répondre au nom de is %q, want Moi-même", got)
	}
	cb.Run("reply in person",
		chromedp.Click(chromedp.CSS(reply)),
		chromedp.WaitVisible(chromedp.CSS("#recipients li")),
	)
	loc, err := url.Parse(cb.Location())
	if err != nil {
		t.Fatal(err)
	}
	own, err := n.app.Deposits.Get(ctx, clerk, loc.Query().Get("draft"))
	if err != nil || own.FromSpace != nil || own.State != navette.DepositDraft {
		t.Errorf("the reply in person %+v, %v; want a draft of the clerk alone", own, err)
	}
}

// submitted returns an available deposit of one small file from a person
// to an address under a reference.
func submitted(t *testing.T, n *node, from *navette.User, to, ref string) *deposit.View {
	t.Helper()
	ctx := context.Background()
	d, err := n.app.Deposits.Create(ctx, from, deposit.Draft{Recipients: []string{to}, Reference: ref, RetentionDays: 7})
	if err != nil {
		t.Fatal(err)
	}
	data := []byte("conclusions " + ref)
	f, err := n.app.Deposits.StartFile(ctx, from, d.ID, "conclusions.pdf", int64(len(data)))
	if err == nil {
		_, err = n.app.Deposits.Write(ctx, from, f.ID, 0, bytes.NewReader(data))
	}
	if err == nil {
		err = n.app.Deposits.Finish(ctx, from, f.ID)
	}
	if err == nil {
		d, err = n.app.Deposits.Submit(ctx, from, d.ID)
	}
	if err != nil || d.State != navette.DepositAvailable {
		t.Fatalf("deposit %+v: %v", d, err)
	}
	return d
}
