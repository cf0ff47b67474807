// Package clamav is navette's antivirus: a client of ClamAV's daemon,
// clamd, over a unix socket or TCP. Contents are streamed to it with the
// INSTREAM command as they arrive (zINSTREAM, then chunks each preceded by
// its length as four big-endian bytes, a zero length to end), and its
// one-line verdict is parsed (ParseVerdict). PING, VERSION and STATS probe
// it; StreamLimit finds whether it accepts a stream of a given size
// (StreamMaxLength) without sending one.
//
// Every exchange is bounded: connecting and each read or write by
// Client.Timeout, the wait for a verdict after the last byte by
// Client.ScanTimeout. Whatever goes wrong on the way (clamd down, killed
// mid-scan, too slow, answering something that is not a verdict) is an
// EUNAVAILABLE error, never a verdict: the caller keeps the file waiting
// and asks again later.
package clamav

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"navette"
)

// Default bounds of a Client. DefaultScanTimeout is longer than the
// MaxScanTime docs/operations.md gives clamd (10 minutes), so that clamd
// tells a scan that took too long (Heuristics.Limits.Exceeded.MaxScanTime,
// an over-limit verdict) before navette gives up waiting: otherwise a file
// clamd scans more slowly than the timeout would be retried forever.
// clamd's own default MaxScanTime is 2 minutes: a 1 GiB file of random
// bytes takes 16 s or more of a CPU to scan with only the EICAR signature.
const (
	DefaultTimeout     = 10 * time.Second
	DefaultScanTimeout = 15 * time.Minute
)

// maxChunk is the largest chunk sent at once; larger writes are cut.
const maxChunk = 1 << 20

// maxReply bounds what is read of an answer: a verdict is one short line,
// STATS a few lines per thread.
const maxReply = 64 << 10

// Client talks to one clamd. Its fields are set once before use; it holds
// no connection between calls and is safe for concurrent use.
type Client struct {
	// Network and Addr are where clamd listens: "unix" and a socket path,
	// or "tcp" and HOST:PORT.
	Network, Addr string
	// Timeout bounds connecting and each read or write (DefaultTimeout
	// when zero).
	Timeout time.Duration
	// ScanTimeout bounds the wait for the verdict once the stream has
	// ended (DefaultScanTimeout when zero): clamd scans what it received
	// only then.
	ScanTimeout time.Duration
}

// New returns a client of the clamd at url: unix:/run/clamav/clamd.ctl (or
// unix:///run/…) or tcp://127.0.0.1:3310. Returns EINVALID for another
// form.
func New(url string) (*Client, error) {
	var c *Client
	if rest, ok := strings.CutPrefix(url, "unix:"); ok {
		c = unixClient(rest)
	} else if rest, ok := strings.CutPrefix(url, "tcp://"); ok {
		c = tcpClient(rest)
	}
	if c == nil {
		return nil, navette.Errorf(navette.EINVALID, "The clamd address must be unix:/PATH/TO/SOCKET or tcp://HOST:PORT, not %q.", url)
	}
	return c, nil
}

// unixClient returns a client of the socket rest names after "unix:" (an
// absolute path, after "//" or not), nil if it is malformed.
func unixClient(rest string) *Client {
	path := strings.TrimPrefix(rest, "//")
	if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, "?#") {
		return nil
	}
	return &Client{Network: "unix", Addr: path}
}

// tcpClient returns a client of the server rest names after "tcp://"
// (HOST:PORT, a trailing slash allowed), nil if it is malformed.
func tcpClient(rest string) *Client {
	hostport := strings.TrimSuffix(rest, "/")
	host, port, err := net.SplitHostPort(hostport)
	if err != nil || host == "" || port == "" || strings.ContainsAny(hostport, "/?#@") {
		return nil
	}
	return &Client{Network: "tcp", Addr: hostport}
}

// String returns the client's address as New takes it.
func (c *Client) String() string {
	if c.Network == "unix" {
		return "unix:" + c.Addr
	}
	return "tcp://" + c.Addr
}

