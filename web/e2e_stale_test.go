package web_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/internal/testbrowser"
	"navette/totp"
)

// againDirect signs email, enrolled with the TOTP secret, in again through
// the sign-in service and returns the secret of the new full session: the
// person signing in again in another tab.
func againDirect(t *testing.T, n *node, email string, secret []byte) string {
	t.Helper()
	is := codeSession(t, n, email)
	full, err := n.app.Auth.SecondFactor(context.Background(), is.Session, is.User, totp.Code(secret, totp.Step(time.Now())+1))
	if err != nil {
		t.Fatal(err)
	}
	return full.Secret
}

// staleForm starts a node, signs its agent in and fills the new-deposit
// form for its lawyer with ref and one file of size bytes, and returns the
// agent's TOTP secret.
func staleForm(t *testing.T, ref string, size int) (*node, *testbrowser.Browser, *navette.User, []byte) {
	t.Helper()
	n := startNode(t)
	agent := n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	lawyer := n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	full, secret := enrolDirect(t, n, agent.Email)
	b := testbrowser.New(t, n.URL)
	useSession(t, b, n.URL, full)
	f, _ := tempFile(t, "piece.pdf", size)
	fillDeposit(b, n, "avocat@", ref, f)
	return n, b, lawyer, secret
}

// TestSendAfterSigningInAgain: the person signs in again in another tab
// while the form is open, which makes the page's CSRF token the session's
// before. "Envoyer" fetches the token of the session now, still theirs,
// and sends the deposit.
func TestSendAfterSigningInAgain(t *testing.T) {
	n, b, lawyer, secret := staleForm(t, "RG 26/JETON", 10<<10)
	useSession(t, b, n.URL, againDirect(t, n, "greffe@justice.example", secret))
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts, #problem")))
	if strings.Contains(b.Location(), "/new") {
		t.Fatalf("the page stays on the form, saying %q", b.Text("#problem"))
	}
	offered(t, n, b, lawyer)
}

// TestSendAfterAnotherSignedIn: another person signs in in another tab
// while the form is open. "Envoyer" does not act as them: the page says
// another person signed in, and stops; nobody's draft is made.
func TestSendAfterAnotherSignedIn(t *testing.T) {
	n, b, _, _ := staleForm(t, "RG 26/AUTRE", 10<<10)
	other := n.user(t, "collegue@justice.example", "Collègue", navette.RoleAgent)
	otherFull, _ := enrolDirect(t, n, other.Email)
	useSession(t, b, n.URL, otherFull)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS("#problem")))
	if s := b.Text("#problem"); !strings.Contains(s, "Une autre personne s’est connectée") {
		t.Errorf("the page says %q, not that another person signed in", s)
	}
	if !testbrowser.Eval[bool](b, `document.getElementById("send").disabled`) {
		t.Error("the page still offers to send")
	}
	if left := agentDrafts(t, n); len(left) != 0 {
		t.Errorf("the agent's drafts: %q, want none", left)
	}
	vs, err := n.app.Deposits.Drafts(context.Background(), other)
	if err != nil || len(vs) != 0 {
		t.Errorf("the other person's drafts: %v, %v, want none", vs, err)
	}
}

// TestUploadAfterSigningInAgain: the person signs in again in another tab
// while a file is on its way. The upload's next request, refused for the
// token of the session before, is sent again with the session's token, and
// the deposit is sent.
func TestUploadAfterSigningInAgain(t *testing.T) {
	n, b, lawyer, secret := staleForm(t, "RG 26/ENCOURS", 12<<20)
	n.rate.Store(4 << 20)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")))
	waitProgress(t, b, 0.05)
	useSession(t, b, n.URL, againDirect(t, n, "greffe@justice.example", secret))
	n.rate.Store(0)
	b.Run("wait for the deposit sent", chromedp.WaitVisible(chromedp.CSS(".facts, #file-list .is-error")))
	if strings.Contains(b.Location(), "/new") {
		t.Fatalf("the page stays on the form, saying %q", b.Text("#file-list"))
	}
	offered(t, n, b, lawyer)
}

// TestDiscardAfterSigningInAgain: the person signs in again in another tab
// while the new-deposit page offers a draft left over. "Abandonner ce
// brouillon" fetches the token of the session now, still theirs, and
// discards it, where the page said the discard failed.
func TestDiscardAfterSigningInAgain(t *testing.T) {
	n := startNode(t)
	n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	lawyer := n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	full, secret := enrolDirect(t, n, "greffe@justice.example")
	b := testbrowser.New(t, n.URL)
	useSession(t, b, n.URL, full)
	left := draftLeft(t, n, lawyer, "RG 26/ABANDON")
	b.Navigate(n.URL + "/new?draft=" + left)
	b.Run("wait for the draft offered", chromedp.WaitVisible(chromedp.CSS("#resume button")))
	discard := func(b *testbrowser.Browser) {
		b.Run("discard the draft",
			chromedp.Click(chromedp.CSS("#resume button")),
			chromedp.WaitVisible(chromedp.CSS("#problem:not([hidden]), #recipient-input:not([disabled])")),
		)
	}
	useSession(t, b, n.URL, againDirect(t, n, "greffe@justice.example", secret))
	discard(b)
	if st := stateOf(t, n, left); st != navette.DepositRevoked {
		t.Errorf("the draft is %s after its discard, want %s; the page says %q", st, navette.DepositRevoked, b.Text("#problem"))
	}

	// Another person signed in meanwhile: the page does not act as them,
	// and says so; the draft stays.
	kept := draftLeft(t, n, lawyer, "RG 26/GARDE")
	b.Navigate(n.URL + "/new?draft=" + kept)
	b.Run("wait for the draft offered", chromedp.WaitVisible(chromedp.CSS("#resume button")))
	other := n.user(t, "collegue@justice.example", "Collègue", navette.RoleAgent)
	otherFull, _ := enrolDirect(t, n, other.Email)
	useSession(t, b, n.URL, otherFull)
	discard(b)
	if s := b.Text("#problem"); !strings.Contains(s, "Une autre personne s’est connectée") {
		t.Errorf("the page says %q, not that another person signed in", s)
	}
	if st := stateOf(t, n, kept); st != navette.DepositDraft {
		t.Errorf("the draft is %s after a discard in another person's session, want %s", st, navette.DepositDraft)
	}
}
