package client_test

// Failures that neither the real server nor a TCP proxy before it can
// produce, injected by small HTTP wrappers before the real server or, where
// no server is involved at all, by minimal stand-ins. Each says why.

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"navette/api"
	"navette/client"
)

// wrapper is an HTTP reverse proxy before the real server that may change
// what goes through, and records the statuses of the file downloads.
type wrapper struct {
	*httptest.Server
	mu       sync.Mutex
	answered []int
}

// wrap starts a wrapper before target. rewrite, if not nil, changes the
// request sent to the server; modify, if not nil, the answer.
func wrap(t *testing.T, target string, rewrite func(*httputil.ProxyRequest), modify func(*http.Response) error) *wrapper {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	w := &wrapper{}
	rp := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			if rewrite != nil {
				rewrite(r)
			}
		},
		ModifyResponse: func(resp *http.Response) error {
			if strings.Contains(resp.Request.URL.Path, "/files/") {
				w.mu.Lock()
				w.answered = append(w.answered, resp.StatusCode)
				w.mu.Unlock()
			}
			if modify != nil {
				return modify(resp)
			}
			return nil
		},
	}
	w.Server = httptest.NewServer(rp)
	t.Cleanup(w.Close)
	return w
}

// statuses returns the statuses of the file downloads that went through.
func (w *wrapper) statuses() []int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]int(nil), w.answered...)
}

// ignoreRange returns a wrapper that strips Range from requests.
//
// Failure injection: the real server always honours Range (RFC 9110 lets a
// server or a proxy ignore it and send the whole file with 200), so the
// header is removed on the way.
func ignoreRange(t *testing.T, target string) *wrapper {
	return wrap(t, target, func(r *httputil.ProxyRequest) {
		r.Out.Header.Del("Range")
		r.Out.Header.Del("If-Range")
	}, nil)
}

// Failure injection: the real server answers every API path with JSON or a
// problem document; a wrong server URL, a captive portal or a login page
// answers with HTML, which only a stand-in can do.
func TestNotJSON(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		_, _ = io.WriteString(w, "<html>portal</html>")
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL, "t")
	if _, err := c.List(context.Background(), client.BoxInbox, "", 0); err == nil || !strings.Contains(err.Error(), "text/html") {
		t.Errorf("err = %v", err)
	}
}

// Failure injection: the real server answers the creation of an upload with
// a relative Location (http/tus.go rewrites tusd's absolute one), so the
// absolute ones other servers or proxies send — on the server's origin, on
// its host but with the scheme and port seen behind a TLS proxy, on another
// host — are made by rewriting the answer.
func TestUploadLocation(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	var mu sync.Mutex
	origin := ""
	var requests []string // what reached the server after the creations
	w := wrap(t, e.url, func(r *httputil.ProxyRequest) {
		mu.Lock()
		defer mu.Unlock()
		requests = append(requests, r.In.Method+" "+r.In.URL.Path)
	}, func(resp *http.Response) error {
		mu.Lock()
		defer mu.Unlock()
		if loc := resp.Header.Get("Location"); resp.Request.Method == http.MethodPost && loc != "" {
			resp.Header.Set("Location", origin+loc)
		}
		return nil
	})
	setOrigin := func(o string) {
		mu.Lock()
		defer mu.Unlock()
		origin, requests = o, nil
	}
	c := e.clientAt(w.URL, e.sender)
	ctx := context.Background()
	content := randomBytes(1000)
	for _, o := range []string{"", w.URL, strings.Replace(w.URL, "http://", "https://", 1) + "1"} {
		d := e.draft(c)
		setOrigin(o)
		fid, err := c.Upload(ctx, d.ID, "f", bytes.NewReader(content), int64(len(content)), nil)
		if err != nil {
			t.Errorf("Location on %q: %v", o, err)
			continue
		}
		mu.Lock()
		if len(requests) != 2 || requests[1] != "PATCH "+api.PathUploads+fid {
			t.Errorf("Location on %q: requests %q", o, requests)
		}
		mu.Unlock()
		e.submit(d.ID, map[string][]byte{fid: content})
	}
	// Another host never gets the token: the client stops at the creation.
	d := e.draft(c)
	setOrigin("http://evil.example")
	if _, err := c.Upload(ctx, d.ID, "f", bytes.NewReader(content), int64(len(content)), nil); err == nil || !strings.Contains(err.Error(), "not on the server's host") {
		t.Errorf("foreign Location followed: %v", err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(requests) != 1 || requests[0] != "POST "+api.PathUploads {
		t.Errorf("requests after the creation: %q", requests)
	}
}

// Failure injection: the real server never redirects; a proxy or a moved
// service may, to another host, which must not get the token.
func TestRedirectsKeepTheToken(t *testing.T) {
	var leaked atomic.Bool
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "" {
			leaked.Store(true)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"deposits":[]}`)
	}))
	defer evil.Close()
	srv := httptest.NewServer(http.RedirectHandler(strings.Replace(evil.URL, "127.0.0.1", "localhost", 1)+"/x", http.StatusFound))
	defer srv.Close()
	c, _ := client.New(srv.URL, "secret-token-123")
	if _, err := c.List(context.Background(), client.BoxInbox, "", 0); err == nil || leaked.Load() {
		t.Errorf("err = %v, leaked = %v", err, leaked.Load())
	}
}

// Failure injection: the real server's errors are problem documents, and a
// 500 from it means it refuses the file for good (see
// TestDownloadOfCorruptBlob); a proxy before it answers a bare 500 page
// when, say, it restarts, which is worth trying again.
func TestDownloadRetriesAProxyError(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	content := randomBytes(100_000)
	id, fid := e.send("f.bin", content)
	var failed atomic.Bool
	w := wrap(t, e.url, nil, func(resp *http.Response) error {
		if strings.Contains(resp.Request.URL.Path, "/files/") && !failed.Swap(true) {
			resp.Body.Close()
			resp.StatusCode, resp.Status = http.StatusInternalServerError, "500 Internal Server Error"
			resp.Header = http.Header{"Content-Type": {"text/html"}}
			resp.Body = io.NopCloser(strings.NewReader("<html>proxy error</html>"))
			resp.ContentLength = -1
		}
		return nil
	})
	var buf bytes.Buffer
	if _, err := e.clientAt(w.URL, e.recipient).Download(context.Background(), id, fid, &buf, 0); err != nil || !bytes.Equal(buf.Bytes(), content) {
		t.Fatalf("got %d bytes, %v", buf.Len(), err)
	}
	if got := w.statuses(); len(got) != 2 || got[0] != http.StatusOK || got[1] != http.StatusOK {
		t.Errorf("server answered %v, want two 200s (the first one replaced)", got)
	}
}
