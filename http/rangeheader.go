package http

import (
	"strconv"
	"strings"
)

// parseRange parses an RFC 9110 Range header against a representation of
// the given size. It serves exactly one range: ok is false when the header
// should be ignored (absent, not bytes, several ranges, malformed), and
// unsatisfiable is true when the single range lies outside the content.
func parseRange(h string, size int64) (off, n int64, ok, unsatisfiable bool) {
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
