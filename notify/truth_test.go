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

// TestRestoredAccessSaysTokensStayRevoked: a person whose access comes
// back reads that the API tokens revoked with it stay revoked (the
// revocation notice told them their tokens stopped working; an integration
// would wait in vain).
func TestRestoredAccessSaysTokensStayRevoked(t *testing.T) {
	for lang, want := range map[string]string{navette.LangFrench: "jetons d’accès à l’API, révoqués avec votre", navette.LangEnglish: "API tokens, revoked with your access, stay revoked"} {
		n := &navette.Notice{ID: navette.NewID(), Kind: navette.NoticeAccessRestored, UserID: navette.NewID(), CreatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
		m, err := renderer(t, false).Render(n, &navette.User{Email: "marie.lefevre@avocat.example", Lang: lang}, &notify.Data{})
		if err != nil {
			t.Fatal(err)
		}
		for part, body := range map[string]string{"text": m.Text, "html": m.HTML} {
			if !strings.Contains(strings.Join(strings.Fields(body), " "), want) {
				t.Errorf("%s %s does not say the tokens stay revoked:\n%s", lang, part, body)
			}
		}
	}
}
