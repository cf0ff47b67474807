// Package testproxy is a TCP proxy for tests. It stands between a client and
// a real server on the loopback interface, forwards every byte both ways,
// counts and records them, and on demand injects the faults of a network: a
// connection cut after a given number of bytes, a connection that stops
// moving as a dead peer would, a byte altered in transit.
//
// Faults are counted in bytes, never in time, so tests that use them are
// deterministic. A fault is armed for one direction and counts the bytes
// forwarded that way from the moment it is armed, over every connection; it
// strikes the connection that carries its byte.
//
// A connection cut on its way up reaches the server as the end of what the
// client sent, and nothing more goes up, on any connection, until the
// server has closed that one: a client that reconnects at once finds the
// server done with the interrupted request, as it would after the delays
// of a real network, so what the server kept does not depend on timing.
//
// It is meant for _test.go files only: no other code may import it (a test
// of this package checks).
package testproxy

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"net/http"
	"net/textproto"
	"sync"
	"sync/atomic"
	"testing"
)

// Direction is the way bytes travel through the proxy.
type Direction int

const (
	// Upstream is from the client to the server.
	Upstream Direction = iota
	// Downstream is from the server to the client.
	Downstream
)

// String returns "upstream" or "downstream".
func (d Direction) String() string {
	if d == Upstream {
		return "upstream"
	}
	return "downstream"
}

// Proxy forwards the connections it accepts to one target.
type Proxy struct {
	tb     testing.TB
	ln     net.Listener
	target string

	// settle is held (for writing) while the server winds up a connection
	// cut upstream, and by every upstream forwarding otherwise.
	settle sync.RWMutex

	mu         sync.Mutex
	faults     [2]*Fault // the fault armed in each direction, if any
	forwarded  [2]int64
	transcript [2][]byte
	links      map[*link]struct{}
	closed     bool
	wg         sync.WaitGroup
}

// New starts a proxy to target (host:port), listening on 127.0.0.1 at a
// port of its own. It is closed when the test ends.
func New(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	p := &Proxy{tb: tb, ln: ln, target: target, links: map[*link]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's address, host:port.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// URL returns http:// followed by the proxy's address.
func (p *Proxy) URL() string { return "http://" + p.Addr() }

// Forwarded returns how many bytes the proxy has forwarded in direction d.
func (p *Proxy) Forwarded(d Direction) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.forwarded[d]
}

// Transcript returns a copy of the bytes forwarded in direction d, in the
// order they were forwarded (those of concurrent connections interleave).
// A byte is recorded before it is passed on, so whatever the other end has
// received is in the transcript.
func (p *Proxy) Transcript(d Direction) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return bytes.Clone(p.transcript[d])
}

// Request is the head of an HTTP/1.1 request found in the upstream
// transcript.
type Request struct {
	Header http.Header
	// Start and Body are the offsets in the upstream transcript of the
	// request line and of the first byte after the head.
	Start, Body int
}

// Requests returns the heads of the HTTP/1.1 requests with this method and
// target (the path and query, as on the request line) that went upstream,
// in order. It finds them in the raw bytes, so a request cut before the end
// of its head is missed, and a body holding a request head verbatim would
// be counted.
func (p *Proxy) Requests(method, target string) []Request {
	t := p.Transcript(Upstream)
	line := []byte(method + " " + target + " HTTP/1.1\r\n")
	var reqs []Request
	for at := 0; ; {
		i := bytes.Index(t[at:], line)
		if i < 0 {
			return reqs
		}
		start := at + i
		at = start + len(line)
		end := bytes.Index(t[at:], []byte("\r\n\r\n"))
		if end < 0 {
			return reqs
		}
		h, err := textproto.NewReader(bufio.NewReader(bytes.NewReader(t[at : at+end+4]))).ReadMIMEHeader()
		if err == nil {
			reqs = append(reqs, Request{Header: http.Header(h), Start: start, Body: at + end + 4})
		}
	}
}

// kind is the kind of a fault.
type kind int

const (
	cut kind = iota
	stall
	corrupt
)

// Fault is a fault armed on the proxy.
type Fault struct {
	kind  kind
	dir   Direction
	every int64 // bytes between two strikes
	next  int64 // bytes still to pass before the next strike
	left  int   // strikes still to come
	done  chan struct{}
}

// Done returns a channel closed once the fault has run its course: for a
// cut, when the last connection it cuts is closed (on its way up, once the
// server has closed it too); for a stall, when the stalled connection is
// closed (by the client, the server or the proxy); for a corruption, when
// the altered byte has been passed on.
func (f *Fault) Done() <-chan struct{} { return f.done }

