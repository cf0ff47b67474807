package testbrowser

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestHarness checks the harness itself: a page loads, its requests are
// recorded, axe runs, and Chromium keeps a __Host- Secure cookie set over
// plain http on the loopback address, as navette's session cookie needs.
func TestHarness(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			http.SetCookie(w, &http.Cookie{Name: "__Host-test", Value: "v", Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte(`<!DOCTYPE html><html lang="fr"><head><title>Essai</title><link rel="stylesheet" href="/a.css"></head>` +
				`<body><main><h1>Essai</h1><p id="o">bonjour</p></main></body></html>`))
		case "/a.css":
			w.Header().Set("Content-Type", "text/css")
			w.Write([]byte("p{color:#111}"))
		case "/echo":
			c, _ := r.Cookie("__Host-test")
			if c != nil {
				w.Write([]byte(c.Value))
			}
		}
	}))
	defer srv.Close()
	b := New(t, srv.URL)
	b.Navigate(srv.URL + "/")
	if got := b.Text("#o"); got != "bonjour" {
		t.Errorf("text = %q", got)
	}
	b.Axe("/")
	joined := strings.Join(b.Requests(), "\n")
	if !strings.Contains(joined, "GET "+srv.URL+"/a.css") {
		t.Errorf("requests not recorded: %s", joined)
	}
	b.Navigate(srv.URL + "/echo")
	if got := b.Text("body"); got != "v" {
		t.Errorf("the __Host- Secure cookie was not sent back over http://127.0.0.1: %q", got)
	}
	_, err := chromedp.Run(b.Ctx, chromedp.Title())
	if err != nil {
		t.Fatal(err)
	}
}

// recorder keeps the errors a Browser reports instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

// TestHarnessFails checks that axe's serious findings and a request to
// another origin are reported.
func TestHarnessFails(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!DOCTYPE html><html><head><title>x</title></head><body><img src="` + other.URL + `/i.png"><input type="text"></body></html>`))
	}))
	defer srv.Close()
	rec := &recorder{TB: t}
	t.Run("browse", func(st *testing.T) {
		rec.TB = st
		b := New(rec, srv.URL)
		b.Navigate(srv.URL)
		b.Axe("bad page")
	})
	all := strings.Join(rec.errs, "\n")
	for _, want := range []string{"image-alt", "label", "left the origin"} {
		if !strings.Contains(all, want) {
			t.Errorf("not reported: %s (got %s)", want, all)
		}
	}
}
