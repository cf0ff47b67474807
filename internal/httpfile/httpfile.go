// Package httpfile serves a file over HTTP, for the API and the web pages
// alike (Serve): one Range at most, HEAD, If-Range, ETag and Repr-Digest,
// the headers that keep a browser from running what it downloads, and
// writes flushed to the client one by one so that only what reached the
// connection counts as delivered, and of it, on Linux, only what the
// client's side acknowledged (Settle); and a ZIP archive the same way
// (ServeArchive), its HEAD never a download. It also parses the
// Content-Range of a partial answer (ParseContentRange), for the readers of
// one: the Go client and the S3 blob store.
package httpfile

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"navette"
)

// Content is a file Serve can send: deposit.Download.
type Content interface {
	Size() int64
	SHA256() []byte
	FileName() string
	// WriteRange writes bytes [off, off+n) to w; the bytes w accepts count
	// as delivered, but for the last ones that w's Settle method, when it
	// has one, says the client never acknowledged.
	WriteRange(ctx context.Context, w io.Writer, off, n int64) error
}

// ErrorWriter renders err as the caller's error answer: problem details for
// the API, the error page for the web. An error wrapping ErrUnsatisfiable
// is answered with status 416.
type ErrorWriter func(w http.ResponseWriter, r *http.Request, err error)

// ErrUnsatisfiable is wrapped by the error of a Range outside the file.
var ErrUnsatisfiable = errors.New("range not satisfiable")

// SandboxCSP is the Content-Security-Policy of every answer carrying file
// bytes: should a browser render one anyway, it runs nothing and loads
// nothing.
const SandboxCSP = "sandbox; default-src 'none'"

// SetAttachment sets the headers of an answer that carries file bytes: a
// download under the name given, never rendered, run or cached.
func SetAttachment(h http.Header, name string) {
	h.Set("Content-Security-Policy", SandboxCSP)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Disposition", ContentDisposition(name))
	h.Set("Cache-Control", "private, no-store")
}

// Serve answers a GET or HEAD of c: the whole file, or one range of it
// (several ranges get the whole file, as RFC 9110 allows), honoured only
// if an If-Range names the current ETag. A HEAD gets the headers alone and
// reads nothing, so it is never a download. An error before the first byte
// is rendered by fail; after it, the connection is cut (logged to log) so
// that the client sees a failed transfer, never a complete one.
func Serve(w http.ResponseWriter, r *http.Request, c Content, fail ErrorWriter, log *slog.Logger) {
	size := c.Size()
	etag := `"sha256-` + hex.EncodeToString(c.SHA256()) + `"`
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(c.SHA256())+":")
	h.Set("Cache-Control", "private, no-store")

	off, n, status := int64(0), size, http.StatusOK
	if rh := r.Header.Get("Range"); rh != "" && ifRange(r.Header.Get("If-Range"), etag) {
		a, k, ok, unsatisfiable := ParseRange(rh, size)
		if unsatisfiable {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			fail(w, r, navette.WrapError(navette.EINVALID, ErrUnsatisfiable, "The requested range is outside the file (%d bytes).", size))
			return
		}
		if ok {
			off, n, status = a, k, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+k-1, size))
		}
	}
	lw := &LazyWriter{W: w, Start: func() {
		SetAttachment(h, c.FileName())
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(status)
	}}
	if r.Method == http.MethodHead {
		lw.Begin()
		return
	}
	if err := c.WriteRange(r.Context(), settleWriter(Flushing(lw, w), r), off, n); err != nil {
		failTransfer(w, r, lw, err, fail, log)
		return
	}
	lw.Begin()
	_ = http.NewResponseController(w).Flush()
}

// Archive is a ZIP archive ServeArchive can send: deposit.Bundle.
type Archive interface {
	// Name is the archive's file name.
	Name() string
	// WriteTo writes the archive to w; the files whose bytes w accepted
	// count as delivered.
	WriteTo(ctx context.Context, w io.Writer) error
}

