package app_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/internal/testclamd"
)

// heldVerdicts is the node's antivirus, a real clamd, whose verdicts are
// held until the test releases them: a fake for failure injection only,
// to make a tus request go on long after its body ended (a large upload's
// last PATCH on a loaded node).
type heldVerdicts struct {
	navette.Antivirus
	held    chan struct{} // a verdict is being waited for
	release chan struct{} // closed: verdicts are given
}

func (h *heldVerdicts) Scan(ctx context.Context) (navette.ScanStream, error) {
	st, err := h.Antivirus.Scan(ctx)
	if err != nil {
		return nil, err
	}
	return heldStream{ScanStream: st, h: h}, nil
}

// wait waits until a verdict is held.
func (h *heldVerdicts) wait(t *testing.T) {
	t.Helper()
	select {
	case <-h.held:
	case <-time.After(30 * time.Second): // a hang guard
		t.Fatal("the request was never held")
	}
}

type heldStream struct {
	navette.ScanStream
	h *heldVerdicts
}

func (s heldStream) Close() (navette.ScanVerdict, error) {
	select {
	case s.h.held <- struct{}{}:
	default:
	}
	<-s.h.release
	return s.ScanStream.Close()
}

// keptConn sends requests one after the other on one kept-alive
// connection.
type keptConn struct {
	t     *testing.T
	e     *env
	c     net.Conn
	r     *bufio.Reader
	sent  []*http.Request
	token string
}

func (e *env) keptConn(t *testing.T) *keptConn {
	t.Helper()
	c, err := net.Dial("tcp", e.app.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &keptConn{t: t, e: e, c: c, r: bufio.NewReader(c), token: e.agent}
}

// send writes a request, its answer left to answer.
func (k *keptConn) send(method, path string, body []byte, hdr ...string) {
	k.t.Helper()
	req, err := http.NewRequest(method, k.e.url+path, bytes.NewReader(body))
	if err != nil {
		k.t.Fatal(err)
	}
	if body == nil {
		req.Body = nil
	}
	req.Header.Set("Authorization", "Bearer "+k.token)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	if err := req.Write(k.c); err != nil {
		k.t.Fatalf("%s %s: %v", method, path, err)
	}
	k.sent = append(k.sent, req)
}

// answer reads the answer to the oldest request sent and not answered,
// and fails the test unless its status is want.
func (k *keptConn) answer(want int) *http.Response {
	k.t.Helper()
	req := k.sent[0]
	k.sent = k.sent[1:]
	// A hang guard, not a measure.
	_ = k.c.SetReadDeadline(time.Now().Add(30 * time.Second))
	resp, err := http.ReadResponse(k.r, req)
	if err != nil {
		k.t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		k.t.Fatalf("%s %s: reading the answer: %v", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode != want {
		k.t.Fatalf("%s %s on the kept-alive connection: %d %s, want %d", req.Method, req.URL.Path, resp.StatusCode, b, want)
	}
	return resp
}

// TestLongTusRequestsKeepTheConnection: a tus request that goes on for
// several body idle timeouts after its body ended (a PATCH whose last
// bytes wait for the antivirus's verdict), or that has no body (a
// creation, a HEAD waiting for the upload's lock), succeeds, and so does
// the next request on the same kept-alive connection (the deposit's
// submit). tusd sets a read deadline of the idle timeout at every request
// and after every read of a body: fired during the server's background
// read of the connection, it cancelled the connection's context, and with
// it the request and every later one on the connection (503 "The request
// was interrupted").
func TestLongTusRequestsKeepTheConnection(t *testing.T) {
	const idle = 200 * time.Millisecond
	clamd := testclamd.New(t, testclamd.Options{})
	data := randomBytes(64<<10, 36)
	tests := []struct {
		name string
		// held sends, on k, the request that will be held, waits until it
		// is, and returns the status it must be answered with once
		// released.
		held func(e *env, k *keptConn, d api.Deposit, av *heldVerdicts) int
	}{
		{"PATCH ending an upload", func(e *env, k *keptConn, d api.Deposit, av *heldVerdicts) int {
			path := e.createUpload(e.agent, d.ID, "pièce.bin", int64(len(data)))
			k.send("PATCH", path, data, "Tus-Resumable", "1.0.0", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
			av.wait(t)
			return http.StatusNoContent
		}},
		{"creation without a body", func(e *env, k *keptConn, d api.Deposit, av *heldVerdicts) int {
			// An empty file is complete once created: its checks run then.
			k.send("POST", api.PathUploads, nil, "Tus-Resumable", "1.0.0", "Upload-Length", "0",
				"Upload-Metadata", tusMeta(api.MetaDeposit, d.ID, api.MetaFilename, "vide.txt"))
			av.wait(t)
			return http.StatusCreated
		}},
		{"HEAD waiting for the upload's lock", func(e *env, k *keptConn, d api.Deposit, av *heldVerdicts) int {
			// The PATCH holding the lock, on a connection of its own, is
			// held once its whole body is in (sent before, the HEAD would
			// cut it); the HEAD waits for it. The PATCH is asked to let go
			// (tusd's takeover), which is not what this case checks.
			path := e.createUpload(e.agent, d.ID, "pièce.bin", int64(len(data)))
			other := e.keptConn(t)
			other.send("PATCH", path, data, "Tus-Resumable", "1.0.0", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
			av.wait(t)
			k.send("HEAD", path, nil, "Tus-Resumable", "1.0.0")
			return http.StatusOK
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			av := &heldVerdicts{Antivirus: clamd.Client(), held: make(chan struct{}, 1), release: make(chan struct{})}
			e := newEnv(t, func(c *app.Config) {
				c.BodyIdleTimeout = idle
				c.Antivirus = av
				c.CheckInterval = time.Hour
			})
			d := e.createDeposit(e.agent, lawyerEmail)
			k := e.keptConn(t)
			want := tc.held(e, k, d, av)
			// The request is held, its body ended or without one: the
			// deadline of every read of it passes, five times over.
			from := time.Now()
			waitFor(t, "five idle timeouts with the request held", func() bool { return time.Since(from) > 5*idle })
			close(av.release)
			k.answer(want)
			k.send("POST", api.PathDeposits+"/"+d.ID+"/submit", nil)
			k.answer(http.StatusOK)
			k.send("GET", api.PathDeposits+"/"+d.ID, nil)
			resp := k.answer(http.StatusOK)
			if resp.Close {
				t.Errorf("the connection is closed after the submit")
			}
		})
	}
}
