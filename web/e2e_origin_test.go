package web_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"navette"
	"navette/internal/testbrowser"
)

// TestDownloadFromAnotherSite: a page of another site sends the signed-in
// lawyer's browser to a file of theirs (straight, or through the sign-in
// page's redirect to next), and a page of another port of the same host
// to a deposit's ZIP. Chromium carries the session cookie
// (SameSite=Lax, a top-level navigation) and says where the navigation
// came from (Sec-Fetch-Site cross-site, then same-site): navette shows
// the page that names the file and its deposit, sends nothing and
// records nothing (no download, no opening); pressing its "Télécharger"
// downloads the file, recorded once.
func TestDownloadFromAnotherSite(t *testing.T) {
	n, agent, lawyer := clerkAndLawyer(t)
	data := []byte("%PDF-1.7 procès-verbal d’audition")
	sum := sha256.Sum256(data)
	b := testbrowser.New(t, n.URL)
	signIn(t, n, b, lawyer.Email)
	for _, c := range []struct {
		name, site, host, path, ref, file string
		viaSignIn                         bool
	}{
		// Browsers take localhost and 127.0.0.1 for two sites, and two
		// ports of one host for one site.
		{"cross-site", "cross-site", "localhost", "/files/", "PARQUET 26/0001", "pv.pdf", false},
		{"same-site", "same-site", "127.0.0.1", "/zip", "PARQUET 26/0002", "PARQUET 26_0002.zip", false},
		// navette's own redirect (the sign-in page sends a signed-in
		// person on to next) keeps the navigation cross-site.
		{"through navette's redirect", "cross-site", "localhost", "/files/", "PARQUET 26/0003", "pv.pdf", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			v := n.sendFile(t, agent, lawyer, c.ref, data)
			target := n.URL + "/deposits/" + v.ID + c.path
			if c.path == "/files/" {
				target += v.Files[0].ID
			}
			link, landing := target, target
			if c.viaSignIn {
				link = n.URL + "/signin?next=" + url.QueryEscape(strings.TrimPrefix(target, n.URL))
				landing += "?ask=1" // a sign-in goes on to a download asked for first
			}
			other := linkFrom(t, b, n, c.host, link)
			before := journalState(t, n, v.ID, lawyer)
			b.Navigate(other)
			b.Run("follow the other site's link", chromedp.Click(chromedp.CSS("#go")), chromedp.WaitVisible(chromedp.CSS("#download")))
			if got := b.SentHeader(landing, "Sec-Fetch-Site"); got != c.site {
				t.Errorf("Chromium sent Sec-Fetch-Site %q, want %q", got, c.site)
			}
			if loc := b.Location(); loc != landing {
				t.Errorf("the page is at %s, want %s", loc, landing)
			}
			page := b.Text("main")
			for _, s := range []string{c.ref, c.file, "depuis une autre page"} {
				if !strings.Contains(page, s) {
					t.Errorf("the page lacks %q: %s", s, page)
				}
			}
			b.Axe("the page of a download started elsewhere")
			if after := journalState(t, n, v.ID, lawyer); after != before {
				t.Errorf("following the link recorded %s, had %s", after, before)
			}
			// The button's request (Sec-Fetch-Site same-origin, which the
			// tab's network events do not show for a download) gets the
			// file itself, not the page again.
			got := b.Download(chromedp.Click(chromedp.CSS("#download")))
			if c.path == "/zip" {
				checkZip(t, got, map[string]string{"pv.pdf": hex.EncodeToString(sum[:])})
			} else if s := fileSHA(t, got); s != hex.EncodeToString(sum[:]) {
				t.Errorf("downloaded %s, want %x", s, sum)
			}
			if n := waitDownloads(t, n, v.ID, lawyer, 1); n != 1 {
				t.Errorf("%d downloads recorded, want 1", n)
			}
		})
	}
}

// clerkAndLawyer starts a node with a clerk and a lawyer.
func clerkAndLawyer(t *testing.T) (n *node, clerk, lawyer *navette.User) {
	t.Helper()
	n = startNode(t)
	return n, n.user(t, "greffe@justice.example", "Greffe", navette.RoleAgent), n.user(t, "avocat@avocat.example", "Maître Avocat", navette.RolePartner)
}

