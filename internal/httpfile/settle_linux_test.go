package httpfile

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"syscall"
	"testing"
	"time"
)

// settledFile is a Content that, once written, asks its writer's Settle
// as deposit.Download does, and sends what it answered.
type settledFile struct {
	memFile
	settled chan int64
}

func (f *settledFile) WriteRange(ctx context.Context, w io.Writer, off, n int64) error {
	for p := off; p < off+n; p += 64 << 10 {
		if _, err := w.Write(f.data[p:min(p+64<<10, off+n)]); err != nil {
			f.settled <- -1
			return err
		}
	}
	s, ok := w.(interface{ Settle(context.Context) int64 })
	if !ok {
		f.settled <- -1
		return nil
	}
	f.settled <- s.Settle(ctx)
	return nil
}

// slowReader dials addr with a small receive buffer, so that what it does
// not read stays in the server's send queue, asks GET /f, and returns the
// connection and the answer's body once 64 KiB of it are read.
func slowReader(t *testing.T, addr string) (*net.TCPConn, io.Reader) {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		if err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4<<10) }); err != nil {
			return err
		}
		return serr
	}}
	c, err := d.DialContext(t.Context(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	req, _ := http.NewRequest("GET", "http://"+addr+"/f", nil)
	if err := req.Write(c); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), req)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 64<<10)); err != nil {
		t.Fatal(err)
	}
	return c.(*net.TCPConn), resp.Body
}

// TestSettleGivesNothingItDoesNotCount: a client that stops reading until
// the wait for its acknowledgements gives up, or half-closes its side, or
// acknowledges a trickle, does not get more of the file than the bytes
// that count as delivered, but for what was in flight (at most its
// window): Settle resets the connection when it stops with
// bytes not acknowledged, so the kernel never sends them. Before, each of
// these clients read the whole file while the download counted as cut (a
// partner denying a receipt), and the trickle held the handler until the
// last byte, as slowly as the client liked.
func TestSettleGivesNothingItDoesNotCount(t *testing.T) {
	defer func(d time.Duration) { settleStall = d }(settleStall)
	const size = 512 << 10
	data := make([]byte, size)
	for _, tc := range []struct {
		name  string
		stall time.Duration
		// then is what the client does once the server wrote the file;
		// the function it returns ends it and says how many bytes it read.
		then func(c *net.TCPConn, body io.Reader) func() int64
	}{
		{"stops reading until the wait gives up", 300 * time.Millisecond, func(*net.TCPConn, io.Reader) func() int64 {
			return func() int64 { return 0 }
		}},
		{"half-closes its side", 300 * time.Millisecond, func(c *net.TCPConn, _ io.Reader) func() int64 {
			_ = c.CloseWrite()
			return func() int64 { return 0 }
		}},
		{"acknowledges a trickle", time.Second, trickle},
	} {
		t.Run(tc.name, func(t *testing.T) {
			settleStall = tc.stall
			f := &settledFile{memFile: memFile{data: data}, settled: make(chan int64, 1)}
			srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				Serve(w, r, f, func(w http.ResponseWriter, _ *http.Request, err error) { http.Error(w, err.Error(), 500) }, nil)
			}))
			srv.Config.ConnContext = func(ctx context.Context, c net.Conn) context.Context {
				// Room for the whole file in the send queue.
				_ = c.(*net.TCPConn).SetWriteBuffer(2 * size)
				return ConnContext(ctx, c)
			}
			srv.Start()
			defer srv.Close()
			c, body := slowReader(t, srv.Listener.Addr().String())
			stop := tc.then(c, body)
			q := <-f.settled
			trickled := stop()
			if q <= 0 {
				t.Fatalf("Settle said %d bytes were not acknowledged: the client did not acknowledge everything", q)
			}
			_ = c.SetReadDeadline(time.Now().Add(time.Minute))
			rest, err := io.ReadAll(body)
			got := 64<<10 + trickled + int64(len(rest))
			// What was in flight as the server reset the connection may have
			// reached the client unacknowledged (a delayed ACK): no more
			// than the window it offered, its receive buffer (the kernel
			// doubles the 4 KiB asked).
			if errors.Is(err, context.DeadlineExceeded) || got > size-q+8<<10 {
				t.Errorf("the client read %d bytes (%v), %d of which not acknowledged when the server counted %d delivered", got, err, q, size-q)
			}
		})
	}
}

// trickle reads 1 KiB of body every 100 ms until the function it returns
// is called, which returns how many bytes it read.
func trickle(_ *net.TCPConn, body io.Reader) func() int64 {
	stop, done := make(chan struct{}), make(chan int64)
	go func() {
		var n int64
		defer func() { done <- n }()
		for {
			k, err := io.ReadFull(body, make([]byte, 1<<10))
			n += int64(k)
			if err != nil {
				return
			}
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	}()
	return func() int64 {
		close(stop)
		return <-done
	}
}