func (c *Client) timeout() time.Duration {
	if c.Timeout > 0 {
		return c.Timeout
	}
	return DefaultTimeout
}

func (c *Client) scanTimeout() time.Duration {
	if c.ScanTimeout > 0 {
		return c.ScanTimeout
	}
	return DefaultScanTimeout
}

// unavailable wraps a failure to get an answer from clamd.
func (c *Client) unavailable(err error, what string) error {
	return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("clamd %s: %s: %w", c, what, err), "The antivirus cannot be reached.")
}

// dial connects to clamd.
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	d := net.Dialer{Timeout: c.timeout()}
	conn, err := d.DialContext(ctx, c.Network, c.Addr)
	if err != nil {
		return nil, c.unavailable(err, "connect")
	}
	return conn, nil
}

// command sends the null-terminated command cmd and returns the answer up
// to its terminating null byte (or the end of the connection), less it.
func (c *Client) command(ctx context.Context, cmd string) (string, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	conn.SetDeadline(time.Now().Add(c.timeout()))
	if _, err := conn.Write([]byte("z" + cmd + "\x00")); err != nil {
		return "", c.unavailable(err, cmd)
	}
	reply, err := readReply(conn)
	if err != nil {
		return "", c.unavailable(err, cmd)
	}
	return reply, nil
}

// readReply reads an answer up to its null byte or the end of the
// connection, at most maxReply bytes.
func readReply(r io.Reader) (string, error) {
	br := bufio.NewReader(io.LimitReader(r, maxReply))
	b, err := br.ReadBytes(0)
	if err == io.EOF && len(b) > 0 {
		err = nil
	}
	if err != nil {
		return "", err
	}
	return string(bytes.TrimRight(b, "\x00\n")), nil
}

// Ping checks that clamd answers PONG.
func (c *Client) Ping(ctx context.Context) error {
	reply, err := c.command(ctx, "PING")
	if err != nil {
		return err
	}
	if reply != "PONG" {
		return c.unavailable(fmt.Errorf("answered %q", clip(reply)), "PING")
	}
	return nil
}

// Version returns clamd's version line: "ClamAV 1.4.6/27000/date" (the
// engine, then the signatures' version and date, if it has official
// ones).
func (c *Client) Version(ctx context.Context) (string, error) {
	reply, err := c.command(ctx, "VERSION")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(reply, "ClamAV ") {
		return "", c.unavailable(fmt.Errorf("answered %q", clip(reply)), "VERSION")
	}
	return navette.CleanDetail(reply), nil
}

// Stats returns clamd's STATS report: its pools, threads and queue, up to
// its END line.
func (c *Client) Stats(ctx context.Context) (string, error) {
	reply, err := c.command(ctx, "STATS")
	if err != nil {
		return "", err
	}
	if !strings.HasPrefix(reply, "POOLS:") || !strings.HasSuffix(reply, "END") {
		return "", c.unavailable(fmt.Errorf("answered %q", clip(reply)), "STATS")
	}
	return reply, nil
}

// StreamLimit reports whether clamd accepts a stream of size bytes (its
// StreamMaxLength is at least size), without sending them: clamd checks a
// chunk's announced length against what is left of its limit before it
// reads the chunk, so a stream announcing size bytes in one chunk is
// refused at once if too long, and otherwise left waiting, then dropped.
// Sizes past a chunk's 4 GiB bound are probed as 4 GiB less one byte.
func (c *Client) StreamLimit(ctx context.Context, size int64) (bool, error) {
	size = min(size, 1<<32-1)
	conn, err := c.dial(ctx)
	if err != nil {
		return false, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Now()) })
	defer stop()
	conn.SetDeadline(time.Now().Add(c.timeout()))
	msg := binary.BigEndian.AppendUint32([]byte("zINSTREAM\x00"), uint32(size))
	if _, err := conn.Write(msg); err != nil {
		return false, c.unavailable(err, "INSTREAM")
	}
	// A refusal comes at once; silence means clamd waits for the chunk.
	wait := min(c.timeout(), time.Second)
	conn.SetReadDeadline(time.Now().Add(wait))
	reply, err := readReply(conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true, nil
	} else if err != nil {
		return false, c.unavailable(err, "INSTREAM")
	}
	v, err := ParseVerdict(reply)
	if err != nil {
		return false, c.unavailable(err, "INSTREAM")
	}
	if v.Check == navette.CheckOverLimit {
		return false, nil
	}
	return false, c.unavailable(fmt.Errorf("answered %q to an empty stream", clip(reply)), "INSTREAM")
}