// linkFrom starts a page on host (localhost or 127.0.0.1, another port
// than navette's) that links to link with #go, lets b reach it, and
// returns its URL.
func linkFrom(t *testing.T, b *testbrowser.Browser, n *node, host, link string) string {
	t.Helper()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html lang="fr"><title>Courriel</title><a id="go" href="%s">Voir la pièce</a></html>`, html.EscapeString(link))
	}))
	t.Cleanup(other.Close)
	u, _ := url.Parse(other.URL)
	if u.Hostname() == "127.0.0.1" && host == "localhost" {
		other.URL = "http://localhost:" + u.Port()
	}
	if strings.Contains(other.URL, n.URL[strings.LastIndex(n.URL, ":"):]) {
		t.Fatalf("the other site %s is navette's origin", other.URL)
	}
	b.Allow(other.URL)
	return other.URL
}

// TestDownloadFromAnotherSiteSignedOut: another site's link to a file
// leads a signed-out lawyer to navette's sign-in; once signed in, they
// land on the page that names the file (the sign-in's redirect is
// navette's own, same-origin, so the link's origin is lost on the way),
// nothing recorded; its "Télécharger" downloads the file, recorded once.
func TestDownloadFromAnotherSiteSignedOut(t *testing.T) {
	n, agent, lawyer := clerkAndLawyer(t)
	data := []byte("%PDF-1.7 procès-verbal de constat")
	sum := sha256.Sum256(data)
	v := n.sendFile(t, agent, lawyer, "PARQUET 26/0004", data)
	target := n.URL + "/deposits/" + v.ID + "/files/" + v.Files[0].ID
	b := testbrowser.New(t, n.URL)
	other := linkFrom(t, b, n, "localhost", target)
	before := journalState(t, n, v.ID, lawyer)
	b.Navigate(other)
	b.Run("follow the other site's link", chromedp.Click(chromedp.CSS("#go")), chromedp.WaitVisible(chromedp.CSS("#email")))
	signInHere(t, n, b, lawyer.Email)
	b.Run("reach the page that names the file", chromedp.WaitVisible(chromedp.CSS("#download")))
	if loc := b.Location(); loc != target+"?ask=1" {
		t.Errorf("after signing in: at %s, want %s?ask=1", loc, target)
	}
	if page := b.Text("main"); !strings.Contains(page, "pv.pdf") || !strings.Contains(page, "PARQUET 26/0004") {
		t.Errorf("the page does not name the file and its deposit: %s", page)
	}
	if after := journalState(t, n, v.ID, lawyer); after != before {
		t.Errorf("signing in on the way to the file recorded %s, had %s", after, before)
	}
	got := b.Download(chromedp.Click(chromedp.CSS("#download")))
	if s := fileSHA(t, got); s != hex.EncodeToString(sum[:]) {
		t.Errorf("downloaded %s, want %x", s, sum)
	}
	if n := waitDownloads(t, n, v.ID, lawyer, 1); n != 1 {
		t.Errorf("%d downloads recorded, want 1", n)
	}
}

// journalState sums up what the journal and deposit id's recipient record
// say of u's openings and downloads of it.
func journalState(t *testing.T, n *node, id string, u *navette.User) string {
	t.Helper()
	ctx := context.Background()
	d, err := n.app.Meta.Deposit(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	r := d.Recipients[0]
	return fmt.Sprintf("first download %v, first opening %v, %d downloads, %d openings", r.FirstDownloadAt, r.FirstOpenedAt,
		depositEvents(t, n, id, u, navette.EventFileDownloaded), depositEvents(t, n, id, u, navette.EventDepositOpened))
}

// depositEvents counts u's events of type typ of deposit id.
func depositEvents(t *testing.T, n *node, id string, u *navette.User, typ navette.EventType) int {
	t.Helper()
	return countEventsWhere(t, n, func(e navette.Event) bool { return e.Type == typ && e.DepositID == id && e.ActorID == u.ID })
}

// waitDownloads returns the number of u's downloads of deposit id
// journaled once it reaches want (the browser may finish before the
// server journals), or after 10 s.
func waitDownloads(t *testing.T, n *node, id string, u *navette.User, want int) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		got := depositEvents(t, n, id, u, navette.EventFileDownloaded)
		if got >= want || time.Now().After(deadline) {
			return got
		}
	}
}
