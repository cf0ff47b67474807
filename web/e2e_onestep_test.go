package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/app"
	"navette/deposit"
	"navette/internal/testbrowser"
	"navette/internal/testclamd"
)

// dropped is a file made in the page and dropped on the form: size bytes
// of the xorshift32 stream from seed.
type dropped struct {
	name string
	seed uint32
	size int
}

// xorshift returns the bytes the page makes for f.
func (f dropped) bytes() []byte {
	out := make([]byte, f.size)
	x := f.seed
	for i := range out {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		out[i] = byte(x)
	}
	return out
}

// dropFiles drops files on the form's drop zone, as a drag from the
// desktop does, and returns their SHA-256 in order.
func dropFiles(t *testing.T, b *testbrowser.Browser, files ...dropped) []string {
	t.Helper()
	var sums []string
	var specs []string
	for _, f := range files {
		sum := sha256.Sum256(f.bytes())
		sums = append(sums, hex.EncodeToString(sum[:]))
		name, _ := json.Marshal(f.name)
		specs = append(specs, fmt.Sprintf("[%s,%d,%d]", name, f.seed, f.size))
	}
	js := `(function (specs) {
  var dt = new DataTransfer();
  specs.forEach(function (s) {
    var a = new Uint8Array(s[2]), x = s[1] >>> 0;
    for (var i = 0; i < a.length; i++) { x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0; a[i] = x & 255; }
    dt.items.add(new File([a], s[0]));
  });
  var z = document.getElementById('dropzone');
  z.dispatchEvent(new DragEvent('dragenter', {bubbles: true, cancelable: true, dataTransfer: dt}));
  z.dispatchEvent(new DragEvent('drop', {bubbles: true, cancelable: true, dataTransfer: dt}));
  return document.querySelectorAll('#file-list li').length;
})([` + strings.Join(specs, ",") + `])`
	if got := testbrowser.Eval[int](b, js); got != len(files) {
		t.Fatalf("%d files listed after the drop, want %d", got, len(files))
	}
	return sums
}