// Scan starts an INSTREAM scan: write the stream's bytes to it, then Close
// it for the verdict.
func (c *Client) Scan(ctx context.Context) (navette.ScanStream, error) {
	return c.NewStream(ctx)
}

// NewStream is Scan with its concrete type.
func (c *Client) NewStream(ctx context.Context) (*Stream, error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return nil, err
	}
	s := &Stream{c: c, conn: conn}
	conn.SetWriteDeadline(time.Now().Add(c.timeout()))
	if _, err := conn.Write([]byte("zINSTREAM\x00")); err != nil {
		conn.Close()
		return nil, c.unavailable(err, "INSTREAM")
	}
	return s, nil
}

// Stream is one INSTREAM scan in progress. It is not safe for concurrent
// use.
type Stream struct {
	c    *Client
	conn net.Conn
	hdr  [4]byte
	// early is the verdict clamd gave before the end of the stream (a
	// stream over its limit); later writes are dropped.
	early  *navette.ScanVerdict
	err    error // the stream is lost
	closed bool
	// N counts the bytes sent.
	N int64
}

// Write sends p as one or more chunks. Once clamd has refused the stream
// (over its StreamMaxLength) the bytes are dropped and Close returns that
// verdict. Returns EUNAVAILABLE if the stream is lost.
func (s *Stream) Write(p []byte) (int, error) {
	if s.err != nil {
		return 0, s.err
	}
	if s.closed {
		return 0, errors.New("clamav: write to a closed stream")
	}
	if s.early != nil {
		return len(p), nil
	}
	n := 0
	for len(p) > 0 {
		chunk := p[:min(len(p), maxChunk)]
		binary.BigEndian.PutUint32(s.hdr[:], uint32(len(chunk)))
		s.conn.SetWriteDeadline(time.Now().Add(s.c.timeout()))
		bufs := net.Buffers{s.hdr[:], chunk}
		if _, err := bufs.WriteTo(s.conn); err != nil {
			if s.readEarly() {
				return n + len(p), nil
			}
			s.fail(err, "INSTREAM")
			return n, s.err
		}
		n += len(chunk)
		s.N += int64(len(chunk))
		p = p[len(chunk):]
	}
	return n, nil
}

// readEarly reads, after a failed write, the verdict clamd may have sent
// before closing: a stream over its limit.
func (s *Stream) readEarly() bool {
	s.conn.SetReadDeadline(time.Now().Add(min(s.c.timeout(), time.Second)))
	reply, err := readReply(s.conn)
	if err != nil {
		return false
	}
	v, err := ParseVerdict(reply)
	if err != nil || v.Check == navette.CheckClean {
		return false
	}
	s.early = &v
	return true
}

func (s *Stream) fail(err error, what string) {
	s.err = s.c.unavailable(err, what)
	s.conn.Close()
}

// Close ends the stream and returns clamd's verdict, waiting at most the
// client's ScanTimeout. Returns EUNAVAILABLE if there is none.
func (s *Stream) Close() (navette.ScanVerdict, error) {
	if s.err != nil {
		return navette.ScanVerdict{}, s.err
	}
	if s.closed {
		return navette.ScanVerdict{}, errors.New("clamav: stream closed twice")
	}
	s.closed = true
	defer s.conn.Close()
	if s.early != nil {
		return *s.early, nil
	}
	s.conn.SetWriteDeadline(time.Now().Add(s.c.timeout()))
	if _, err := s.conn.Write([]byte{0, 0, 0, 0}); err != nil {
		if s.readEarly() {
			return *s.early, nil
		}
		s.fail(err, "INSTREAM end")
		return navette.ScanVerdict{}, s.err
	}
	s.conn.SetReadDeadline(time.Now().Add(s.c.scanTimeout()))
	reply, err := readReply(s.conn)
	if err != nil {
		s.fail(err, "INSTREAM verdict")
		return navette.ScanVerdict{}, s.err
	}
	v, err := ParseVerdict(reply)
	if err != nil {
		s.fail(err, "INSTREAM verdict")
		return navette.ScanVerdict{}, s.err
	}
	return v, nil
}

