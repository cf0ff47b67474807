package http

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"navette"
)

// Defaults of the bounds on slow clients and concurrent uploads.
const (
	DefaultBodyIdleTimeout    = 60 * time.Second
	DefaultBodyMinRate        = 1024 // bytes per second
	DefaultMaxUploadsPerUser  = 8
	DefaultMaxUploadsPerToken = 4
	DefaultMaxUploadsPerIP    = 64
)

// retryUploadsAfter is the Retry-After of an upload refused for the caps.
const retryUploadsAfter = 10 * time.Second

func (s *Server) bodyIdle() time.Duration {
	if s.BodyIdleTimeout > 0 {
		return s.BodyIdleTimeout
	}
	return DefaultBodyIdleTimeout
}

func (s *Server) bodyMinRate() int64 {
	switch {
	case s.BodyMinRate > 0:
		return s.BodyMinRate
	case s.BodyMinRate < 0:
		return 0
	}
	return DefaultBodyMinRate
}

// pace bounds how slowly a client may send a request body or read an
// answer: no byte for the body idle timeout, either way, and the
// connection is cut; a body arriving slower than the minimum rate, averaged
// over the time spent waiting for it in windows of the idle timeout, is
// cut too. Long transfers at a decent pace are never cut: every deadline
// is set afresh at each read and write.
//
// The handlers below set read deadlines through pacedWriter, and only
// while the body may still be read: a deadline that fired once net/http
// reads the connection in the background, after the body's end, would
// cancel the connection's context (see pacedWriter.SetReadDeadline). A
// deadline already passed stops the body for good (see pacedBody).
func (s *Server) pace(next http.Handler) http.Handler {
	idle, rate := s.bodyIdle(), s.bodyMinRate()
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc := http.NewResponseController(w)
		pw := &pacedWriter{ResponseWriter: w, rc: rc, idle: idle}
		var body *pacedBody
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			_ = rc.SetReadDeadline(time.Now().Add(idle))
			body = &pacedBody{src: r.Body, rc: rc, idle: idle, minRate: rate, left: r.ContentLength}
			pw.body = body
			// A copy: the server must still see its own body in its
			// request, to close a connection whose body was left unread
			// rather than read the rest as the next request.
			r = r.WithContext(r.Context())
			r.Body = body
		}
		next.ServeHTTP(pw, r)
		// The server may still discard what is left of the body, then
		// flush the answer: each as slowly as the rest, no slower.
		now := time.Now()
		if body != nil && !body.done() {
			_ = rc.SetReadDeadline(now.Add(idle))
			_ = rc.SetWriteDeadline(now.Add(2 * idle))
		} else {
			_ = rc.SetWriteDeadline(now.Add(idle))
		}
	})
}

// slowBodyError is what reading a body that stalled or crawled returns. It
// is a timeout, like the connection's own deadline errors, so that callers
// that tell timeouts apart (tusd) treat both alike.
type slowBodyError struct{ msg string }

func (e *slowBodyError) Error() string   { return e.msg }
func (e *slowBodyError) Timeout() bool   { return true }
func (e *slowBodyError) Temporary() bool { return false }

// Is makes the error a deadline error for errors.Is.
func (e *slowBodyError) Is(target error) bool { return target == os.ErrDeadlineExceeded }

var (
	errBodyIdle = &slowBodyError{"the request body stopped arriving"}
	errBodySlow = &slowBodyError{"the request body arrives too slowly"}
)

// isSlowBody reports whether err comes from a body cut for its pace.
func isSlowBody(err error) bool {
	var se *slowBodyError
	return errors.As(err, &se) || errors.Is(err, os.ErrDeadlineExceeded)
}

