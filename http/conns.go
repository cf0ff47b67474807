package http

import (
	"encoding/json"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"navette"
	"navette/internal/httpfile"
)

// DefaultMaxConns is the default cap on open client connections.
const DefaultMaxConns = 4096

// retryConnsAfter is the Retry-After of a connection shed at the cap.
const retryConnsAfter = 5 * time.Second

// maxShedding bounds the connections being answered 503 at once; beyond
// it excess connections are closed without a word.
const maxShedding = 32

// ConnLimiter is a listener that keeps at most Max client connections open
// at once. A connection beyond the cap is shed at once rather than left
// waiting: over plain HTTP it is answered 503 with a Retry-After and a
// problem document, then closed; under TLS it is closed before the
// handshake, which would cost what the cap saves.
type ConnLimiter struct {
	net.Listener
	// Max is the cap (DefaultMaxConns when zero).
	Max int
	// Plain says the connections carry HTTP in clear, so a shed one can be
	// told why.
	Plain bool

	open     atomic.Int64
	shedding atomic.Int64
	shed     atomic.Int64
}

// Accept returns the next connection within the cap.
func (l *ConnLimiter) Accept() (net.Conn, error) {
	max := int64(l.Max)
	if max <= 0 {
		max = DefaultMaxConns
	}
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= max {
			return &limitedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.shed.Add(1)
		if !l.Plain || l.shedding.Add(1) > maxShedding {
			if l.Plain {
				l.shedding.Add(-1)
			}
			c.Close()
			continue
		}
		go func() {
			defer l.shedding.Add(-1)
			refuse(c)
		}()
	}
}

// Open returns the number of connections open now.
func (l *ConnLimiter) Open() int { return int(l.open.Load()) }

// Shed returns the number of connections shed so far.
func (l *ConnLimiter) Shed() int { return int(l.shed.Load()) }

// shedAnswer is the whole answer to a shed connection.
var shedAnswer = func() []byte {
	p := problemFor(navette.Errorf(navette.EUNAVAILABLE, "The server has too many connections open: try again shortly."), "")
	b, _ := json.Marshal(p)
	b = append(b, '\n')
	return fmt.Appendf(nil, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/problem+json\r\nCache-Control: no-store\r\nRetry-After: %d\r\nConnection: close\r\nContent-Length: %d\r\n\r\n%s",
		int(retryConnsAfter/time.Second), len(b), b)
}()

// refuse answers a shed connection and closes it, briefly reading what the
// client sent so that closing does not reset the connection under the
// answer.
func refuse(c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write(shedAnswer); err != nil {
		return
	}
	if tc, ok := c.(interface{ CloseWrite() error }); ok {
		_ = tc.CloseWrite()
	}
	var buf [4096]byte
	_, _ = c.Read(buf[:])
}

// limitedConn gives its place back when closed.
type limitedConn struct {
	net.Conn
	l    *ConnLimiter
	once sync.Once
	// atClose is what the client had not acknowledged as the connection
	// closed, if the kernel said (said).
	atClose atomic.Int64
	said    atomic.Bool
}

func (c *limitedConn) Close() error {
	if n, _, ok := httpfile.Unacked(c.Conn); ok {
		c.atClose.Store(n)
		c.said.Store(true)
	}
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// UnackedAtClose returns what the client had not acknowledged as the
// connection closed (httpfile.ClosedQueue): a download cut by a failed
// write counts what reached the client until then.
func (c *limitedConn) UnackedAtClose() (int64, bool) {
	if !c.said.Load() {
		return 0, false
	}
	return c.atClose.Load(), true
}

// NetConn returns the connection the limiter accepted, whose kernel state
// (what the client acknowledged) the file downloads read.
func (c *limitedConn) NetConn() net.Conn { return c.Conn }

// CloseWrite half-closes the connection, as the server does before
// closing one it answered without reading the whole request.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
