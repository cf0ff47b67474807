package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/internal/testbrowser"
)

// TestSendOnBehalfInBrowser: a clerk who is a member of a court's mailbox
// chooses it under "Envoyer au nom de" on the new deposit page and sends;
// a colleague of the mailbox finds the deposit in their sent list, its
// page names the mailbox and offers to extend and withdraw it.
func TestSendOnBehalfInBrowser(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := n.app.Accounts.CreateCourt(ctx, op, "TJ-B", "Tribunal judiciaire B")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := n.app.Accounts.CreateService(ctx, op, court.ID, "Greffe pénal B", "greffe.penal.b@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	clerk := n.user(t, "clerk.b@justice.example", "Clerk B", navette.RoleAgent)
	colleague := n.user(t, "colleague.b@justice.example", "Colleague B", navette.RoleAgent)
	n.user(t, "leveque@avocat.example", "Maître Lévêque", navette.RolePartner)
	for _, u := range []*navette.User{clerk, colleague} {
		if err := n.app.Accounts.AddMember(ctx, op, svc.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	p, _ := tempFile(t, "requisitoire.pdf", 10<<10)

	ab := testbrowser.New(t, n.URL)
	signIn(t, n, ab, clerk.Email)
	fillDeposit(ab, n, "leveque", "PARQUET 26/777", p)
	ab.Run("choose the mailbox", chromedp.SetValue(chromedp.CSS("#from-space"), svc.Email))
	ab.Axe("/new (on behalf of a mailbox)")
	ab.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts")))
	id := depositID(t, ab.Location())
	if page := ab.Text("main"); !strings.Contains(page, "Au nom de") || !strings.Contains(page, svc.Email) {
		t.Errorf("the clerk's page does not name the mailbox:\n%s", page)
	}

	cb := testbrowser.New(t, n.URL)
	signIn(t, n, cb, colleague.Email)
	cb.Navigate(n.URL + "/sent")
	if page := cb.Text("main"); !strings.Contains(page, "PARQUET 26/777") {
		t.Errorf("the colleague's sent list lacks the deposit:\n%s", page)
	}
	cb.Navigate(n.URL + "/deposits/" + id)
	cb.Run("the deposit", chromedp.WaitVisible(chromedp.CSS(".facts")))
	cb.Axe("/deposits/{id} (member of the sending mailbox)")
	if page := cb.Text("main"); !strings.Contains(page, "Au nom de") || !strings.Contains(page, "Prolonger") || !strings.Contains(page, "Retirer") {
		t.Errorf("the colleague's page of the deposit:\n%s", page)
	}
}
