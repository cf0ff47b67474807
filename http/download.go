package http

import (
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"navette"
)

func (s *Server) handleDownload(w http.ResponseWriter, r *http.Request) {
	dl, err := s.Deposits.OpenFile(r.Context(), navette.UserFromContext(r.Context()), r.PathValue("id"), r.PathValue("fid"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	size := dl.Size()
	etag := `"sha256-` + hex.EncodeToString(dl.SHA256()) + `"`
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("ETag", etag)
	h.Set("Repr-Digest", "sha-256=:"+base64.StdEncoding.EncodeToString(dl.SHA256())+":")
	h.Set("Cache-Control", "private, no-store")

	off, n, status := int64(0), size, http.StatusOK
	if rh := r.Header.Get("Range"); rh != "" && ifRangeMatches(r.Header.Get("If-Range"), etag) {
		a, k, ok, unsatisfiable := parseRange(rh, size)
		if unsatisfiable {
			h.Set("Content-Range", "bytes */"+strconv.FormatInt(size, 10))
			writeProblem(w, withStatus(problemFor(navette.Errorf(navette.EINVALID, "The requested range is outside the file (%d bytes).", size), r.URL.Path), http.StatusRequestedRangeNotSatisfiable))
			return
		}
		if ok {
			off, n, status = a, k, http.StatusPartialContent
			h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", a, a+k-1, size))
		}
	}
	lw := &lazyWriter{w: w, start: func() {
		h.Set("Content-Type", "application/octet-stream")
		h.Set("Content-Disposition", contentDisposition(dl.Name))
		h.Set("Content-Length", strconv.FormatInt(n, 10))
		w.WriteHeader(status)
	}}
	if r.Method == http.MethodHead {
		lw.begin()
		return
	}
	if err := dl.WriteRange(r.Context(), lw, off, n); err != nil {
		if !lw.started {
			h.Del("Content-Range")
			s.writeError(w, r, err)
			return
		}
		// The answer has begun: cut the connection so the client sees a
		// failed transfer, never a complete one.
		s.log().Error("download aborted", "file", dl.File().ID, "err", err)
		panic(http.ErrAbortHandler)
	}
	lw.begin()
}

// lazyWriter writes the status line only with the first byte, so an
// integrity failure in the first segment still gets a proper error answer.
type lazyWriter struct {
	w       http.ResponseWriter
	start   func()
	started bool
}

func (l *lazyWriter) begin() {
	if !l.started {
		l.started = true
		l.start()
	}
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	l.begin()
	return l.w.Write(p)
}

// ifRangeMatches reports whether a Range may be honoured given If-Range: only
// when it is absent or names the current strong ETag.
func ifRangeMatches(ifRange, etag string) bool {
	return ifRange == "" || ifRange == etag
}

// contentDisposition renders an attachment header per RFC 6266: an ASCII
// fallback with anything unsafe replaced, and the exact name as RFC 8187
// filename*.
func contentDisposition(name string) string {
	var fallback strings.Builder
	for _, r := range name {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' || r == '/' || r == '%' || r == ';' {
			fallback.WriteByte('_')
		} else {
			fallback.WriteRune(r)
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + rfc8187(name)
}

// rfc8187 percent-encodes every byte of s that is not an attr-char.
func rfc8187(s string) string {
	const hexdigits = "0123456789ABCDEF"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			b.WriteByte('%')
			b.WriteByte(hexdigits[c>>4])
			b.WriteByte(hexdigits[c&15])
		}
	}
	return b.String()
}