// TestDraftsInBrowser: a clerk leaves the page while sending; the drafts
// page lists that draft and another one; they discard the other and
// resume the first from the list: once its file is chosen again, it is
// sent on its own.
func TestDraftsInBrowser(t *testing.T) {
	n := startNode(t)
	agent := n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	lawyer := n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	ctx := context.Background()
	other, err := n.app.Deposits.Create(ctx, agent, deposit.Draft{Recipients: []string{lawyer.Email}, Reference: "RG 26/OUBLI"})
	if err != nil {
		t.Fatal(err)
	}
	big, sum := tempFile(t, "scelle.bin", 12<<20)
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, agent.Email)
	n.rate.Store(4 << 20)
	fillDeposit(b, n, "avocat@", "RG 26/LONG", big)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")))
	waitProgress(t, b, 0.2)

	b.Navigate(n.URL + "/sent")
	b.Run("go to the drafts", chromedp.Click(chromedp.CSS("#drafts-link")), chromedp.WaitVisible(chromedp.CSS("#drafts")))
	b.Axe("/drafts")
	page := b.Text("#drafts")
	if !strings.Contains(page, "RG 26/LONG") || !strings.Contains(page, "RG 26/OUBLI") || !strings.Contains(page, "0 sur 1") {
		t.Errorf("the drafts: %s", page)
	}
	b.Run("discard the other draft",
		chromedp.Click(chromedp.CSS(`form[action="/deposits/`+other.ID+`/discard"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`[role="status"]`)),
	)
	if page := b.Text("main"); !strings.Contains(page, "Le brouillon est abandonné") || strings.Contains(page, "RG 26/OUBLI") {
		t.Errorf("after the discard: %s", page)
	}
	if d, err := n.app.Meta.Deposit(ctx, other.ID); err != nil || d.State != navette.DepositRevoked {
		t.Errorf("the discarded draft: %+v, %v", d, err)
	}

	b.Run("resume the draft", chromedp.Click(chromedp.CSS(`a[href^="/new?draft="]`)), chromedp.WaitVisible(chromedp.CSS("#resume")))
	b.Axe("/new?draft= (resume)")
	if s := b.Text("#resume"); !strings.Contains(s, "RG 26/LONG") || !strings.Contains(s, "il partira de lui-même") {
		t.Errorf("the resume message: %q", s)
	}
	n.rate.Store(0)
	b.Run("choose the file again", chromedp.SetUploadFiles(chromedp.CSS("#files"), []string{big}), chromedp.WaitVisible(chromedp.CSS(".facts")))
	id := depositID(t, b.Location())
	v, err := n.app.Deposits.Get(ctx, lawyer, id)
	if err != nil || v.State != navette.DepositAvailable || len(v.Files) != 1 || hex.EncodeToString(v.Files[0].SHA256) != sum {
		t.Fatalf("the resumed deposit as its recipient sees it: %+v, %v", v, err)
	}
	b.Navigate(n.URL + "/sent")
	if testbrowser.Eval[bool](b, `!!document.getElementById("drafts-link")`) {
		t.Error("the sent page still shows drafts")
	}
}

// TestSendWhileChecking: with the antivirus down (clamd not started), the
// files stay checking; "Envoyer" submits all the same, and the deposit
// waits for its verdict, which its page tells the sender, unseen by its
// recipient.
func TestSendWhileChecking(t *testing.T) {
	n := startWith(t, func(c *app.Config) {
		c.Clamd = "unix:" + filepath.Join(t.TempDir(), "clamd.sock")
		c.CheckInterval = time.Hour
	})
	b, lawyer := agentFacingLawyer(t, n)
	f, _ := tempFile(t, "piece.pdf", 200<<10)
	fillDeposit(b, n, "avocat@", "RG 26/AV", f)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts")))
	id := depositID(t, b.Location())
	page := b.Text("main")
	for _, s := range []string{"dès que l’antivirus aura reconnu ses fichiers sains", "L’antivirus analyse les fichiers"} {
		if !strings.Contains(page, s) {
			t.Errorf("the sender's page lacks %q: %s", s, page)
		}
	}
	b.Axe("/deposits/{id} (checking)")
	if d, err := n.app.Meta.Deposit(context.Background(), id); err != nil || d.State != navette.DepositChecking {
		t.Errorf("the deposit: %+v, %v", d, err)
	}
	if _, err := n.app.Deposits.Get(context.Background(), lawyer, id); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("the lawyer gets a deposit still checking: %v", err)
	}
}

// TestSendRejectedFile: with clamd running, one of two files holds the
// EICAR test signature. "Envoyer" uploads both; the submission is refused
// naming it, the page marks it refused; once it is removed, "Envoyer"
// sends the clean one, even if the removed file's deletion is slower than
// the click (the front holds it until a submission is answered, or 3 s):
// the submission waits for it.
func TestSendRejectedFile(t *testing.T) {
	srv := testclamd.New(t, testclamd.Options{})
	n := startWith(t, func(c *app.Config) { c.Clamd = srv.URL })
	agent := n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	lawyer := n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	clean, sum := tempFile(t, "piece.pdf", 100<<10)
	infected := filepath.Join(t.TempDir(), "virus.txt")
	if err := os.WriteFile(infected, []byte(testclamd.EICAR), 0o600); err != nil {
		t.Fatal(err)
	}
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, agent.Email)
	fillDeposit(b, n, "avocat@", "RG 26/VIRUS", clean, infected)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS("#problem")), chromedp.WaitVisible(chromedp.CSS("#file-list li.is-error")))
	if p := b.Text("#problem"); !strings.Contains(p, "virus.txt") {
		t.Errorf("the problem does not name the file: %q", p)
	}
	if s := b.Text("#file-list li.is-error"); !strings.Contains(s, "virus.txt") || !strings.Contains(s, "Refusé") {
		t.Errorf("the refused file: %q", s)
	}
	b.Axe("/new (refused file)")
	n.holdDeletes.Store(newHold())
	b.Run("remove the refused file and send again",
		chromedp.Click(chromedp.CSS("#file-list li.is-error button")),
		chromedp.WaitNotPresent(chromedp.CSS("#file-list li.is-error")),
		chromedp.Click(chromedp.CSS("#send")),
		chromedp.WaitVisible(chromedp.CSS(".facts")),
	)
	id := depositID(t, b.Location())
	v, err := n.app.Deposits.Get(context.Background(), lawyer, id)
	if err != nil || v.State != navette.DepositAvailable {
		t.Fatalf("the deposit as its recipient sees it: %+v, %v", v, err)
	}
	var offered []string
	for _, f := range v.Files {
		if f.State == navette.FileAvailable {
			offered = append(offered, f.Name+" "+hex.EncodeToString(f.SHA256))
		}
	}
	if len(offered) != 1 || offered[0] != "piece.pdf "+sum {
		t.Errorf("files offered %v, want piece.pdf %s", offered, sum)
	}
}

// TestRefusedRecipientInFrench: a recipient chosen in the form loses their
// access before "Envoyer"; the API refuses the deposit in English, and the
// form says why in French, naming the address, as a page of the web would.
func TestRefusedRecipientInFrench(t *testing.T) {
	n := startNode(t)
	b, lawyer := agentFacingLawyer(t, n)
	f, _ := tempFile(t, "piece.pdf", 10<<10)
	fillDeposit(b, n, "avocat@", "RG 26/REFUS", f)
	err := n.app.Meta.UpdateUser(context.Background(), lawyer.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Disabled = true
		return nil, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS("#problem")))
	want := "« avocat@avocat.example » n’a plus accès à la plateforme et ne peut pas recevoir de dépôt."
	if p := b.Text("#problem"); !strings.Contains(p, want) || strings.Contains(p, "recipient") {
		t.Errorf("the problem: %q, want %q", p, want)
	}
}

// agentFacingLawyer adds an agent and a lawyer to n, and signs the agent
// in, in a browser of their own.
func agentFacingLawyer(t *testing.T, n *node) (*testbrowser.Browser, *navette.User) {
	t.Helper()
	agent := n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent)
	lawyer := n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, agent.Email)
	return b, lawyer
}

// TestUploadRefusalInFrench: the storage has no room (its reserve is the
// whole disk), so the upload API refuses each file (507) in English; the
// form says so at once in French on the file, as a page of the web would,
// and never in English.
func TestUploadRefusalInFrench(t *testing.T) {
	n := startWith(t, func(c *app.Config) { c.MinFree = "100%" })
	b, _ := agentFacingLawyer(t, n)
	f, _ := tempFile(t, "piece.pdf", 10<<10)
	fillDeposit(b, n, "avocat@", "RG 26/PLEIN", f)
	want := "La plateforme n’a pas la place pour un fichier de"
	b.Run("send", chromedp.Click(chromedp.CSS("#send")),
		chromedp.Poll[chromedp.Void](`(function () { var s = document.querySelector('#file-list li.is-error .status'); return s && s.textContent.indexOf('`+want+`') >= 0; })()`))
	if s := b.Text("#file-list li.is-error"); !strings.Contains(s, want) || strings.Contains(s, "room") {
		t.Errorf("the refused file says %q, want %q", s, want)
	}
}
