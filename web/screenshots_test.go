package web_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/account"
	"navette/internal/testbrowser"
	"navette/web"
)

var screenshots = flag.Bool("screenshots", false, "write PNGs of the main pages to docs/screenshots/")

// TestScreenshots refreshes docs/screenshots/ from a node with sample
// deposits, in a real browser:
//
//	go test ./web -run TestScreenshots -screenshots -count=1
func TestScreenshots(t *testing.T) {
	if !*screenshots {
		t.Skip("run with -screenshots to refresh docs/screenshots/")
	}
	dir := filepath.Join("..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	n := startNode(t)
	ctx := context.Background()
	admin := n.user(t, "admin@justice.example", "Administrateur de la plateforme", navette.RoleAdmin)
	court, err := n.app.Accounts.CreateCourt(ctx, admin, "TJ-AMIENS", "Tribunal judiciaire d'Amiens")
	if err != nil {
		t.Fatal(err)
	}
	agent, err := n.app.Accounts.Create(ctx, account.NewUser{Email: "greffe.correctionnel@tj-amiens.justice.example", Name: "Greffe correctionnel — TJ Amiens", Role: navette.RoleAgent, CourtID: court.ID})
	if err != nil {
		t.Fatal(err)
	}
	n.user(t, "c.leveque@avocat-amiens.example", "Maître Claire Lévêque", navette.RolePartner)
	n.user(t, "p.martin@avocat-amiens.example", "Maître Paul Martin", navette.RolePartner)
	pv, _ := tempFile(t, "PV d'audition — M. X.pdf", 2<<20)
	scelle, _ := tempFile(t, "Scellé n° 4 — vidéosurveillance.mp4", 12<<20)
	b := testbrowser.New(t, n.URL)
	shot := func(name string) {
		t.Helper()
		capture := chromedp.CaptureScreenshot()
		if strings.Contains(name, "phone") {
			capture = chromedp.FullScreenshot(100)
		}
		png, err := chromedp.Run(b.Ctx, capture)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b.Run("viewport", chromedp.EmulateViewport(1280, 860))
	b.Navigate(n.URL + "/signin")
	shot("signin")
	signIn(t, n, b, agent.Email)
	for _, ref := range []string{"PARQUET 26/004512", "RG 26/01877"} {
		n.rate.Store(0)
		fillDeposit(b, n, "leveque", ref, pv)
		b.Run("send", chromedp.Click(chromedp.CSS("#send")), chromedp.WaitVisible(chromedp.CSS(".facts")))
	}
	n.rate.Store(3 << 20)
	fillDeposit(b, n, "martin", "PARQUET 26/004533 — comparution immédiate", pv, scelle)
	b.Run("send", chromedp.Click(chromedp.CSS("#send")))
	waitProgress(t, b, 0.3)
	time.Sleep(300 * time.Millisecond)
	shot("new-deposit")
	n.rate.Store(0)
	b.Run("wait for the deposit to be sent", chromedp.WaitVisible(chromedp.CSS(".facts")))
	shot("deposit")
	b.Run("phone", chromedp.EmulateViewport(360, 640))
	shot("phone-deposit")
	b.Navigate(n.URL + "/sent")
	shot("phone-sent")
	b.Run("desktop", chromedp.EmulateViewport(1280, 860))
	b.Navigate(n.URL + "/sent")
	shot("sent")
	b.Navigate(n.URL + "/deposits/" + navette.NewID())
	shot("not-found")
	b.Navigate(n.URL + "/sent?lang=en")
	shot("sent-en")
	b.Navigate(n.URL + "/sent?lang=fr")

	// The admin pages, as the platform admin, in a browser of their own.
	b = testbrowser.New(t, n.URL)
	b.Run("viewport", chromedp.EmulateViewport(1280, 860))
	signIn(t, n, b, admin.Email)
	b.Navigate(n.URL + "/admin")
	shot("admin")
	b.Navigate(n.URL + "/admin/stats")
	b.Run("wait for the chart", chromedp.Poll[chromedp.Void](`document.querySelector("svg.chart")`))
	shot("admin-stats")
	flow, err := filepath.Abs(filepath.Join("..", "cli", "demo-lawyers.csv"))
	if err != nil {
		t.Fatal(err)
	}
	b.Navigate(n.URL + "/admin/imports")
	b.Run("preview the demo's lawyers",
		chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{flow}),
		chromedp.Evaluate[chromedp.Void](`document.documentElement.dataset.left = "1"`),
		chromedp.Click(chromedp.CSS(`section[aria-labelledby="upload-title"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`html:not([data-left]) #counts`)),
	)
	shot("admin-imports")
	b.Navigate(n.URL + "/admin/settings")
	shot("admin-settings")

	// A recipient's deposit page in the State theme, on a desktop and on
	// a phone.
	s := startAdminSite(t, web.ThemeDSFR)
	deps, _, err := s.n.app.Deposits.List(ctx, s.clerk, navette.BoxSent, "", 1)
	if err != nil || len(deps) == 0 {
		t.Fatalf("the seeded deposit: %v", err)
	}
	b = testbrowser.New(t, s.n.URL)
	useSession(t, b, s.n.URL, signInDirect(t, s.n, s.partner.Email).full)
	b.Run("viewport", chromedp.EmulateViewport(1280, 860))
	b.Navigate(s.n.URL + web.DepositPath(deps[0].ID))
	shot("dsfr-deposit")
	b.Run("phone", chromedp.EmulateViewport(360, 640))
	shot("dsfr-phone-deposit")
}
