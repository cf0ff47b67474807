package web_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/deposit"
	"navette/internal/testbrowser"
)

// TestSendFreezesTheDraft: "Envoyer" is pressed, and while the draft's
// creation is on its way (the front holds it), the sender tries to remove
// the recipient and to change the reference. The page refuses from the
// press on: the deposit sent has the recipient and the reference the page
// shows, never the ones it showed before a change the server never saw.
func TestSendFreezesTheDraft(t *testing.T) {
	n, b, lawyer, _ := filledDeposit(t, "RG 26/FIGE")
	h := n.holdRequests(t, http.MethodPost, "/api/v1/deposits")
	b.Run("send, then change the form while the draft is created",
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.Evaluate[chromedp.Void](`(function () { var x = document.querySelector('#recipients li button'); if (x) { x.click(); } })()`),
		chromedp.SendKeys(chromedp.CSS("#reference"), " BIS"),
	)
	shown := testbrowser.Eval[[]string](b, `[document.getElementById("reference").value, document.getElementById("recipients").textContent]`)
	h.release()
	b.Run("wait for the deposit to be sent", chromedp.WaitVisible(chromedp.CSS(".facts")))
	v := offered(t, n, b, lawyer)
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
	_, b := sendThroughCut(t, "RG 26/PERDU", http.MethodPost, "/submit")
	if !strings.Contains(b.Text("main"), "Le dépôt est envoyé") {
		t.Errorf("the deposit's page does not say it is sent: %s", b.Text("main"))
	}
}

// TestDiscardInAnotherTab: while a deposit is being sent in a tab, the
// sender opens the form in a second tab, which offers that draft to
// resume or discard. The first tab sends it; "Abandonner ce brouillon" in
// the second, pressed after, does not withdraw the deposit sent (its
// recipient keeps it, with no withdrawal notice) but shows it, sent.
func TestDiscardInAnotherTab(t *testing.T) {
	n := startNode(t)
	b, lawyer := agentFacingLawyer(t, n)
	big, _ := tempFile(t, "scelle.bin", 4<<20)
	n.rate.Store(1 << 20)
	fillDeposit(b, n, "avocat@", "RG 26/ONGLET", big)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")))
	waitProgress(t, b, 0.1)
	other := b.Tab(t)
	other.Navigate(n.URL + "/new")
	other.Run("wait for the draft offered", chromedp.WaitVisible(chromedp.CSS("#resume button")))
	n.rate.Store(0)
	b.Run("wait for the deposit to be sent", chromedp.WaitVisible(chromedp.CSS(".facts")))
	id := depositID(t, b.Location())
	other.Run("discard the draft in the other tab",
		chromedp.Click(chromedp.CSS("#resume button")),
		// The deposit's page, a problem, or the form free of the draft.
		chromedp.WaitVisible(chromedp.CSS(".facts, #problem:not([hidden]), #recipient-input:not([disabled])")),
	)
	if st := stateOf(t, n, id); st != navette.DepositAvailable {
		t.Fatalf("the deposit sent is %s after a discard in another tab, want %s", st, navette.DepositAvailable)
	}
	if loc := other.Location(); !strings.Contains(loc, "/deposits/"+id) {
		t.Errorf("the other tab shows %s, not the deposit sent", loc)
	}
	if _, err := n.app.Deposits.Get(context.Background(), lawyer, id); err != nil {
		t.Errorf("the recipient no longer gets the deposit: %v", err)
	}

	// A draft still a draft is discarded, and the form is free of it.
	left := draftLeft(t, n, lawyer, "RG 26/LAISSE")
	other.Navigate(n.URL + "/new?draft=" + left)
	other.Run("discard a draft",
		chromedp.WaitVisible(chromedp.CSS("#resume button")),
		chromedp.Click(chromedp.CSS("#resume button")),
		chromedp.WaitVisible(chromedp.CSS("#recipient-input:not([disabled])")),
	)
	if st := stateOf(t, n, left); st != navette.DepositRevoked {
		t.Errorf("the draft discarded is %s, want %s", st, navette.DepositRevoked)
	}
}

