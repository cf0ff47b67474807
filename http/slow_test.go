package http

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
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
