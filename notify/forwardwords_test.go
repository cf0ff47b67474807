package notify_test

import (
	"strings"
	"testing"
	"time"

	"navette"
	"navette/notify"
)

// TestForwardedNoticeSaysNoMoreThanItKnows: the sender of a deposit
// forwarded to partners (--forward-to-partners) reads to whom, never that
// it stayed within the ministry, in both languages and both bodies.
func TestForwardedNoticeSaysNoMoreThanItKnows(t *testing.T) {
	for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
		n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeForwarded, UserID: navette.NewID(), DepositID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		d := sample()
		d.ForwardedTo = []notify.Person{{Name: "Stéphane Durand", Email: "stephane.durand@avocat.example"}}
		m, err := renderer(t, false).Render(n, &navette.User{Email: "bernard.roux@expert.example", Lang: lang}, d)
		if err != nil {
			t.Fatal(err)
		}
		for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
			if !strings.Contains(body, "stephane.durand@avocat.example") {
				t.Errorf("%s %s: to whom missing:\n%s", lang, part, body)
			}
			for _, claim := range []string{"au sein du ministère", "within the ministry"} {
				if strings.Contains(body, claim) {
					t.Errorf("%s %s says %q of a forward to a lawyer:\n%s", lang, part, claim, body)
				}
			}
		}
	}
}