// pacedBody is a request body read under the idle deadline and the
// minimum rate. It sets the connection's read deadline, its own and those
// of the handlers (pacedWriter), only while the body may still be read,
// under dmu, which no Read holds while it waits for the client:
//
//   - When the body's length is known, no Read can end it but the last,
//     which asks for its last byte alone; the body is "ending" from just
//     before that Read starts, and deadlines are ignored from then on. A
//     deadline set before is cleared by net/http as the body ends; one
//     set after could reach net/http's background read of the connection,
//     which starts inside that Read. The cost: a deadline set to stop the
//     body (tusd's takeover) while the client withholds that very last
//     byte is ignored; the Read waits for that byte or the idle timeout,
//     and the request taking over waits for the upload's lock as long, or
//     until tusd gives up on it (AcquireLockTimeout, 20 s by default:
//     under the default idle timeout, it is answered 503 with a
//     Retry-After, app's tusLock).
//   - When the length is unknown (a chunked body), any Read may end the
//     body: deadlines are ignored once a Read has returned its end, and a
//     deadline set from another goroutine in the window between net/http
//     starting its background read and that Read returning can still
//     cancel the connection. navette refuses a PATCH without a length, and
//     no other request's body is stopped from another goroutine.
//   - A deadline at or before the time it is set (tusd's takeover, a
//     shutdown) stops the body: every later Read fails at once with the
//     idle error, as a read on the bare connection would, instead of
//     pushing the deadline back and waiting for a client that may be gone.
type pacedBody struct {
	src     io.ReadCloser
	rc      *http.ResponseController
	idle    time.Duration
	minRate int64

	// afterRead, if set, is called as each Read of src returns: a test
	// hook, to set a deadline in the window before the end is noted.
	afterRead func(err error)

	mu     sync.Mutex
	left   int64 // bytes of the body not read yet; negative if unknown
	eof    bool
	err    error
	waited time.Duration // time blocked in reads in the current window
	got    int64         // bytes read in the current window

	dmu     sync.Mutex
	ending  bool // the Read that may end the body is under way
	over    bool // read to its end, cut or closed: nothing sets deadlines
	stopped bool // a deadline passed was set: no Read waits any more
}

// done reports whether the body is over (read to its end, cut, closed)
// or stopped. It does not take mu, which a Read holds while it waits for
// the client.
func (b *pacedBody) done() bool {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	return b.over || b.stopped
}

// setReadDeadline sets the connection's read deadline unless the body is
// ending or over; a deadline already passed stops the body.
func (b *pacedBody) setReadDeadline(t time.Time) error {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	if !t.IsZero() && !t.After(time.Now()) {
		b.stopped = true
	}
	if b.ending || b.over {
		return nil
	}
	return b.rc.SetReadDeadline(t)
}

// arm sets the deadline of a Read about to start, and notes whether that
// Read may end the body. Returns false if the body was stopped.
func (b *pacedBody) arm(t time.Time, ending bool) bool {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	if b.stopped {
		return false
	}
	if !b.over {
		_ = b.rc.SetReadDeadline(t)
		b.ending = ending
	}
	return true
}

// settle notes the outcome of a Read: the body is over if it ended.
func (b *pacedBody) settle(over bool) {
	b.dmu.Lock()
	defer b.dmu.Unlock()
	b.ending = false
	b.over = b.over || over
}

// Read reads the body under the idle deadline and the minimum rate.
func (b *pacedBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return 0, b.err
	}
	if b.eof {
		return b.src.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	p, ending := b.clip(p)
	start := time.Now()
	if !b.arm(start.Add(b.idle), ending) {
		return 0, b.cut(errBodyIdle)
	}
	n, err := b.src.Read(p)
	if b.afterRead != nil {
		b.afterRead(err)
	}
	if b.left > 0 {
		b.left -= int64(n)
	}
	switch {
	case err == io.EOF:
		b.eof = true
		b.settle(true)
		return n, err
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, b.cut(errBodyIdle)
	case err != nil:
		b.settle(false)
		return n, err
	}
	b.settle(false)
	return n, b.measure(n, time.Since(start))
}

// clip returns the part of p the next Read may fill, and whether that
// Read may end the body: with a known length, only the Read of the last
// byte may.
func (b *pacedBody) clip(p []byte) ([]byte, bool) {
	switch {
	case b.left == 0 || b.left == 1:
		return p[:1], true
	case b.left > 1 && int64(len(p)) >= b.left:
		return p[:b.left-1], false
	}
	return p, false
}

// cut ends the body with err, which every later Read returns.
func (b *pacedBody) cut(err error) error {
	b.err = err
	b.settle(true)
	return err
}

// measure counts a Read of n bytes that waited d, and cuts a body that
// arrived slower than the minimum rate over a window of the idle timeout.
func (b *pacedBody) measure(n int, d time.Duration) error {
	b.waited += d
	b.got += int64(n)
	if b.waited < b.idle {
		return nil
	}
	if b.minRate > 0 && float64(b.got) < float64(b.minRate)*b.waited.Seconds() {
		// Nothing more is read from this connection: it is closed after
		// the answer.
		_ = b.setReadDeadline(time.Now())
		return b.cut(errBodySlow)
	}
	b.waited, b.got = 0, 0
	return nil
}

// Close closes the body; from then on no deadline is set: closing may
// read the rest of the body, which starts net/http's background read.
func (b *pacedBody) Close() error {
	b.settle(true)
	return b.src.Close()
}

