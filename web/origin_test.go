package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/internal/httpfile"
)

// TestStartedElsewhere is the table of which downloads are asked for
// again: by Sec-Fetch-Site, else by the Referer's origin.
func TestStartedElsewhere(t *testing.T) {
	const public = "https://navette.example"
	for _, c := range []struct {
		site, referer string
		want          bool
	}{
		{site: "cross-site", want: true},
		{site: "cross-site", referer: "https://navette.example/deposits/x", want: true}, // the header decides
		{site: "same-site", want: true},
		{site: "same-origin"},
		{site: "same-origin", referer: "https://mail.example/"},
		{site: "none"},
		{site: "unknown-value", want: true},
		{referer: "https://mail.example/inbox", want: true},
		{referer: "https://navette.example.evil.example/", want: true},
		{referer: "http://navette.example/deposits/x"}, // the host it was sent to
		{referer: "https://navette.example/deposits/x"},
		{referer: "https://NAVETTE.example:443x/", want: true},
		{referer: "not a url", want: true},
		{}, // cannot tell: served as before
	} {
		r := httptest.NewRequest(http.MethodGet, "http://navette.example/deposits/x/files/y", nil)
		if c.site != "" {
			r.Header.Set("Sec-Fetch-Site", c.site)
		}
		if c.referer != "" {
			r.Header.Set("Referer", c.referer)
		}
		if got := httpfile.StartedElsewhere(r, public); got != c.want {
			t.Errorf("Sec-Fetch-Site %q, Referer %q: %v, want %v", c.site, c.referer, got, c.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "http://10.0.0.1:8080/deposits/x/files/y", nil)
	r.Header.Set("Referer", "https://navette.example/deposits/x")
	if httpfile.StartedElsewhere(r, public) {
		t.Error("a Referer of the public URL, behind a proxy that does not keep the host, is taken for another site's")
	}
}

// TestDownloadStartedElsewhere asks for a file, a deposit's ZIP and a
// case's ZIP with each header a browser may send, over plain HTTP: those
// started from another site get the page that names them, with nothing
// sent nor recorded; the others are served as before.
func TestDownloadStartedElsewhere(t *testing.T) {
	f := newFixture(t, "")
	f.withCaseKeys(t)
	f.h.PublicURL = "https://navette.example"
	v := f.deposit(t, "RG 26/777", map[string][]byte{"pièce.pdf": []byte("%PDF-1.7 pièce")})
	fileURL := "/deposits/" + v.ID + "/files/" + v.Files[0].ID
	for _, c := range []struct {
		name, method, target string
		headers              map[string]string
		asked                bool
	}{
		{"cross-site", "GET", fileURL, map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"same-site", "GET", fileURL, map[string]string{"Sec-Fetch-Site": "same-site"}, true},
		{"foreign referer", "GET", fileURL, map[string]string{"Referer": "https://mail.example/inbox"}, true},
		{"cross-site head", "HEAD", fileURL, map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"cross-site zip", "GET", "/deposits/" + v.ID + "/zip", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"cross-site case zip", "GET", CasePath(v.CaseID) + "/zip", map[string]string{"Sec-Fetch-Site": "cross-site"}, true},
		{"language switch", "GET", fileURL + "?lang=en", map[string]string{"Sec-Fetch-Site": "same-origin"}, true},
		{"same-origin head", "HEAD", fileURL, map[string]string{"Sec-Fetch-Site": "same-origin"}, false},
		{"same-origin", "GET", fileURL, map[string]string{"Sec-Fetch-Site": "same-origin"}, false},
		{"none", "GET", fileURL, map[string]string{"Sec-Fetch-Site": "none"}, false},
		{"own referer", "GET", fileURL, map[string]string{"Referer": "https://navette.example" + DepositPath(v.ID)}, false},
		{"no header", "GET", fileURL, nil, false},
	} {
		before := downloadState(t, f, v.ID)
		r := httptest.NewRequest(c.method, "http://navette.example"+c.target, nil)
		for k, v := range c.headers {
			r.Header.Set(k, v)
		}
		w := f.serve(f.lawyer, r)
		after := downloadState(t, f, v.ID)
		body := w.Body.String()
		if !c.asked {
			if w.Code != http.StatusOK || w.Header().Get("Content-Disposition") == "" {
				t.Errorf("%s: %d %q, want the file", c.name, w.Code, w.Header().Get("Content-Disposition"))
			}
			continue
		}
		if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") ||
			w.Header().Get("Content-Disposition") != "" || w.Header().Get("Content-Security-Policy") != pageCSP {
			t.Errorf("%s: %d %q %q, want the page", c.name, w.Code, w.Header().Get("Content-Type"), w.Header().Get("Content-Disposition"))
		}
		if after != before {
			t.Errorf("%s: recorded %s, had %s", c.name, after, before)
		}
		if c.method == "HEAD" {
			continue // the server drops the body of a HEAD's answer
		}
		want := []string{"RG 26/777", `href="` + strings.SplitN(c.target, "?", 2)[0] + `" download>`}
		switch {
		case strings.HasSuffix(c.target, "?lang=en"):
			want = append(want, "pièce.pdf", "You came here from a page", ">Download</a>")
		case strings.HasPrefix(c.target, "/cases/"):
			want = append(want, "Les fichiers de l’affaire (ZIP)", `href="`+CasePath(v.CaseID)+`"`, ">Télécharger</a>")
		case strings.HasSuffix(c.target, "/zip"):
			want = append(want, "RG 26_777.zip", `href="`+DepositPath(v.ID)+`"`)
		default:
			want = append(want, "pièce.pdf", "Vous arrivez ici depuis une autre page", ">Télécharger</a>")
		}
		for _, s := range want {
			if !strings.Contains(body, s) {
				t.Errorf("%s: the page lacks %q", c.name, s)
			}
		}
	}
	if n := countDownloads(t, f, v.ID); n != 4 {
		t.Errorf("%d downloads recorded, want 4 (same-origin, none, own Referer, no header)", n)
	}
}

// downloadState sums up what deposit id's journal and recipients say of
// its openings and downloads.
func downloadState(t *testing.T, f *fixture, id string) string {
	t.Helper()
	ctx := context.Background()
	d, err := f.meta.Deposit(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	evs, err := f.meta.Events(ctx, navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.DepositID == id && (e.Type == navette.EventFileDownloaded || e.Type == navette.EventDepositOpened) {
			n++
		}
	}
	r := d.Recipients[0]
	return fmt.Sprintf("first download %v, first opening %v, %d events", r.FirstDownloadAt, r.FirstOpenedAt, n)
}

// countDownloads counts the downloads of deposit id's files journaled.
func countDownloads(t *testing.T, f *fixture, id string) int {
	t.Helper()
	return countEvents(t, f, func(e navette.Event) bool { return e.DepositID == id && e.Type == navette.EventFileDownloaded })
}

// countEvents counts the events journaled that keep keeps.
func countEvents(t *testing.T, f *fixture, keep func(navette.Event) bool) int {
	t.Helper()
	evs, err := f.meta.Events(context.Background(), navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if keep(e) {
			n++
		}
	}
	return n
}

// TestUnaskedRefusalsNotRecorded follows links another site may hold to
// what the person cannot fetch (an unknown deposit, file or case, a
// deposit that expired): each is refused, and no refused access is
// journaled in their name, since they may never have asked. The same
// requests made from navette's own pages are journaled as before.
func TestUnaskedRefusalsNotRecorded(t *testing.T) {
	f := newFixture(t, "")
	f.withCaseKeys(t)
	f.h.PublicURL = "https://navette.example"
	v := f.deposit(t, "RG 26/778", map[string][]byte{"pièce.pdf": []byte("%PDF-1.7 pièce")})
	gone := f.deposit(t, "RG 26/779", map[string][]byte{"vieux.pdf": []byte("%PDF-1.7 vieux")})
	unknown := navette.NewID()
	targets := []string{
		"/deposits/" + unknown + "/files/" + navette.NewID(),
		"/deposits/" + unknown + "/zip",
		"/deposits/" + v.ID + "/files/" + navette.NewID(),
		CasePath(navette.NewID()) + "/zip",
	}
	for _, site := range []string{"cross-site", "same-origin"} {
		for _, target := range targets {
			before := countDenials(t, f)
			r := httptest.NewRequest("GET", "http://navette.example"+target, nil)
			r.Header.Set("Sec-Fetch-Site", site)
			w := f.serve(f.lawyer, r)
			if w.Code != http.StatusNotFound {
				t.Errorf("%s %s: got %d, want 404", site, target, w.Code)
			}
			f.clock.Advance(deposit.DenyWindow) // each denial the first of its window
			got := countDenials(t, f) - before
			want := 0
			if site == "same-origin" && !strings.HasPrefix(target, "/deposits/"+v.ID) {
				want = 1 // an unknown file of a known deposit is refused by OpenFile, not journaled
			}
			if got != want {
				t.Errorf("%s %s: %d refusals journaled, want %d", site, target, got, want)
			}
		}
	}
	f.clock.Advance(30 * 24 * time.Hour)
	before := countDenials(t, f)
	r := httptest.NewRequest("GET", "http://navette.example/deposits/"+gone.ID+"/files/"+gone.Files[0].ID, nil)
	r.Header.Set("Sec-Fetch-Site", "cross-site")
	if w := f.serve(f.lawyer, r); w.Code != http.StatusGone {
		t.Errorf("expired deposit from another site: got %d, want 410", w.Code)
	}
	if got := countDenials(t, f) - before; got != 0 {
		t.Errorf("expired deposit from another site: %d refusals journaled, want 0", got)
	}
}

// countDenials counts the access.denied events journaled.
func countDenials(t *testing.T, f *fixture) int {
	t.Helper()
	return countEvents(t, f, func(e navette.Event) bool { return e.Type == navette.EventAccessDenied })
}
