package app_test

import (
	"strings"
	"testing"
	"time"

	"navette"
	"navette/notify"
)

// TestRequestFailedMailInFrench: the e-mail telling a requester that their
// approved request failed gives the service's error in French to a French
// reader, as the requests page does, and as is to an English one.
func TestRequestFailedMailInFrench(t *testing.T) {
	e := newEnv(t)
	const msg = "This agent is a member of the service already."
	n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeRequestFailed, UserID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
	d := &notify.Data{Request: &notify.Request{ID: navette.NewID(), Action: string(navette.ActionAddMember), Error: msg}}
	for _, c := range []struct{ lang, want, not string }{
		{navette.LangFrench, "Cette personne est déjà membre de ce service.", msg},
		{"", "Cette personne est déjà membre de ce service.", msg},
		{navette.LangEnglish, msg, "Cette personne"},
	} {
		to := &navette.User{Email: "chef.greffe@justice.example", Name: "Chef de greffe", Lang: c.lang}
		m, err := e.app.Worker.Renderer.Render(n, to, d)
		if err != nil {
			t.Fatalf("Render(%q): %v", c.lang, err)
		}
		for _, body := range []string{m.Text, m.HTML} {
			if !strings.Contains(body, c.want) || strings.Contains(body, c.not) {
				t.Errorf("the mail in %q does not give the error as %q:\n%s", c.lang, c.want, body)
			}
		}
	}
}
