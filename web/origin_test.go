package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"navette"
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
		if got := startedElsewhere(r, public); got != c.want {
			t.Errorf("Sec-Fetch-Site %q, Referer %q: %v, want %v", c.site, c.referer, got, c.want)
		}
	}
	r := httptest.NewRequest(http.MethodGet, "http://10.0.0.1:8080/deposits/x/files/y", nil)
	r.Header.Set("Referer", "https://navette.example/deposits/x")
	if startedElsewhere(r, public) {
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
	evs, err := f.meta.Events(context.Background(), navette.EventFilter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range evs {
		if e.DepositID == id && e.Type == navette.EventFileDownloaded {
			n++
		}
	}
	return n
}