// pacedWriter gives every write to the client the idle timeout: a client
// that reads nothing of an answer for that long is cut, however long the
// whole download takes.
type pacedWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
	set  time.Time  // when the write deadline was last pushed back
	body *pacedBody // the request's body, nil if it has none
}

// SetReadDeadline sets the connection's read deadline for the handlers
// below pace (tusd sets one at every request and after every read of a
// body, and one already passed to stop a body when another request takes
// the upload over) while the request's body may still be read, and
// ignores it once the body's last Read has started (the length known) or
// returned its end (the length unknown), once the body was cut or closed,
// or if there is none. The server then reads the connection in the
// background, to notice a client that goes away; a deadline that fired
// during that read would cancel the context of the connection, not only
// of the request: the request still being served (a PATCH finishing its
// upload) and every later request on the same kept-alive connection would
// run with their context cancelled, and be answered 503. A deadline
// already passed stops the body (see pacedBody). Reads of a body are
// paced by pacedBody.
func (w *pacedWriter) SetReadDeadline(t time.Time) error {
	if w.body == nil {
		return nil
	}
	return w.body.setReadDeadline(t)
}

func (w *pacedWriter) Write(p []byte) (int, error) {
	// Pushing the deadline back at every small write costs a timer
	// update each time: a sixteenth of the timeout is precise enough.
	if now := time.Now(); now.Sub(w.set) > w.idle/16 {
		_ = w.rc.SetWriteDeadline(now.Add(w.idle))
		w.set = now
	}
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (w *pacedWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// uploadSlots counts the uploads in progress by person, token and client
// address.
type uploadSlots struct {
	mu   sync.Mutex
	n    map[string]int
	held int // uploads holding their places
}

// UploadsInProgress returns how many upload requests (tus creations and
// PATCHes) hold their places under the caps now.
func (s *Server) UploadsInProgress() int {
	s.uploads.mu.Lock()
	defer s.uploads.mu.Unlock()
	return s.uploads.held
}

// capUploads bounds the concurrent uploads of each person, API token and
// client address: beyond a cap the upload is refused with 429 and a
// Retry-After, before any of its body is read.
func (s *Server) capUploads(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		type cap struct {
			key   string
			limit int
			msg   string
		}
		caps := []cap{{"ip:" + s.clientIP(r), capOr(s.MaxUploadsPerIP, DefaultMaxUploadsPerIP), "Too many uploads are in progress from your network: try again shortly."}}
		if u := navette.UserFromContext(r.Context()); u != nil {
			caps = append(caps, cap{"user:" + u.ID, capOr(s.MaxUploadsPerUser, DefaultMaxUploadsPerUser), "You have too many uploads in progress: wait for one to end."})
		}
		if scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " "); ok && strings.EqualFold(scheme, "Bearer") {
			sum := sha256.Sum256([]byte(strings.TrimSpace(secret)))
			caps = append(caps, cap{"token:" + hex.EncodeToString(sum[:16]), capOr(s.MaxUploadsPerToken, DefaultMaxUploadsPerToken), "This API token has too many uploads in progress: wait for one to end."})
		}
		sl := &s.uploads
		sl.mu.Lock()
		if sl.n == nil {
			sl.n = map[string]int{}
		}
		for _, c := range caps {
			if c.limit > 0 && sl.n[c.key] >= c.limit {
				sl.mu.Unlock()
				w.Header().Set("Retry-After", strconv.Itoa(int(retryUploadsAfter/time.Second)))
				s.writeError(w, r, navette.Errorf(navette.ETOOMANY, "%s", c.msg))
				return
			}
		}
		for _, c := range caps {
			sl.n[c.key]++
		}
		sl.held++
		sl.mu.Unlock()
		// The place is given back as the answer starts, before the client
		// can read it: its next request, sent at once, finds it free.
		var once sync.Once
		release := func() {
			once.Do(func() {
				sl.mu.Lock()
				for _, c := range caps {
					if sl.n[c.key]--; sl.n[c.key] <= 0 {
						delete(sl.n, c.key)
					}
				}
				sl.held--
				sl.mu.Unlock()
			})
		}
		defer release()
		h(&releasingWriter{ResponseWriter: w, release: release}, r)
	}
}

// releasingWriter calls release when its answer starts.
type releasingWriter struct {
	http.ResponseWriter
	release func()
}

func (w *releasingWriter) WriteHeader(code int) {
	if code >= 200 {
		w.release()
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *releasingWriter) Write(b []byte) (int, error) {
	w.release()
	return w.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the writer underneath.
func (w *releasingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// capOr returns the cap n, def when n is zero; a negative cap is none.
func capOr(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}
