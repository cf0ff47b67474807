package web_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/internal/testbrowser"
)

// TestSendFreezesTheDraft: "Envoyer" is pressed, and while the draft's
// creation is on its way (the front holds it), the sender tries to remove
// the recipient and to change the reference. The page refuses from the
// press on: the deposit sent has the recipient and the reference the page
// shows, never the ones it showed before a change the server never saw.
func TestSendFreezesTheDraft(t *testing.T) {
	n := startNode(t)
	b, lawyer := agentFacingLawyer(t, n)
	f, _ := tempFile(t, "piece.pdf", 10<<10)
	fillDeposit(b, n, "avocat@", "RG 26/FIGE", f)
	h := newHold()
	defer h.release()
	n.holdCreates.Store(h)
	b.Run("send, then change the form while the draft is created",
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.Evaluate[chromedp.Void](`(function () { var x = document.querySelector('#recipients li button'); if (x) { x.click(); } })()`),
		chromedp.SendKeys(chromedp.CSS("#reference"), " BIS"),
	)
	shown := testbrowser.Eval[[]string](b, `[document.getElementById("reference").value, document.getElementById("recipients").textContent]`)
	h.release()
	b.Run("wait for the deposit to be sent", chromedp.WaitVisible(chromedp.CSS(".facts")))
	v, err := n.app.Deposits.Get(context.Background(), lawyer, depositID(t, b.Location()))
	if err != nil || v.State != navette.DepositAvailable {
		t.Fatalf("the deposit as its recipient sees it: %+v, %v", v, err)
	}
	if shown[0] != v.Reference {
		t.Errorf("the page showed the reference %q, the deposit has %q", shown[0], v.Reference)
	}
	if !strings.Contains(shown[1], lawyer.Email) {
		t.Errorf("the page showed the recipients %q, the deposit goes to %s", shown[1], lawyer.Email)
	}
}

// TestSendAnswerLost: the submission reaches the server, which sends the
// deposit, but its answer is lost on the way back (the front closes the
// connection instead). The page finds the deposit sent and goes to it,
// where it would otherwise have shown a failure, and refused a second
// "Envoyer" as no longer a draft.
func TestSendAnswerLost(t *testing.T) {
	n := startNode(t)
	b, lawyer := agentFacingLawyer(t, n)
	f, _ := tempFile(t, "piece.pdf", 10<<10)
	fillDeposit(b, n, "avocat@", "RG 26/PERDU", f)
	n.cutSubmits.Store(1)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts, #problem")))
	if strings.Contains(b.Location(), "/new") {
		t.Fatalf("the page stays on the form, saying %q", b.Text("#problem"))
	}
	v, err := n.app.Deposits.Get(context.Background(), lawyer, depositID(t, b.Location()))
	if err != nil || v.State != navette.DepositAvailable {
		t.Fatalf("the deposit as its recipient sees it: %+v, %v", v, err)
	}
	if !strings.Contains(b.Text("main"), "Le dépôt est envoyé") {
		t.Errorf("the deposit's page does not say it is sent: %s", b.Text("main"))
	}
}
