package http

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tus/tusd/v2/pkg/filestore"
	tusd "github.com/tus/tusd/v2/pkg/handler"
	"github.com/tus/tusd/v2/pkg/memorylocker"
	xslog "golang.org/x/exp/slog"
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
	c := dial(t, srv)
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
			c := dial(t, srv)
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

// TestAPassedReadDeadlineStopsTheBody: a read deadline that has passed,
// set from another goroutine between two reads of a body (tusd's
// takeover, or a shutdown, while the handler writes what it read), stops
// the body: the next Read fails at once with a deadline error, as it
// would on the bare connection, instead of pushing the deadline back and
// waiting for the client (who may be gone: the request taking over then
// waits the body idle timeout for the upload's lock).
func TestAPassedReadDeadlineStopsTheBody(t *testing.T) {
	type result struct {
		n   int
		err error
	}
	got := make(chan result, 1)
	s := &Server{BodyIdleTimeout: time.Minute}
	srv := httptest.NewServer(s.pace(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.ReadFull(r.Body, make([]byte, 5)); err != nil {
			t.Errorf("reading the body's first bytes: %v", err)
		}
		set := make(chan struct{})
		go func() {
			defer close(set)
			_ = http.NewResponseController(w).SetReadDeadline(time.Now())
		}()
		<-set
		n, err := r.Body.Read(make([]byte, 5))
		got <- result{n, err}
	})))
	defer srv.Close()
	c := dial(t, srv)
	fmt.Fprintf(c, "PATCH /upload HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n01234")
	var res result
	select {
	case res = <-got:
	case <-time.After(5 * time.Second):
		// A hang guard, not a measure: the Read waits for the client,
		// who sends the rest.
		fmt.Fprint(c, "56789")
		res = <-got
	}
	if res.n != 0 || !errors.Is(res.err, os.ErrDeadlineExceeded) {
		t.Errorf("a Read after a deadline passed: got %d bytes, %v, want none and a deadline error", res.n, res.err)
	}
}

// TestATakeoverBetweenReadsEndsTheBody: tusd below pace, a PATCH that
// sent 4 of its 10 bytes and stalls (its client gone), and a HEAD that
// takes the upload over as the PATCH's handler begins its next Read of the
// body, past tusd's own check that the body was not stopped. tusd's stop,
// a read deadline set to now, comes before that Read reaches pacedBody,
// which pushed the deadline back to the idle timeout: the Read waited for
// the client, tusd's Close of the body waited for the Read, and the HEAD
// for the upload's lock, until tusd gave up (500, failed to acquire lock)
// or the idle timeout passed. The stop now ends the body: the HEAD is
// answered 200. heldBody and stopWriter are failure injection: they hold
// that Read until the stop is set, and tusd's Close until the Read is
// under way, the order net/http's body lock gives when the Read takes it
// first, which a real scheduler gives only now and then.
func TestATakeoverBetweenReadsEndsTheBody(t *testing.T) {
	composer := tusd.NewStoreComposer()
	filestore.New(t.TempDir()).UseIn(composer)
	composer.UseLocker(memorylocker.New())
	h, err := tusd.NewUnroutedHandler(tusd.Config{StoreComposer: composer, BasePath: "/files/",
		NetworkTimeout: time.Hour, AcquireLockTimeout: 10 * time.Second, Logger: xslog.New(xslog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	stopped, reading := make(chan struct{}), make(chan struct{})
	var takeover func()
	mux := http.NewServeMux()
	mux.Handle("POST /files/", http.StripPrefix("/files/", h.Middleware(http.HandlerFunc(h.PostFile))))
	mux.Handle("HEAD /files/", http.StripPrefix("/files/", h.Middleware(http.HandlerFunc(h.HeadFile))))
	patch := http.StripPrefix("/files/", h.Middleware(http.HandlerFunc(h.PatchFile)))
	mux.HandleFunc("PATCH /files/", func(w http.ResponseWriter, r *http.Request) {
		r.Body = &heldBody{ReadCloser: r.Body, takeover: takeover, stopped: stopped, reading: reading}
		patch.ServeHTTP(&stopWriter{ResponseWriter: w, stopped: stopped}, r)
	})
	s := &Server{BodyIdleTimeout: time.Hour}
	srv := httptest.NewServer(s.pace(mux))
	defer srv.Close()
	tusReq := func(method, path string, hdr ...string) *http.Request {
		req, _ := http.NewRequest(method, srv.URL+path, nil)
		req.Header.Set("Tus-Resumable", "1.0.0")
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return req
	}
	resp, err := srv.Client().Do(tusReq("POST", "/files/", "Upload-Length", "10"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusCreated || loc == "" {
		t.Fatalf("creating the upload: %d, Location %q", resp.StatusCode, loc)
	}
	head := make(chan int, 1)
	takeover = func() {
		go func() {
			resp, err := srv.Client().Do(tusReq("HEAD", strings.TrimPrefix(loc, srv.URL)))
			if err != nil {
				t.Errorf("HEAD: %v", err)
				head <- 0
				return
			}
			resp.Body.Close()
			head <- resp.StatusCode
		}()
	}
	c := dial(t, srv)
	fmt.Fprintf(c, "PATCH %s HTTP/1.1\r\nHost: x\r\nTus-Resumable: 1.0.0\r\nUpload-Offset: 0\r\n"+
		"Content-Type: application/offset+octet-stream\r\nContent-Length: 10\r\n\r\n0123", strings.TrimPrefix(loc, srv.URL))
	select {
	case code := <-head:
		if code != http.StatusOK {
			t.Errorf("HEAD taking the upload over: got %d, want %d", code, http.StatusOK)
		}
	case <-time.After(time.Minute): // a hang guard
		t.Fatal("the HEAD taking the upload over was never answered")
	}
}

// heldBody is a request body whose second Read starts a takeover and waits
// until the body is stopped, and whose Close waits for that Read to be
// under way and to end.
type heldBody struct {
	io.ReadCloser
	takeover         func()
	stopped, reading chan struct{}

	reads int
	mu    sync.Mutex // held by the second Read
}

func (b *heldBody) Read(p []byte) (int, error) {
	if b.reads++; b.reads != 2 {
		return b.ReadCloser.Read(p)
	}
	b.takeover()
	select {
	case <-b.stopped:
	case <-time.After(time.Minute): // a hang guard
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	close(b.reading)
	return b.ReadCloser.Read(p)
}

func (b *heldBody) Close() error {
	select {
	case <-b.reading:
	case <-time.After(time.Minute): // a hang guard
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ReadCloser.Close()
}

// stopWriter closes stopped once a read deadline already passed is set.
type stopWriter struct {
	http.ResponseWriter
	stopped chan struct{}
	once    sync.Once
}

func (w *stopWriter) SetReadDeadline(t time.Time) error {
	err := http.NewResponseController(w.ResponseWriter).SetReadDeadline(t)
	if !t.IsZero() && !t.After(time.Now()) {
		w.once.Do(func() { close(w.stopped) })
	}
	return err
}

func (w *stopWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// dial opens a connection to srv, closed when the test ends.
func dial(t *testing.T, srv *httptest.Server) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}