// Cut arms a fault that cuts a connection once n more bytes have been
// forwarded in direction d: exactly n bytes get through. It strikes times
// times, every n bytes. Cut downstream, the connection is closed on both
// sides. Cut upstream, it is closed on the client's side, while the server
// sees the end of the stream and has its answer discarded; see the package
// comment.
func (p *Proxy) Cut(d Direction, n int64, times int) *Fault {
	return p.arm(&Fault{kind: cut, dir: d, every: n, next: n, left: times})
}

// Stall arms a fault that freezes a connection once n more bytes have been
// forwarded in direction d: nothing more is forwarded that way, and the
// connection stays open until one of its ends closes it, as when the peer
// has died without a word.
func (p *Proxy) Stall(d Direction, n int64) *Fault {
	return p.arm(&Fault{kind: stall, dir: d, next: n, left: 1})
}

// Corrupt arms a fault that inverts the bits of the byte at position n
// (counting from 0) of the bytes forwarded in direction d from now on, and
// forwards everything else unchanged.
func (p *Proxy) Corrupt(d Direction, n int64) *Fault {
	return p.arm(&Fault{kind: corrupt, dir: d, next: n, left: 1})
}

func (p *Proxy) arm(f *Fault) *Fault {
	p.tb.Helper()
	if f.next < 0 || f.left < 1 {
		p.tb.Fatalf("testproxy: invalid fault: %d bytes, %d times", f.next, f.left)
	}
	f.done = make(chan struct{})
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.faults[f.dir] != nil {
		p.tb.Fatalf("testproxy: a fault is already armed %s", f.dir)
	}
	p.faults[f.dir] = f
	return f
}

// Close stops the proxy and closes every connection through it.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	p.ln.Close()
	for _, l := range links {
		l.close()
	}
	p.wg.Wait()
}

// link is one proxied connection.
type link struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{}
	// draining is set once the client's side is cut off while the server
	// winds up: what the server sends is read and discarded.
	draining atomic.Bool
}

func (l *link) close() {
	l.once.Do(func() {
		l.client.Close()
		l.server.Close()
		close(l.done)
	})
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.tb.Errorf("testproxy: accept: %v", err)
			}
			return
		}
		s, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		l := &link{client: c, server: s, done: make(chan struct{})}
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			l.close()
			return
		}
		p.links[l] = struct{}{}
		p.wg.Add(2)
		p.mu.Unlock()
		go p.pump(l, Upstream, c, s)
		go p.pump(l, Downstream, s, c)
	}
}

// pump forwards the bytes of one direction of a link until either end
// closes, applying the armed fault of that direction.
func (p *Proxy) pump(l *link, d Direction, src, dst net.Conn) {
	defer p.wg.Done()
	defer func() {
		l.close()
		p.mu.Lock()
		delete(p.links, l)
		p.mu.Unlock()
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		b := buf[:n]
		for len(b) > 0 {
			if l.draining.Load() {
				break // the client is gone; the server's answer goes nowhere
			}
			if d == Upstream {
				p.settle.RLock()
			}
			k, f, last := p.admit(d, b)
			var werr error
			if k > 0 {
				_, werr = dst.Write(b[:k])
			}
			if d == Upstream {
				p.settle.RUnlock()
			}
			if werr != nil && !l.draining.Load() {
				return
			}
			b = b[k:]
			switch {
			case f == nil:
			case f.kind == cut && d == Upstream:
				p.settle.Lock()
				l.draining.Store(true)
				l.client.Close()
				if tc, ok := l.server.(*net.TCPConn); ok {
					_ = tc.CloseWrite()
				} else {
					l.close()
				}
				<-l.done // the downstream pump closes the link when the server does
				p.settle.Unlock()
				if last {
					close(f.done)
				}
				return
			case f.kind == cut:
				l.close()
				if last {
					close(f.done)
				}
				return
			case f.kind == stall:
				<-l.done
				close(f.done)
				return
			case f.kind == corrupt:
				close(f.done)
			}
		}
		if err != nil {
			return
		}
	}
}

// admit decides what happens to b, the next bytes read in direction d: the
// first k of them are to be forwarded (they are counted and recorded, and
// altered if a corruption strikes them), then the fault f, if not nil,
// strikes, for the last time if last.
func (p *Proxy) admit(d Direction, b []byte) (k int, f *Fault, last bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k = len(b)
	if f = p.faults[d]; f != nil {
		switch {
		case f.kind == corrupt && f.next < int64(len(b)):
			b[f.next] ^= 0xff
			p.faults[d], last = nil, true
		case f.kind != corrupt && f.next <= int64(len(b)):
			k = int(f.next)
			if f.left--; f.left > 0 {
				f.next = f.every
			} else {
				p.faults[d], last = nil, true
			}
		default:
			f.next -= int64(len(b))
			f = nil
		}
	}
	p.forwarded[d] += int64(k)
	p.transcript[d] = append(p.transcript[d], b[:k]...)
	return k, f, last
}
