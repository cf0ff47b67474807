package testproxy

import (
	"bytes"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// wait is the bound of every wait in these tests: long enough never to be
// reached on a slow machine, short enough to fail rather than hang.
const wait = 20 * time.Second

// sink is a server that reads everything sent to it and, on each
// connection, first writes out.
func sink(t *testing.T, out []byte) (addr string, got <-chan []byte) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	ch := make(chan []byte, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				go c.Write(out)
				b, _ := io.ReadAll(c)
				ch <- b
			}()
		}
	}()
	return ln.Addr().String(), ch
}

func dial(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func received(t *testing.T, got <-chan []byte) []byte {
	t.Helper()
	select {
	case b := <-got:
		return b
	case <-time.After(wait):
		t.Fatal("the server never saw the connection end")
		return nil
	}
}

func done(t *testing.T, f *Fault) {
	t.Helper()
	select {
	case <-f.Done():
	case <-time.After(wait):
		t.Fatal("the fault never ran its course")
	}
}

func data(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i * 7)
	}
	return b
}

func TestForwardAndRecord(t *testing.T) {
	hello := []byte("hello from the server")
	addr, got := sink(t, hello)
	p := New(t, addr)
	c := dial(t, p)
	msg := data(100_000)
	if _, err := c.Write(msg); err != nil {
		t.Fatal(err)
	}
	back := make([]byte, len(hello))
	if _, err := io.ReadFull(c, back); err != nil || !bytes.Equal(back, hello) {
		t.Fatalf("read %q, %v", back, err)
	}
	c.Close()
	if b := received(t, got); !bytes.Equal(b, msg) {
		t.Fatalf("server got %d bytes, not the message", len(b))
	}
	if p.Forwarded(Upstream) != int64(len(msg)) || !bytes.Equal(p.Transcript(Upstream), msg) {
		t.Errorf("upstream: %d forwarded, transcript differs", p.Forwarded(Upstream))
	}
	if p.Forwarded(Downstream) != int64(len(hello)) || !bytes.Equal(p.Transcript(Downstream), hello) {
		t.Errorf("downstream: %d forwarded, %q", p.Forwarded(Downstream), p.Transcript(Downstream))
	}
}

func TestCutUpstream(t *testing.T) {
	addr, got := sink(t, []byte("an answer nobody reads"))
	p := New(t, addr)
	f := p.Cut(Upstream, 1000, 2)
	msg := data(5000)
	for i, want := range []int{1000, 1000, 5000} {
		c := dial(t, p)
		_, _ = c.Write(msg) // fails or not, depending on when the cut lands
		if i < 2 {
			// The client's side is closed at once.
			_ = c.SetReadDeadline(time.Now().Add(wait))
			if _, err := io.ReadAll(c); isTimeout(err) {
				t.Fatalf("connection %d: still open on the client's side", i)
			}
		} else {
			c.Close()
		}
		// The server got the bytes before the cut, then the end of the stream.
		if b := received(t, got); !bytes.Equal(b, msg[:want]) {
			t.Fatalf("connection %d: the server got %d bytes, want the first %d", i, len(b), want)
		}
		if i == 1 {
			done(t, f)
		}
	}
	if n := p.Forwarded(Upstream); n != 7000 {
		t.Errorf("forwarded %d bytes upstream, want 7000", n)
	}
}

func TestCutDownstream(t *testing.T) {
	out := data(100_000)
	addr, got := sink(t, out)
	p := New(t, addr)
	f := p.Cut(Downstream, 3000, 1)
	c := dial(t, p)
	_ = c.SetReadDeadline(time.Now().Add(wait))
	b, _ := io.ReadAll(c)
	if !bytes.Equal(b, out[:3000]) {
		t.Fatalf("the client got %d bytes, want the first 3000", len(b))
	}
	done(t, f)
	received(t, got) // the server's side was closed too
	if n := p.Forwarded(Downstream); n != 3000 {
		t.Errorf("forwarded %d bytes downstream", n)
	}
}

func TestStall(t *testing.T) {
	out := data(200_000)
	addr, _ := sink(t, out)
	p := New(t, addr)
	f := p.Stall(Downstream, 3000)
	c := dial(t, p)
	first := make([]byte, 3000)
	if _, err := io.ReadFull(c, first); err != nil || !bytes.Equal(first, out[:3000]) {
		t.Fatalf("read %v", err)
	}
	// Nothing more comes, yet the connection stays open.
	_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if n, err := c.Read(make([]byte, 10)); n != 0 || !isTimeout(err) {
		t.Fatalf("read %d bytes (%v) from a stalled connection", n, err)
	}
	select {
	case <-f.Done():
		t.Fatal("stall over before the client left")
	default:
	}
	c.Close()
	done(t, f)
	if n := p.Forwarded(Downstream); n != 3000 {
		t.Errorf("forwarded %d bytes", n)
	}
}

// isTimeout reports whether err is a timeout.
func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func TestCorrupt(t *testing.T) {
	out := data(100_000)
	addr, _ := sink(t, out)
	p := New(t, addr)
	f := p.Corrupt(Downstream, 70_000)
	c := dial(t, p)
	got := make([]byte, len(out))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	done(t, f)
	want := bytes.Clone(out)
	want[70_000] ^= 0xff
	if !bytes.Equal(got, want) {
		t.Error("not exactly one byte altered")
	}
}

func TestRequests(t *testing.T) {
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
	})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	p := New(t, ln.Addr().String())
	for i := range 3 {
		req, _ := http.NewRequest("PATCH", p.URL()+"/up/x", strings.NewReader(strings.Repeat("a", i)))
		req.Header.Set("Upload-Offset", strconv.Itoa(i))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if _, err := http.Get(p.URL() + "/up/x?q=1"); err != nil {
		t.Fatal(err)
	}
	reqs := p.Requests("PATCH", "/up/x")
	if len(reqs) != 3 {
		t.Fatalf("%d PATCH requests found", len(reqs))
	}
	tr := p.Transcript(Upstream)
	for i, r := range reqs {
		if r.Header.Get("Upload-Offset") != strconv.Itoa(i) || r.Header.Get("Content-Length") != strconv.Itoa(i) {
			t.Errorf("request %d: %v", i, r.Header)
		}
		if !bytes.HasPrefix(tr[r.Start:], []byte("PATCH /up/x HTTP/1.1\r\n")) || !bytes.HasSuffix(tr[:r.Body], []byte("\r\n\r\n")) ||
			string(tr[r.Body:r.Body+i]) != strings.Repeat("a", i) {
			t.Errorf("request %d: head at %d, body at %d", i, r.Start, r.Body)
		}
	}
	if n := len(p.Requests("GET", "/up/x?q=1")); n != 1 {
		t.Errorf("%d GET requests found", n)
	}
}

// TestOnlyTestsImportIt checks that no code but tests imports this package.
func TestOnlyTestsImportIt(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("module root not found: %v", err)
	}
	fset := token.NewFileSet()
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "vendor") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		checked++
		for _, imp := range f.Imports {
			if imp.Path.Value == `"navette/internal/testproxy"` {
				t.Errorf("%s imports testproxy", path)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 10 {
		t.Errorf("only %d files checked", checked)
	}
}
