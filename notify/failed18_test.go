package notify_test

import (
	"strings"
	"testing"
	"time"

	"navette"
	"navette/notify"
)

// TestRequestFailedErrorText: a request_failed message gives the error
// through Renderer.Errors in the reader's language, on one line whatever
// Errors answers, and as is without Errors. (Errors here stands for the
// web's catalogue, which notify does not import; app's
// TestRequestFailedMailInFrench runs the real one.)
func TestRequestFailedErrorText(t *testing.T) {
	const msg = "This agent is a member of the service already."
	n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeRequestFailed, UserID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	d := &notify.Data{Request: &notify.Request{ID: navette.NewID(), Action: string(navette.ActionAddMember), Error: msg}}
	errs := func(lang, m string) string { return "[" + lang + "] " + m + "\r\nFaux : lien" }
	for _, c := range []struct {
		name, lang string
		errors     func(lang, msg string) string
		want       string
	}{
		{"French", navette.LangFrench, errs, "[fr] " + msg + " Faux : lien"},
		{"no language", "", errs, "[fr] " + msg + " Faux : lien"},
		{"English", navette.LangEnglish, errs, "[en] " + msg + " Faux : lien"},
		{"no Errors", navette.LangFrench, nil, msg},
	} {
		r := renderer(t, false)
		r.Errors = c.errors
		m, err := r.Render(n, &navette.User{Email: "chef.greffe@justice.example", Name: "Chef", Lang: c.lang}, d)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !strings.Contains(m.Text, c.want) || !strings.Contains(m.HTML, c.want) {
			t.Errorf("%s: the error is not given as %q:\n%s", c.name, c.want, m.Text)
		}
	}
}
