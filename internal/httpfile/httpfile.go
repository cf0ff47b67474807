// Package httpfile holds what the API and the web pages share to serve a
// file over HTTP: the Range header, the Content-Disposition of an
// attachment, and a writer that sends the status line only with the first
// byte.
package httpfile

import (
	"net/http"
	"strconv"
	"strings"
)

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
	num := func(s string) (int64, bool) {
		if s == "" || len(s) > 19 || strings.TrimLeft(s, "0123456789") != "" {
			return 0, false
		}
		v, err := strconv.ParseInt(s, 10, 64)
		return v, err == nil
	}
	if first == "" { // suffix: the last N bytes
		k, valid := num(last)
		if !valid {
			return 0, 0, false, false
		}
		if k == 0 {
			return 0, 0, true, true
		}
		k = min(k, size)
		return size - k, k, true, false
	}
	a, valid := num(first)
	if !valid {
		return 0, 0, false, false
	}
	b := size - 1
	if last != "" {
		if b, valid = num(last); !valid || b < a {
			return 0, 0, false, false
		}
	}
	if a >= size {
		return 0, 0, true, true
	}
	b = min(b, size-1)
	return a, b - a + 1, true, false
}

// ContentDisposition renders an attachment header per RFC 6266: an ASCII
// fallback with anything unsafe replaced, and the exact name as RFC 8187
// filename*.
func ContentDisposition(name string) string {
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
