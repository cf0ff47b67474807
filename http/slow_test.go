package http

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPaceKeepsUnreadBodiesOffTheWire: a handler that stops reading a
// body and closes it (as tusd does when another request takes the upload
// over) leaves the rest of the body on the connection; the server must
// close the connection, never read those bytes as the next request.
func TestPaceKeepsUnreadBodiesOffTheWire(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	s := &Server{}
	srv := httptest.NewServer(s.pace(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		paths = append(paths, r.URL.Path)
		mu.Unlock()
		if r.Body != nil {
			_, _ = io.ReadFull(r.Body, make([]byte, 10))
			r.Body.Close()
		}
		w.WriteHeader(http.StatusBadRequest)
	})))
	defer srv.Close()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	smuggled := "GET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n"
	fmt.Fprintf(c, "PATCH /upload HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n0123456789%s", 1<<20, smuggled)
	br := bufio.NewReader(c)
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// A hang guard only: the connection must end, not idle.
	_ = c.SetReadDeadline(time.Now().Add(time.Minute))
	if n, err := br.Read(make([]byte, 1)); n != 0 || err != io.EOF {
		t.Errorf("after a body left unread the connection stays open: %d, %v", n, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(paths) != 1 || paths[0] != "/upload" {
		t.Errorf("requests served: %q", paths)
	}
}

// TestDeadlinesAfterTheBodyKeepTheConnection: a handler below pace that
// sets a read deadline once the request's body has ended, or on a request
// without one (tusd does both: at every request, and after every read of
// a body, the last included), must not cancel the connection's context
// when it fires during the server's background read: the request being
// served, and the next one on the same kept-alive connection, would run
// cancelled (a PATCH finishing its upload, then the deposit's submit,
// answered 503 "The request was interrupted").
func TestDeadlinesAfterTheBodyKeepTheConnection(t *testing.T) {
	tests := []struct {
		name string
		body string
	}{
		{"a body read to its end", "0123456789"},
		{"no body", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{}
			first := true
			var mu sync.Mutex
			var errs []string
			srv := httptest.NewServer(s.pace(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				setDeadline := first
				first = false
				mu.Unlock()
				if _, err := io.ReadAll(r.Body); err != nil {
					t.Errorf("reading the body: %v", err)
				}
				if setDeadline {
					if err := http.NewResponseController(w).SetReadDeadline(time.Now()); err != nil {
						t.Errorf("SetReadDeadline: %v", err)
					}
					// The deadline has passed: had it been set, the background
					// read ends at once and cancels the context. A hang guard,
					// not a measure: the context stays live either way after it.
					select {
					case <-r.Context().Done():
					case <-time.After(time.Second):
					}
				}
				if err := r.Context().Err(); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Sprintf("%s %s: context %v", r.Method, r.URL.Path, err))
					mu.Unlock()
				}
			})))
			defer srv.Close()
			method := "GET"
			if tc.body != "" {
				method = "PATCH"
			}
			c := srv.Client()
			for _, path := range []string{"/first", "/next-on-the-same-connection"} {
				req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(tc.body))
				if tc.body == "" {
					req.Body = nil
				}
				resp, err := c.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			mu.Lock()
			defer mu.Unlock()
			for _, e := range errs {
				t.Error(e)
			}
		})
	}
}
