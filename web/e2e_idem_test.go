package web_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// agentDrafts returns the drafts /drafts lists for the agent of
// agentFacingLawyer.
func agentDrafts(t *testing.T, n *node) []string {
	t.Helper()
	ctx := context.Background()
	agent, err := n.app.Meta.UserByEmail(ctx, "greffe@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	vs, err := n.app.Deposits.Drafts(ctx, agent)
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, v := range vs {
		refs = append(refs, v.Reference)
	}
	return refs
}

// TestCreateAnswerLost: the answer to the draft's creation is lost on its
// way back (the front cuts the connection once the server made the draft).
// The page sends the creation again with its idempotency key, gets the
// draft made, and sends it: one deposit, no draft left over.
func TestCreateAnswerLost(t *testing.T) {
	n, _ := sendThroughCut(t, "RG 26/COUPE", http.MethodPost, "/api/v1/deposits")
	if left := agentDrafts(t, n); len(left) != 0 {
		t.Errorf("drafts left: %q, want none", left)
	}
}

// TestCreateReloaded: the page is reloaded while the draft's creation is
// on its way back, the server having made the draft. The page reloaded
// sends the creation kept before it went again, with its key, and offers
// that draft to resume; /drafts lists it once.
func TestCreateReloaded(t *testing.T) {
	n, b, _, _ := filledDeposit(t, "RG 26/RECHARGE")
	held := n.holdAnswers(t, http.MethodPost, "/api/v1/deposits", 1)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")))
	select {
	case <-held.answered:
	case <-time.After(time.Minute):
		t.Fatal("the creation did not reach the server")
	}
	// The creation on its way, which holds the reference, is kept in the
	// tab's session storage, never in local storage, which stays on the
	// workstation's disk for later sessions.
	kept, err := chromedp.Run(b.Ctx, chromedp.Evaluate[[]string](`[JSON.stringify(localStorage), JSON.stringify(sessionStorage)]`))
	if err != nil {
		t.Fatal(err)
	}
	if len(kept) != 2 || strings.Contains(kept[0], "RECHARGE") || !strings.Contains(kept[1], "RECHARGE") {
		t.Errorf("the creation on its way: local and session storage %q; want it in the session's alone", kept)
	}
	b.Navigate(n.URL + "/new")
	b.Run("wait for the draft offered", chromedp.WaitVisible(chromedp.CSS("#resume button")))
	if s := b.Text("#resume"); !strings.Contains(s, "RG 26/RECHARGE") {
		t.Errorf("the page offers %q, not the draft made", s)
	}
	held.release()
	if refs := agentDrafts(t, n); len(refs) != 1 || refs[0] != "RG 26/RECHARGE" {
		t.Errorf("drafts: got %q, want one, RG 26/RECHARGE", refs)
	}
}