// sendThroughCut fills the form with ref and presses "Envoyer", the answer
// to the first request of method to a path ending in path cut by the front,
// and fails t unless the page goes to the deposit, offered to its lawyer.
func sendThroughCut(t *testing.T, ref, method, path string) (*node, *testbrowser.Browser) {
	t.Helper()
	n, b, lawyer, _ := filledDeposit(t, ref)
	n.cut.Store(newCut(method, path, 1))
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts, #problem")))
	if strings.Contains(b.Location(), "/new") {
		t.Fatalf("the page stays on the form, saying %q", b.Text("#problem"))
	}
	offered(t, n, b, lawyer)
	return n, b
}

// filledDeposit starts a node, signs its agent in and fills the form for
// its lawyer with ref and one file, of SHA-256 sum.
func filledDeposit(t *testing.T, ref string) (n *node, b *testbrowser.Browser, lawyer *navette.User, sum string) {
	t.Helper()
	n = startNode(t)
	b, lawyer = agentFacingLawyer(t, n)
	f, sum := tempFile(t, "piece.pdf", 10<<10)
	fillDeposit(b, n, "avocat@", ref, f)
	return n, b, lawyer, sum
}

// draftLeft returns the id of a new draft of the agent of
// agentFacingLawyer, to the lawyer, with ref: one a former visit left.
func draftLeft(t *testing.T, n *node, lawyer *navette.User, ref string) string {
	t.Helper()
	agent, err := n.app.Meta.UserByEmail(context.Background(), "greffe@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	d, err := n.app.Deposits.Create(context.Background(), agent, deposit.Draft{Recipients: []string{lawyer.Email}, Reference: ref})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// offered returns the deposit whose page b shows as lawyer, its
// recipient, sees it, failing t unless it is offered to them.
func offered(t *testing.T, n *node, b *testbrowser.Browser, lawyer *navette.User) *deposit.View {
	t.Helper()
	v, err := n.app.Deposits.Get(context.Background(), lawyer, depositID(t, b.Location()))
	if err != nil || v.State != navette.DepositAvailable {
		t.Fatalf("the deposit as its recipient sees it: %+v, %v", v, err)
	}
	return v
}

// stateOf returns the state of the deposit id.
func stateOf(t *testing.T, n *node, id string) navette.DepositState {
	t.Helper()
	d, err := n.app.Meta.Deposit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.State
}

// TestDropWhileSubmitting: while the submission is on its way (the front
// holds it), a file dropped on the form is not taken, as the file input
// (disabled then) would not: it would race the submission, sent with the
// deposit or not depending on which reaches the server first. The deposit
// is sent with the files the page listed.
func TestDropWhileSubmitting(t *testing.T) {
	n, b, lawyer, sum := filledDeposit(t, "RG 26/TARD")
	h := n.holdRequests(t, http.MethodPost, "/submit")
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.Poll[chromedp.Void](`document.getElementById("files").disabled`))
	dropped := testbrowser.Eval[int](b, `(function () {
  var dt = new DataTransfer();
  dt.items.add(new File([new Uint8Array(1024)], "tard.pdf"));
  var z = document.getElementById('dropzone');
  z.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
  return document.querySelectorAll('#file-list li').length;
})()`)
	h.release()
	if dropped != 1 {
		t.Errorf("%d files listed after a drop during the submission, want 1", dropped)
	}
	b.Run("wait for the deposit to be sent", chromedp.WaitVisible(chromedp.CSS(".facts, #problem:not([hidden])")))
	v := offered(t, n, b, lawyer)
	if len(v.Files) != 1 || hex.EncodeToString(v.Files[0].SHA256) != sum {
		t.Errorf("the deposit has %d files, want piece.pdf alone", len(v.Files))
	}
}

// TestSendUnreachable: the draft's creation gets no answer (the front
// closes the connection, each time the browser tries it): the form says
// so in its language, not in the browser's words, and unlocks, so that
// "Envoyer" can be pressed again, which sends the deposit.
func TestSendUnreachable(t *testing.T) {
	n, b, lawyer, _ := filledDeposit(t, "RG 26/COUPE")
	n.cut.Store(newCut(http.MethodPost, "/api/v1/deposits", 1000))
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS("#problem")))
	want := "La plateforme ne répond pas : vérifiez votre connexion, puis réessayez."
	if p := b.Text("#problem"); p != want {
		t.Errorf("the problem: got %q, want %q", p, want)
	}
	if testbrowser.Eval[bool](b, `document.getElementById("reference").readOnly`) {
		t.Error("the form stays locked after the failed creation")
	}
	n.cut.Store(nil)
	b.Run("send again", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts")))
	offered(t, n, b, lawyer)
}

