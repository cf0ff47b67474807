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

// TestADeadlineAsTheBodyEndsKeepsTheConnection: a read deadline set as a
// body ends must not reach the server's background read of the
// connection, which net/http starts inside the Read, or the Close, that
// reaches the body's end: fired there, it cancelled the context of the
// connection, and the request and the next one on it were answered 503.
// tusd's takeover sets one from another goroutine, when another request
// wants the upload just as this one's last bytes arrive; its Close may
// read the rest of the body, and a Read that had begun then sets one. The
// body's afterRead hook is failure injection: it holds the last Read in
// the window between its return and pacedBody noting the end, which a
// real scheduler hits only now and then.
func TestADeadlineAsTheBodyEndsKeepsTheConnection(t *testing.T) {
	tests := []struct {
		name string
		idle time.Duration
		body string
		// read reads the body of the first request as the case says.
		read func(t *testing.T, w http.ResponseWriter, b *pacedBody)
	}{
		{"a deadline as the last Read returns", DefaultBodyIdleTimeout, strings.Repeat("0123456789", 10000), func(t *testing.T, w http.ResponseWriter, b *pacedBody) {
			rc := http.NewResponseController(w)
			b.afterRead = func(err error) {
				if err != io.EOF {
					return
				}
				set := make(chan struct{})
				go func() {
					defer close(set)
					_ = rc.SetReadDeadline(time.Now())
				}()
				<-set
			}
			if _, err := io.ReadAll(b); err != nil {
				t.Errorf("reading the body: %v", err)
			}
		}},
		{"a Read after a Close that read the rest", 50 * time.Millisecond, "0123456789", func(t *testing.T, w http.ResponseWriter, b *pacedBody) {
			// The whole body came in one packet: the server has it all
			// buffered after the first Read, and Close reads the rest.
			if _, err := io.ReadFull(b, make([]byte, 5)); err != nil {
				t.Errorf("reading the body's first bytes: %v", err)
			}
			closed := make(chan struct{})
			go func() {
				defer close(closed)
				b.Close()
			}()
			<-closed
			if n, err := b.Read(make([]byte, 5)); err == nil {
				t.Errorf("a Read after Close: got %d bytes, no error", n)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &Server{BodyIdleTimeout: tc.idle}
			srv := httptest.NewServer(s.pace(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if b, ok := r.Body.(*pacedBody); ok {
					tc.read(t, w, b)
					// Had a deadline been set, it fires within the idle
					// timeout during the background read, and cancels the
					// context. A hang guard, not a measure: the context
					// stays live either way after it.
					select {
					case <-r.Context().Done():
					case <-time.After(time.Second):
					}
				}
				if r.Context().Err() != nil {
					w.WriteHeader(http.StatusServiceUnavailable)
				}
			})))
			defer srv.Close()
			c, err := net.Dial("tcp", srv.Listener.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			br := bufio.NewReader(c)
			for _, method := range []string{"PATCH", "GET"} {
				var body io.Reader
				if method == "PATCH" {
					body = strings.NewReader(tc.body)
				}
				req, _ := http.NewRequest(method, srv.URL+"/upload", body)
				if err := req.Write(c); err != nil {
					t.Fatal(err)
				}
				// A hang guard, not a measure.
				_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
				resp, err := http.ReadResponse(br, req)
				if err != nil {
					t.Fatalf("%s on the kept-alive connection: %v", method, err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					t.Errorf("%s on the kept-alive connection: got %d, want %d", method, resp.StatusCode, http.StatusOK)
				}
			}
		})
	}
}
