package web_test

import (
	"context"
	"encoding/base32"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"navette"
	"navette/auth"
	"navette/internal/testbrowser"
	"navette/totp"
	"navette/web"
)

// sessions are the session secrets of one user of a node: full, and
// stopped at the second factor.
type sessions struct {
	second, full string
}

// usedCodes are the sign-in codes codeSession and node.code have used, by
// node, address and code: two sign-ins of one address within a second
// would otherwise both find the first code in the outbox.
var usedCodes sync.Map

// codeSession signs email in with an e-mailed code, through the sign-in
// service: the session stops at the second factor, or at its enrolment.
func codeSession(t *testing.T, n *node, email string) *auth.Issued {
	t.Helper()
	ctx := context.Background()
	start := time.Now()
	if err := n.app.Auth.RequestCode(ctx, email, "127.0.0.1"); err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\b(\d{4} \d{4})\b`)
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		msgs, err := n.app.Outbox.List(50)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			c := re.FindStringSubmatch(m.Text)
			if m.To.Email != email || m.Kind != navette.NoticeSignInCode || m.Date.Before(start.Add(-time.Second)) || c == nil {
				continue
			}
			if _, used := usedCodes.LoadOrStore(n.URL+" "+email+" "+c[1], true); used {
				continue
			}
			is, err := n.app.Auth.VerifyCode(ctx, email, c[1], "127.0.0.1")
			if err != nil {
				t.Fatalf("%s: %v", email, err)
			}
			return is
		}
	}
	t.Fatalf("no new sign-in code for %s in the outbox", email)
	return nil
}

// signInDirect signs email in through the sign-in service, not the pages:
// an e-mailed code and a TOTP enrolment, then a second sign-in stopped at
// the second factor. The pages of signing in have their own browser tests.
func signInDirect(t *testing.T, n *node, email string) sessions {
	t.Helper()
	full, _ := enrolDirect(t, n, email)
	return sessions{full: full, second: codeSession(t, n, email).Secret}
}

// enrolDirect signs email in for the first time through the sign-in
// service, an e-mailed code and a TOTP enrolment, and returns the secret of
// the full session and the TOTP secret enrolled.
func enrolDirect(t *testing.T, n *node, email string) (string, []byte) {
	t.Helper()
	ctx := context.Background()
	is := codeSession(t, n, email)
	e, err := n.app.Auth.StartEnrolment(ctx, is.Session, is.User)
	if err != nil {
		t.Fatal(err)
	}
	secret, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(e.Secret)
	if err != nil {
		t.Fatal(err)
	}
	full, err := n.app.Auth.FinishEnrolment(ctx, is.Session, is.User, totp.Code(secret, totp.Step(time.Now())))
	if err != nil {
		t.Fatal(err)
	}
	return full.Secret, secret
}

// useSession makes the browser hold secret as its session on origin.
func useSession(t *testing.T, b *testbrowser.Browser, origin, secret string) {
	t.Helper()
	yes := true
	if secret == "" {
		if _, err := chromedp.Call(b.Ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: auth.CookieName, URL: origin + "/"}); err != nil {
			t.Fatal(err)
		}
		return
	}
	_, err := chromedp.Call(b.Ctx, network.SetCookie, network.SetCookieParams{
		Name: auth.CookieName, Value: secret, URL: origin + "/", Path: "/", Secure: &yes, HTTPOnly: &yes, SameSite: network.CookieSameSiteLax,
	})
	if err != nil {
		t.Fatal(err)
	}
}

// sitePage is a page to check, opened with a session (empty: none), and
// the status it answers.
type sitePage struct {
	path    string
	session string
	status  int
}

// themedSite is an adminSite with an auditor and the sessions of each
// role.
type themedSite struct {
	*adminSite
	pages []sitePage
}

// startPagesSite starts a node in theme and lists every page of every
// role on it.
func startPagesSite(t *testing.T, theme string) *themedSite {
	t.Helper()
	s := &themedSite{adminSite: startAdminSite(t, theme)}
	ctx := context.Background()
	auditor := s.n.user(t, "inspection@justice.example", "Inspection générale de la justice", navette.RoleAuditor)
	deps, _, err := s.n.app.Deposits.List(ctx, s.clerk, navette.BoxSent, "", 1)
	if err != nil || len(deps) == 0 {
		t.Fatalf("the seeded deposit: %v", err)
	}
	dep := web.DepositPath(deps[0].ID)
	cs, err := s.n.app.Deposits.Cases(ctx, s.clerk, "")
	if err != nil || len(cs) == 0 {
		t.Fatalf("the seeded case: %v", err)
	}
	partner, clerk := signInDirect(t, s.n, s.partner.Email), signInDirect(t, s.n, s.clerk.Email)
	admin, court := signInDirect(t, s.n, s.admin.Email), signInDirect(t, s.n, s.courtAdmin.Email)
	audit := signInDirect(t, s.n, auditor.Email)
	enrol := codeSession(t, s.n, s.newClerk.Email).Secret
	ok, notFound, forbidden := http.StatusOK, http.StatusNotFound, http.StatusForbidden
	s.pages = []sitePage{
		{"/signin", "", ok},
		{"/accessibilite", "", ok},
		{"/mentions-legales", "", ok},
		{"/donnees-personnelles", "", ok},
		{"/nulle-part", "", notFound},
		{"/signin/enrol", enrol, ok},
		{"/signin/totp", partner.second, ok},
		{"/inbox", partner.full, ok},
		{dep, partner.full, ok},
		{"/account", partner.full, ok},
		{"/sent", clerk.full, ok},
		{"/new", clerk.full, ok},
		{dep, clerk.full, ok},
		{"/cases", clerk.full, ok},
		{web.CasePath(cs[0].ID), clerk.full, ok},
		{"/admin", clerk.full, forbidden},
		{"/admin", admin.full, ok},
		{"/admin/services/" + s.service.ID, admin.full, ok},
		{"/admin/imports", admin.full, ok},
		{"/admin/settings", admin.full, ok},
		{"/admin/stats", admin.full, ok},
		{"/admin/courts", court.full, ok},
		{"/admin/users/" + s.clerk.ID, court.full, ok}, // their sessions listed, each with its button
		{"/audit?q=PARQUET", audit.full, ok},
	}
	return s
}

// TestEveryPage opens every page of every role (sign-in steps, deposit
// lists and pages, cases, account, admin, audit, legal notices, error
// pages) in both themes, at a phone's width (360 px) and a desktop's
// (1280 px), in one browser (a tab per theme): nothing may reach past the
// viewport's right edge, axe-core must find nothing, and in the State
// theme every image and icon the page draws must load from the origin.
// The State theme's node is reached as localhost, the other as 127.0.0.1,
// so that each keeps its own session cookie.
func TestEveryPage(t *testing.T) {
	start := time.Now()
	sites := []*themedSite{startPagesSite(t, ""), startPagesSite(t, web.ThemeDSFR)}
	origins := []string{sites[0].n.URL, strings.Replace(sites[1].n.URL, "://127.0.0.1:", "://localhost:", 1)}
	t.Logf("two nodes and their sessions in %v", time.Since(start))
	b := testbrowser.New(t, origins[0])
	b.Allow(origins[1])
	for i, theme := range []string{"navette", "dsfr"} {
		t.Run(theme, func(t *testing.T) {
			t.Parallel()
			tab := b.Tab(t)
			for _, width := range []int64{360, 1280} {
				tab.Run("viewport", chromedp.EmulateViewport(width, 640))
				for _, p := range sites[i].pages {
					checkPage(t, tab, origins[i], p, fmt.Sprintf("%s (%s, %d px)", p.path, theme, width), theme == "dsfr")
				}
			}
		})
	}
	t.Cleanup(func() { t.Logf("every page in %v", time.Since(start)) })
}

// checkPage opens p at origin and checks it fits the viewport, passes
// axe and, with icons, that its images and icons load.
func checkPage(t *testing.T, b *testbrowser.Browser, origin string, p sitePage, what string, icons bool) {
	t.Helper()
	useSession(t, b, origin, p.session)
	res, err := chromedp.Run(b.Ctx, chromedp.NavigateResponse(origin+p.path))
	if err != nil {
		t.Fatalf("open %s: %v", what, err)
	}
	if res.Status != int64(p.status) {
		t.Errorf("%s: status %d, want %d", what, res.Status, p.status)
	}
	if loc := b.Location(); loc != origin+p.path {
		t.Errorf("%s: landed on %s", what, loc)
	}
	b.Axe(what) // first: it waits for DSFR's script to settle the menu
	b.Fits(what)
	if icons {
		checkIcons(t, b, what)
	}
}

// iconsJS returns the URLs of the images each element and pseudo-element
// draws (backgrounds and masks, DSFR's icons), and the elements with a
// DSFR icon class whose icon draws nothing.
const iconsJS = `(() => {
	const urls = new Set(), broken = [];
	for (const el of document.querySelectorAll("*")) {
		for (const pseudo of [null, "::before", "::after"]) {
			const s = getComputedStyle(el, pseudo);
			for (const v of [s.backgroundImage, s.maskImage, s.webkitMaskImage]) {
				for (const m of (v || "").matchAll(/url\("([^"]+)"\)/g)) {
					if (!m[1].startsWith("data:")) urls.add(m[1]);
				}
			}
		}
		if (/(^|\s)fr-icon-/.test(el.className) && getComputedStyle(el, "::before").maskImage === "none") broken.push(el.outerHTML.slice(0, 120));
	}
	return Promise.all([...urls].map(u => fetch(u).then(r => r.status + " " + u, e => "failed " + u))).then(st => ({status: st, broken}));
})()`

// checkIcons fails t for each image or icon of the current page that does
// not load with 200, or comes from another origin, and for each DSFR icon
// class that draws nothing.
func checkIcons(t *testing.T, b *testbrowser.Browser, what string) {
	t.Helper()
	type result struct {
		Status []string `json:"status"`
		Broken []string `json:"broken"`
	}
	r := testbrowser.Eval[result](b, iconsJS)
	for _, s := range r.Status {
		if !strings.HasPrefix(s, "200 ") {
			t.Errorf("%s: an image or icon does not load: %s", what, s)
		}
	}
	for _, s := range r.Broken {
		t.Errorf("%s: a DSFR icon class draws nothing: %s", what, s)
	}
}
