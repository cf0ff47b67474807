package httpfile

import (
	"context"
	"io"
	"net"
	"net/http"
	"time"
)

// connKey keys the connection a request came on in its context.
type connKey struct{}

// ConnContext is an http.Server's ConnContext: it keeps each request's
// connection in its context, so that Serve can ask the kernel which of the
// bytes it sent the client has acknowledged.
func ConnContext(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// connFrom returns the connection ConnContext kept in ctx, or nil.
func connFrom(ctx context.Context) net.Conn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	return c
}

// settleStall is the window over which Settle expects the client to
// acknowledge settleMinAcked bytes (or all that is left) before it gives up
// on the rest. A var, so that tests can shorten it.
var settleStall = time.Minute

// settleMinAcked is what the client must acknowledge in each settleStall
// while Settle waits: a segment (seal.SegmentSize), as each write of one
// must find room within the body idle timeout while the file is written.
// Without it a client acknowledging a byte a minute held the handler and
// its connection for as long as the megabytes of its send queue lasted.
const settleMinAcked = 64 << 10

// settling is a writer of a file's bytes to a client whose connection is
// known: Settle tells how many of the last bytes written the client's side
// has not acknowledged.
type settling struct {
	w    io.Writer
	conn net.Conn
	// last is what the client had not acknowledged after the last write
	// the kernel could tell of: what Settle counts on when the connection
	// is gone by then.
	last int64
	// failed is set once a write failed: the transfer is cut, and Settle
	// waits for nothing more.
	failed bool
}

func (s *settling) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil {
		s.failed = true
	} else if q, _, ok := unacked(s.conn); ok {
		s.last = q
	}
	return n, err
}

// Settle waits until the client's side acknowledged every byte written to
// the connection, the connection ends, or the client acknowledges
// less than settleMinAcked bytes (or all that is left) in a settleStall
// (not at all after a failed write), and returns how many bytes were still
// not acknowledged when it stopped (0 when all were, or when the kernel
// cannot tell; what it told after the last write when the connection is
// closed by then). The bytes a writer accepted only reached the kernel's
// buffers: a client that drops the transfer leaves megabytes there that it
// never got, which must not count as delivered (Content.WriteRange). When
// it stops with bytes not acknowledged on a connection still open, it
// resets the connection, so that the kernel drops them instead of sending
// them later: a client that stopped reading until the wait gave up, or
// half-closed its side, would otherwise get the whole file while it counts
// as cut. The end of ctx (the client closed its side) only makes it look
// again at once.
func (s *settling) Settle(ctx context.Context) int64 {
	q, open, ok := unacked(s.conn)
	if !ok {
		return s.last // the connection closed, or no kernel to ask (0)
	}
	if !s.failed {
		q, open = s.wait(ctx, q, open)
	}
	if q > 0 && open {
		reset(s.conn)
	}
	return q
}

// wait is Settle's wait for the acknowledgements of the q bytes not
// acknowledged yet: it returns what is still not, and whether the
// connection is still open.
func (s *settling) wait(ctx context.Context, q int64, open bool) (int64, bool) {
	pause := time.Millisecond
	window, atStart := time.Now(), q
	done := ctx.Done()
	for q > 0 && open {
		if time.Since(window) > settleStall {
			if atStart-q < min(atStart, settleMinAcked) {
				return q, open
			}
			window, atStart = time.Now(), q
		}
		t := time.NewTimer(pause)
		select {
		case <-done:
			// The client closed its side, or the server is stopping: a
			// client that only half-closed still reads and acknowledges
			// what was in flight, so the wait goes on while the
			// connection is open.
			t.Stop()
			done = nil
		case <-t.C:
		}
		pause = min(2*pause, 100*time.Millisecond)
		n, stillOpen, ok := unacked(s.conn)
		if !ok {
			return q, false
		}
		q, open = min(q, n), stillOpen
	}
	return q, open
}

// reset closes c at once with a reset (no linger), which drops what its
// send queue still holds.
func reset(c net.Conn) {
	b := baseConn(c)
	if l, ok := b.(interface{ SetLinger(sec int) error }); ok {
		_ = l.SetLinger(0)
	}
	_ = b.Close()
}

// settleWriter returns w, made a settling writer when the request r came on
// a connection ConnContext kept, over HTTP/1 (over HTTP/2 the connection's
// queue holds the bytes of other streams too).
func settleWriter(w io.Writer, r *http.Request) io.Writer {
	c := connFrom(r.Context())
	if c == nil || r.ProtoMajor != 1 {
		return w
	}
	return &settling{w: w, conn: c}
}

// ClosedQueue is a connection that asked, as it closed, what its peer had
// not acknowledged (Unacked): net/http closes a connection whose write
// failed before the handler hears of it, and what was delivered until then
// must still be told.
type ClosedQueue interface {
	// UnackedAtClose returns what Unacked said as the connection closed;
	// ok is false while it is open, or if the kernel did not say.
	UnackedAtClose() (n int64, ok bool)
}

// unacked is Unacked, or what a wrapper of c kept of it as it closed.
func unacked(c net.Conn) (n int64, open, ok bool) {
	for u := c; u != nil; {
		if cq, isCQ := u.(ClosedQueue); isCQ {
			if n, ok := cq.UnackedAtClose(); ok {
				return n, false, true
			}
		}
		w, isWrapper := u.(interface{ NetConn() net.Conn })
		if !isWrapper {
			break
		}
		u = w.NetConn()
	}
	return Unacked(c)
}

// baseConn unwraps c down to the connection that carries it (a TLS
// connection's, a listener's wrapper's).
func baseConn(c net.Conn) net.Conn {
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return c
		}
		c = u.NetConn()
	}
}