// Abort drops the stream: clamd discards what it received.
func (s *Stream) Abort() {
	if !s.closed {
		s.closed = true
		s.conn.Close()
	}
}

// ErrGarbage is returned (wrapped) by ParseVerdict for an answer that is
// not a verdict.
var ErrGarbage = errors.New("not a clamd verdict")

// ParseVerdict reads clamd's answer to INSTREAM, its terminating null byte
// or newline removed or not:
//
//	stream: OK                                  clean
//	stream: NAME FOUND                          infected with NAME
//	stream: Heuristics.Limits.Exceeded.X FOUND  over a limit (AlertExceedsMax)
//	stream: Heuristics.Encrypted.X FOUND        encrypted (AlertEncrypted)
//	INSTREAM size limit exceeded. ERROR         over StreamMaxLength
//	MESSAGE ERROR                               a failed scan
//
// A session's "N: " prefix is allowed. Anything else returns ErrGarbage:
// no verdict at all, never clean.
func ParseVerdict(reply string) (navette.ScanVerdict, error) {
	line := strings.TrimRight(reply, "\x00\r\n")
	if strings.ContainsAny(line, "\x00\n") || len(line) > 1024 {
		return navette.ScanVerdict{}, garbage(line)
	}
	if i := strings.Index(line, ": "); i > 0 && allDigits(line[:i]) {
		line = line[i+2:]
	}
	switch {
	case line == "stream: OK":
		return navette.ScanVerdict{Check: navette.CheckClean}, nil
	case strings.HasPrefix(line, "stream: ") && strings.HasSuffix(line, " FOUND"):
		return foundVerdict(line)
	case strings.HasSuffix(line, " ERROR"):
		return errorVerdict(line)
	}
	return navette.ScanVerdict{}, garbage(line)
}

// foundVerdict reads "stream: NAME FOUND": a file over a limit, encrypted,
// or infected with NAME.
func foundVerdict(line string) (navette.ScanVerdict, error) {
	name := navette.CleanDetail(strings.TrimSuffix(strings.TrimPrefix(line, "stream: "), " FOUND"))
	if name == "" || strings.ContainsRune(name, ' ') {
		return navette.ScanVerdict{}, garbage(line)
	}
	switch {
	case strings.HasPrefix(name, "Heuristics.Limits.Exceeded"):
		return navette.ScanVerdict{Check: navette.CheckOverLimit, Detail: name}, nil
	case strings.HasPrefix(name, "Heuristics.Encrypted"):
		return navette.ScanVerdict{Check: navette.CheckEncrypted, Detail: name}, nil
	}
	return navette.ScanVerdict{Check: navette.CheckInfected, Detail: name}, nil
}

// errorVerdict reads "MESSAGE ERROR": a stream over StreamMaxLength, or a
// failed scan.
func errorVerdict(line string) (navette.ScanVerdict, error) {
	msg := navette.CleanDetail(strings.TrimSuffix(line, " ERROR"))
	if msg == "" {
		return navette.ScanVerdict{}, garbage(line)
	}
	if strings.Contains(msg, "size limit exceeded") {
		return navette.ScanVerdict{Check: navette.CheckOverLimit, Detail: msg}, nil
	}
	return navette.ScanVerdict{Check: navette.CheckFailed, Detail: msg}, nil
}

// garbage is the error of an answer, line, that is not a verdict.
func garbage(line string) error { return fmt.Errorf("%w: %q", ErrGarbage, clip(line)) }

func allDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// clip shortens an answer for an error message.
func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