// ServeArchive answers a GET or HEAD of the ZIP archive a, or err, the
// failure to prepare it, rendered by fail. A HEAD gets the headers alone
// and writes nothing of a, so it is never a download. A GET streams a,
// each write flushed to the client so that only what reached the
// connection counts as delivered; a failure cuts the connection (logged to
// log, the default logger if nil) so that the client sees a failed
// transfer, never a complete one.
func ServeArchive(w http.ResponseWriter, r *http.Request, a Archive, err error, fail ErrorWriter, log *slog.Logger) {
	if err != nil {
		fail(w, r, err)
		return
	}
	h := w.Header()
	SetAttachment(h, a.Name())
	h.Set("Content-Type", "application/zip")
	if r.Method == http.MethodHead {
		w.WriteHeader(http.StatusOK)
		return
	}
	if err := a.WriteTo(r.Context(), Flushing(w, w)); err != nil {
		if log == nil {
			log = slog.Default()
		}
		log.ErrorContext(r.Context(), "archive aborted", "path", r.URL.Path, "name", a.Name(), "err", err)
		panic(http.ErrAbortHandler)
	}
}

// failTransfer answers err, the failure of a transfer through lw: rendered
// by fail before the first byte; after it, logged to log (the default
// logger if nil) and the connection cut.
func failTransfer(w http.ResponseWriter, r *http.Request, lw *LazyWriter, err error, fail ErrorWriter, log *slog.Logger) {
	if !lw.Started() {
		w.Header().Del("Content-Range")
		fail(w, r, err)
		return
	}
	if log == nil {
		log = slog.Default()
	}
	if navette.IsCode(err, navette.EGONE) {
		// The deposit was withdrawn or expired while it was served: the
		// service stopped the transfer and journaled it, as it should.
		log.InfoContext(r.Context(), "download cut: the deposit ended", "path", r.URL.Path, "err", err)
	} else {
		log.ErrorContext(r.Context(), "download aborted", "path", r.URL.Path, "err", err)
	}
	panic(http.ErrAbortHandler)
}

// StartedElsewhere reports whether r, a download or a request the
// session cookie alone would authenticate, was started by a page
// of another site than navette's, or of another host of the same site:
// its Sec-Fetch-Site is neither "same-origin" nor "none" (typed,
// bookmarked, opened from the downloads), or, for a browser that sends
// none, its Referer is of another origin than publicURL's and another
// host than the one r was sent to. A request with neither header was not:
// a browser told not to send a Referer and a client that is no browser
// cannot be told apart from the person's own request.
func StartedElsewhere(r *http.Request, publicURL string) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return false
	case "":
	default:
		return true
	}
	ref := r.Header.Get("Referer")
	if ref == "" {
		return false
	}
	u, err := url.Parse(ref)
	if err != nil || u.Host == "" {
		return true
	}
	if pub, err := url.Parse(publicURL); err == nil && pub.Host != "" && strings.EqualFold(u.Scheme+"://"+u.Host, pub.Scheme+"://"+pub.Host) {
		return false
	}
	return !strings.EqualFold(u.Host, r.Host)
}

// ifRange reports whether a Range may be honoured given If-Range: only
// when it is absent or names the current strong ETag (there is no
// Last-Modified, so a date never matches).
func ifRange(h, etag string) bool {
	return h == "" || h == etag
}

// Flushing returns a writer that writes to dst, then flushes rw's answer
// to the connection, so that a write succeeds only once its bytes left the
// server's buffers; a failed flush makes the write count for nothing. If
// rw cannot flush, bytes count once written.
func Flushing(dst io.Writer, rw http.ResponseWriter) io.Writer {
	return &flusher{dst: dst, rc: http.NewResponseController(rw)}
}

type flusher struct {
	dst io.Writer
	rc  *http.ResponseController
}

func (f *flusher) Write(p []byte) (int, error) {
	n, err := f.dst.Write(p)
	if err != nil {
		return n, err
	}
	if err := f.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return 0, err
	}
	return n, nil
}

// ParseRange parses an RFC 9110 Range header against a representation of
// the given size. It serves exactly one range: ok is false when the header
// should be ignored (absent, not bytes, several ranges, malformed), and
// unsatisfiable is true when the single range lies outside the content.
func ParseRange(h string, size int64) (off, n int64, ok, unsatisfiable bool) {
	unit, spec, found := strings.Cut(h, "=")
	if !found || !strings.EqualFold(strings.TrimSpace(unit), "bytes") || strings.Contains(spec, ",") {
		return 0, 0, false, false
	}
	first, last, found := strings.Cut(strings.TrimSpace(spec), "-")
	if !found {
		return 0, 0, false, false
	}
	if first == "" {
		return suffixRange(last, size)
	}
	return boundedRange(first, last, size)
}

