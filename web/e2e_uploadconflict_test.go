package web_test

import (
	"context"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"navette"
)

// TestUploadConflictsInBrowser: what the new-deposit form makes of the
// refusals of an upload for a conflict, in the server's words. An offset
// that is not the server's (409) is tus's own resumption: retried at once
// and unseen, the deposit is sent; its problem type says so, whatever the
// words of its detail (the server's, or reworded). Another connection that took the upload
// over (409) is said at once, in French, and not fought with retries. An
// upload another request holds (423) is retried twice, then said in
// French; never after a minute of silent retries.
func TestUploadConflictsInBrowser(t *testing.T) {
	n := startNode(t)
	b, lawyer := agentFacingLawyer(t, n)

	for _, detail := range []string{"The upload is at offset 0, not 65536.", "L’envoi est ailleurs."} {
		once := &refusal{status: http.StatusConflict, detail: detail, typ: navette.ProblemUploadOffset}
		once.left.Store(1)
		n.refuse.Store(once)
		before := len(n.patchOffsets())
		f, sum := tempFile(t, "decale.pdf", 100<<10)
		fillDeposit(b, n, "avocat@", "RG 26/DECALE", f)
		b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts")))
		v, err := n.app.Deposits.Get(context.Background(), lawyer, depositID(t, b.Location()))
		if err != nil || v.State != navette.DepositAvailable || len(v.Files) != 1 || hex.EncodeToString(v.Files[0].SHA256) != sum {
			t.Fatalf("%q: the deposit sent after an offset conflict: %+v, %v", detail, v, err)
		}
		if p := n.patchOffsets()[before:]; len(p) != 2 {
			t.Errorf("%q: PATCH offsets %v, want the refused one and its retry", detail, p)
		}
	}

	const taken = "Ce fichier est déjà en cours d’envoi par une autre connexion ; réessayez dans un instant."
	for _, tc := range []struct {
		status  int
		detail  string
		patches int
	}{
		{http.StatusConflict, "Another request is writing this upload; retry with HEAD to find the offset.", 1},
		{http.StatusLocked, "file currently locked", 3},
	} {
		// The form offers the draft a refusal left; this case starts anew.
		b.Run("forget the last draft", chromedp.Evaluate[chromedp.Void](`localStorage.clear()`))
		n.refuse.Store(&refusal{status: tc.status, detail: tc.detail, always: true})
		before := len(n.patchOffsets())
		f, _ := tempFile(t, "repris.pdf", 100<<10)
		fillDeposit(b, n, "avocat@", "RG 26/REPRIS", f)
		b.Run("send", chromedp.Click(chromedp.CSS("#send")),
			chromedp.Poll[chromedp.Void](`(function () { var s = document.querySelector('#file-list li.is-error .status'); return s && s.textContent.indexOf('`+taken+`') >= 0; })()`))
		if s := b.Text("#file-list li.is-error"); !strings.Contains(s, taken) || strings.Contains(s, "request") || strings.Contains(s, "locked") {
			t.Errorf("%d: the refused file says %q, want %q", tc.status, s, taken)
		}
		if got := len(n.patchOffsets()) - before; got != tc.patches {
			t.Errorf("%d: %d PATCH sent, want %d", tc.status, got, tc.patches)
		}
	}
}
