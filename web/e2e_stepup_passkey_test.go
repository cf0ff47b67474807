package web_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/app"
	"navette/app/apptest"
	"navette/internal/testbrowser"
)

// TestPasskeyStepUpResumes: a form sent by a stale session asks for a
// step-up; given with a passkey, it brings back the resume page with the
// form filled as it was sent, as a TOTP step-up does, and nothing is saved
// until the person presses "Continuer".
func TestPasskeyStepUpResumes(t *testing.T) {
	clock := &aheadClock{}
	port := freePort(t)
	public := fmt.Sprintf("http://localhost:%d", port)
	a := apptest.Start(t, clock, func(c *app.Config) {
		c.Addr = fmt.Sprintf("127.0.0.1:%d", port)
		c.PublicURL = public
		c.StaffCodes = true
		quickAnswers(c)
	})
	n := &node{app: a, URL: public}
	admin := n.user(t, "admin-cle@justice.example", "Admin Clé", navette.RoleAdmin)
	b := testbrowser.New(t, n.URL)
	virtualAuthenticator(t, b)
	signIn(t, n, b, admin.Email)
	b.Navigate(n.URL + "/account")
	b.Run("add a passkey",
		chromedp.SendKeys(chromedp.CSS("#passkey-name"), "Clé du bureau"),
		chromedp.Click(chromedp.CSS("#passkey-start")),
		chromedp.WaitVisible(chromedp.CSS("#passkeys .passkey-name")),
	)
	ctx := context.Background()
	before, err := n.app.Deposits.CurrentLimits(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.MaxFiles == 17 {
		t.Fatal("the limit to set is the current one")
	}

	clock.Advance(6 * time.Minute)
	b.Navigate(n.URL + "/admin/settings")
	submitAndWait(b, "save the settings with a stale session", "#stepup-passkey",
		chromedp.Clear(chromedp.CSS("#max_files")),
		chromedp.SendKeys(chromedp.CSS("#max_files"), "17"),
		chromedp.Click(chromedp.CSS(`main form button[type="submit"]`)),
	)
	resume := `main form[action="/admin/settings"] button[type="submit"]`
	submitAndWait(b, "step up with the passkey", resume, chromedp.Click(chromedp.CSS("#stepup-passkey")))
	if loc := b.Location(); !strings.HasSuffix(loc, "/account/step-up/resume") {
		t.Errorf("after the passkey step-up: %s", loc)
	}
	if got := testbrowser.Eval[string](b, `document.querySelector('main form[action="/admin/settings"] input[name="max_files"]').value`); got != "17" {
		t.Errorf("the resumed form carries max_files=%q, want 17", got)
	}
	if got := testbrowser.Eval[int](b, `document.querySelectorAll('main form input[name="rf.csrf"], main form input[name="csrf"]').length`); got != 1 {
		t.Errorf("the resumed form has %d CSRF fields, want the session's one", got)
	}
	b.Axe("/account/step-up/resume")
	if now, _ := n.app.Deposits.CurrentLimits(ctx); now.MaxFiles != before.MaxFiles {
		t.Fatalf("the settings were saved before the person pressed Continuer: %+v", now)
	}
	submitAndWait(b, "continue", `[role="status"]`, chromedp.Click(chromedp.CSS(resume)))
	after, err := n.app.Deposits.CurrentLimits(ctx)
	if err != nil || after.MaxFiles != 17 {
		t.Errorf("limits after Continuer: %+v, %v", after, err)
	}
	if s := countEvents(t, n, navette.EventSteppedUp); s != 1 {
		t.Errorf("%d session.stepped_up events, want 1", s)
	}
}
