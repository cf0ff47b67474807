package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestCodePageSaysWhatIfNothingCame: the page that asks for the e-mailed
// code says what to do when none arrives, the hourly allowance included:
// past it, the page still read "un code vient d’y être envoyé" and nothing
// came, with nothing to tell the person why.
func TestCodePageSaysWhatIfNothingCame(t *testing.T) {
	f := newFixture(t, "")
	for lang, want := range map[string]string{
		"fr": "Rien reçu ? Regardez dans le courrier indésirable. Une adresse reçoit au plus 5 codes par heure : au-delà, attendez avant d’en redemander un.",
		"en": "Nothing came? Look in the junk mail. An address gets at most 5 codes an hour: past that, wait before asking again.",
	} {
		w := f.post(t, nil, "/signin/code?lang="+lang, "email="+f.lawyer.Email)
		if body := w.Body.String(); w.Code != http.StatusOK || !strings.Contains(body, want) {
			t.Errorf("%s: %d, the code page does not say %q", lang, w.Code, want)
		}
	}
}