// suffixRange is ParseRange for "bytes=-N": the last N bytes.
func suffixRange(last string, size int64) (off, n int64, ok, unsatisfiable bool) {
	k, valid := rangeNumber(last)
	if !valid {
		return 0, 0, false, false
	}
	if k == 0 || size == 0 { // nothing to send the end of
		return 0, 0, true, true
	}
	k = min(k, size)
	return size - k, k, true, false
}

// boundedRange is ParseRange for "bytes=A-B" and "bytes=A-".
func boundedRange(first, last string, size int64) (off, n int64, ok, unsatisfiable bool) {
	a, valid := rangeNumber(first)
	if !valid {
		return 0, 0, false, false
	}
	b := size - 1
	if last != "" {
		if b, valid = rangeNumber(last); !valid || b < a {
			return 0, 0, false, false
		}
	}
	if a >= size {
		return 0, 0, true, true
	}
	b = min(b, size-1)
	return a, b - a + 1, true, false
}

// ParseContentRange parses the Content-Range header of a partial answer,
// "bytes FIRST-LAST/COMPLETE" (RFC 9110 §14.4), for what reads one: the
// Go client resuming a download, the S3 blob store reading a range.
// ok is false for anything else: an unsatisfied range ("bytes */N"), an
// unknown length ("/*"), numbers that are not digits alone, or positions
// out of order (FIRST ≤ LAST < COMPLETE must hold).
func ParseContentRange(h string) (first, last, complete int64, ok bool) {
	rest, found := strings.CutPrefix(h, "bytes ")
	if !found {
		return 0, 0, 0, false
	}
	rng, total, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, 0, false
	}
	a, b, found := strings.Cut(rng, "-")
	first, okFirst := rangeNumber(a)
	last, okLast := rangeNumber(b)
	complete, okComplete := rangeNumber(total)
	if !found || !okFirst || !okLast || !okComplete || first > last || last >= complete {
		return 0, 0, 0, false
	}
	return first, last, complete, true
}

// rangeNumber parses a byte position of a Range or Content-Range header:
// decimal digits only, no sign, no more than an int64 holds.
func rangeNumber(s string) (int64, bool) {
	if s == "" || len(s) > 19 || strings.TrimLeft(s, "0123456789") != "" {
		return 0, false
	}
	v, err := strconv.ParseInt(s, 10, 64)
	return v, err == nil
}

// ContentDisposition renders an attachment header per RFC 6266: an ASCII
// fallback with anything unsafe replaced, and the exact name as RFC 8187
// filename*.
func ContentDisposition(name string) string {
	var fallback strings.Builder
	for _, r := range name {
		if fallbackSafe(r) {
			fallback.WriteRune(r)
		} else {
			fallback.WriteByte('_')
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + rfc8187(name)
}

// fallbackSafe reports whether r may stand in the quoted ASCII filename
// of a Content-Disposition: printable ASCII but a quote, a backslash, a
// slash, a percent sign or a semicolon.
func fallbackSafe(r rune) bool {
	return r >= 0x20 && r <= 0x7e && !strings.ContainsRune(`"\/%;`, r)
}

// rfc8187 percent-encodes every byte of s that is not an attr-char.
func rfc8187(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if attrChar(c) {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&15])
		}
	}
	return b.String()
}

// attrChar reports whether c is an attr-char of RFC 8187: a letter, a
// digit or one of !#$&+-.^_`|~.
func attrChar(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// LazyWriter writes the status line only with the first byte, so that an
// integrity failure in the first segment still gets a proper error answer.
type LazyWriter struct {
	W http.ResponseWriter
	// Start sets the headers and writes the status line.
	Start   func()
	started bool
}

// Begin writes the status line if it was not written yet.
func (l *LazyWriter) Begin() {
	if !l.started {
		l.started = true
		l.Start()
	}
}

// Started reports whether the status line was written.
func (l *LazyWriter) Started() bool { return l.started }

// Write writes p, after the status line if it is the first write.
func (l *LazyWriter) Write(p []byte) (int, error) {
	l.Begin()
	return l.W.Write(p)
}
