package httpfile

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		h                 string
		size, off, n      int64
		ok, unsatisfiable bool
	}{
		{"bytes=0-9", 100, 0, 10, true, false},
		{"bytes=90-", 100, 90, 10, true, false},
		{"bytes=-10", 100, 90, 10, true, false},
		{"bytes=-1000", 100, 0, 100, true, false},
		{"bytes=50-1000", 100, 50, 50, true, false},
		{"BYTES = 1-1", 100, 1, 1, true, false},
		{"bytes=100-", 100, 0, 0, true, true},
		{"bytes=-0", 100, 0, 0, true, true},
		{"bytes=0-0", 0, 0, 0, true, true},
		{"bytes=5-4", 100, 0, 0, false, false},
		{"bytes=0-1,3-4", 100, 0, 0, false, false},
		{"items=0-1", 100, 0, 0, false, false},
		{"bytes=a-b", 100, 0, 0, false, false},
		{"bytes=+1-2", 100, 0, 0, false, false},
		{"bytes=99999999999999999999-", 100, 0, 0, false, false},
		{"bytes=", 100, 0, 0, false, false},
		{"", 100, 0, 0, false, false},
		{"bytes=-1", 0, 0, 0, true, true},
	} {
		off, n, ok, uns := ParseRange(tc.h, tc.size)
		if off != tc.off || n != tc.n || ok != tc.ok || uns != tc.unsatisfiable {
			t.Errorf("%q (size %d): got %d,%d,%v,%v, want %d,%d,%v,%v", tc.h, tc.size, off, n, ok, uns, tc.off, tc.n, tc.ok, tc.unsatisfiable)
		}
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"bytes=0-9", "bytes=-5", "bytes=7-", "bytes=1-2,3-4", "bytes=-0", "bytes=9223372036854775807-"} {
		f.Add(s, int64(100))
	}
	f.Fuzz(func(t *testing.T, h string, size int64) {
		if size < 0 {
			size = -size
		}
		if size < 0 {
			return
		}
		off, n, ok, uns := ParseRange(h, size)
		if !ok || uns {
			return
		}
		if off < 0 || n < 1 || off > size-n {
			t.Fatalf("%q size %d: range %d+%d outside the content", h, size, off, n)
		}
	})
}

func TestParseContentRange(t *testing.T) {
	for _, tc := range []struct {
		h                     string
		first, last, complete int64
		ok                    bool
	}{
		{"bytes 10-99/100", 10, 99, 100, true},
		{"bytes 0-0/1", 0, 0, 1, true},
		{"bytes 10-49/100", 10, 49, 100, true},
		{"bytes 0-9223372036854775806/9223372036854775807", 0, 9223372036854775806, 9223372036854775807, true},
		{"bytes 10-99/99", 0, 0, 0, false},
		{"bytes 50-10/100", 0, 0, 0, false},
		{"bytes */100", 0, 0, 0, false},
		{"bytes 10-99/*", 0, 0, 0, false},
		{"bytes -1-99/100", 0, 0, 0, false},
		{"bytes +10-99/100", 0, 0, 0, false},
		{"bytes 10-99/100 ", 0, 0, 0, false},
		{"bytes 10/100", 0, 0, 0, false},
		{"bytes 10-99", 0, 0, 0, false},
		{"items 10-99/100", 0, 0, 0, false},
		{"bytes 0-1/99999999999999999999", 0, 0, 0, false},
		{"", 0, 0, 0, false},
	} {
		first, last, complete, ok := ParseContentRange(tc.h)
		if first != tc.first || last != tc.last || complete != tc.complete || ok != tc.ok {
			t.Errorf("%q: got %d,%d,%d,%v, want %d,%d,%d,%v", tc.h, first, last, complete, ok, tc.first, tc.last, tc.complete, tc.ok)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	for _, s := range []string{"bytes 10-99/100", "bytes 0-0/1", "bytes */100", "bytes 1-2/*", "bytes 0-1/9223372036854775807"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		first, last, complete, ok := ParseContentRange(h)
		if !ok {
			return
		}
		if first < 0 || first > last || last >= complete {
			t.Fatalf("%q: range %d-%d of %d out of order", h, first, last, complete)
		}
		again := fmt.Sprintf("bytes %d-%d/%d", first, last, complete)
		if f2, l2, c2, ok2 := ParseContentRange(again); !ok2 || f2 != first || l2 != last || c2 != complete {
			t.Fatalf("%q parses as %d-%d/%d, but %q does not", h, first, last, complete, again)
		}
	})
}

func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"a.pdf", `"><img src=x onerror=alert(1)>.pdf`, "é è.txt", "a\"b;c\\d%", "\r\nSet-Cookie: x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		cd := ContentDisposition(name)
		if strings.ContainsAny(cd, "\r\n\x00") {
			t.Fatalf("header injection: %q", cd)
		}
		rest := strings.TrimPrefix(cd, `attachment; filename="`)
		q := strings.IndexByte(rest, '"')
		if q < 0 || !strings.HasPrefix(rest[q:], `"; filename*=UTF-8''`) {
			t.Fatalf("malformed: %q", cd)
		}
		for _, c := range []byte(rest[q+len(`"; filename*=UTF-8''`):]) {
			if c <= ' ' || c >= 0x7f || strings.IndexByte(`"'();,/:<=>?@[\]{}`, c) >= 0 {
				t.Fatalf("non attr-char %q in %q", c, cd)
			}
		}
	})
}