// TestSendBeforeTheDraftLeftAnswers: the form offers the draft a former
// visit left, once the server has answered for it (the front holds that
// answer); the sender, unaware, fills a new deposit and presses "Envoyer"
// first. The late answer does not put the old draft in the new one's
// place: the new deposit is sent, the old draft stays a draft.
func TestSendBeforeTheDraftLeftAnswers(t *testing.T) {
	n := startNode(t)
	b, lawyer := agentFacingLawyer(t, n)
	old := draftLeft(t, n, lawyer, "RG 26/ANCIEN")
	b.Navigate(n.URL + "/new?draft=" + old)
	b.Run("wait for the draft offered", chromedp.WaitVisible(chromedp.CSS("#resume")))
	h := n.holdRequests(t, http.MethodGet, "/api/v1/deposits/"+old)
	big, _ := tempFile(t, "scelle.bin", 2<<20)
	n.rate.Store(1 << 20)
	fillDeposit(b, n, "avocat@", "RG 26/NOUVEAU", big)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")))
	waitProgress(t, b, 0.05)
	h.release()
	n.rate.Store(0)
	b.Run("wait for the deposit sent, or the old draft offered", chromedp.WaitVisible(chromedp.CSS(".facts, #resume:not([hidden])")))
	if s := b.Text("main"); !strings.Contains(s, "RG 26/NOUVEAU") || strings.Contains(s, "RG 26/ANCIEN") {
		t.Fatalf("the page shows: %s", s)
	}
	if st := stateOf(t, n, old); st != navette.DepositDraft {
		t.Errorf("the old draft is %s, want %s", st, navette.DepositDraft)
	}
}

// TestLateSuggestions: the sender types a few letters, sees the
// suggestions, types one more and presses Enter on the first suggestion
// before the new search is answered (the front holds it). Its late
// answer does not reopen the list, where one more Enter would have added
// a recipient not meant.
func TestLateSuggestions(t *testing.T) {
	n := startNode(t)
	b, _ := agentFacingLawyer(t, n)
	n.user(t, "avocate@avocat.example", "Maître Avocate", navette.RolePartner)
	b.Navigate(n.URL + "/new")
	b.Run("type a few letters",
		chromedp.SendKeys(chromedp.CSS("#recipient-input"), "avoca"),
		chromedp.WaitVisible(chromedp.CSS("#recipient-option-1")),
	)
	h := n.holdRequests(t, http.MethodGet, "/api/v1/recipients")
	b.Run("type one more letter", chromedp.SendKeys(chromedp.CSS("#recipient-input"), "t"))
	// Its search leaves once the typing pauses.
	for deadline := time.Now().Add(10 * time.Second); !slices.ContainsFunc(b.Requests(), func(r string) bool { return strings.HasSuffix(r, "/api/v1/recipients?q=avocat") }); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the search for the letter typed did not leave: %v", b.Requests())
		}
	}
	// Enter is pressed as the listbox hears it: Chromium's key events, as
	// chromedp sends them, would also submit the form.
	const enter = `document.getElementById("recipient-input").dispatchEvent(new KeyboardEvent("keydown", {key: "Enter", bubbles: true, cancelable: true}))`
	b.Run("choose the first suggestion", chromedp.Evaluate[chromedp.Void](enter), chromedp.WaitVisible(chromedp.CSS("#recipients li")))
	h.release()
	// The late answer is in once the browser has its whole response; the
	// page has handled it a few tasks later.
	b.Run("wait for the late answer",
		chromedp.Poll[chromedp.Void](`performance.getEntriesByType("resource").some(function (e) { return /[?]q=avocat$/.test(e.name) && e.responseEnd > 0; })`),
		chromedp.Evaluate[chromedp.Void](`new Promise(function (done) { setTimeout(done, 200); })`, chromedp.EvalAwaitPromise),
	)
	if testbrowser.Eval[bool](b, `!document.getElementById("recipient-options").hidden`) {
		t.Errorf("the suggestions reopen after the choice: %s", b.Text("#recipient-options"))
	}
	b.Run("press Enter again", chromedp.Evaluate[chromedp.Void](enter))
	if got := b.Text("#recipients"); strings.Contains(got, "Avocate") {
		t.Errorf("the recipients: %q, want Maître Avocat alone", got)
	}
}
