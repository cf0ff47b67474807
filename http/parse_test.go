package http

import (
	"bytes"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/api"
	"navette/deposit"
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
	} {
		off, n, ok, uns := parseRange(tc.h, tc.size)
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
		off, n, ok, uns := parseRange(h, size)
		if !ok || uns {
			return
		}
		if off < 0 || n < 1 || off > size-n {
			t.Fatalf("%q size %d: range %d+%d outside the content", h, size, off, n)
		}
	})
}

// FuzzDecodeCreateDeposit feeds arbitrary bodies to the JSON decoder of
// POST /api/v1/deposits: it never panics and only ever answers with
// EINVALID or ETOOLARGE.
func FuzzDecodeCreateDeposit(f *testing.F) {
	for _, s := range []string{
		`{"recipients":["a@b.example"],"reference":"R","message":"m","retention_days":3}`,
		`{"recipients":[],"reference":""}`, `{}`, `[]`, `null`, `{"x":1}`, `{"recipients":"a"}`, `{"a":1}{}`, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		r := httptest.NewRequest("POST", api.PathDeposits, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in api.CreateDeposit
		err := decodeJSON(httptest.NewRecorder(), r, &in)
		if err != nil {
			if c := navette.ErrorCode(err); c != navette.EINVALID && c != navette.ETOOLARGE {
				t.Fatalf("code %s for %q", c, body)
			}
			if strings.Contains(navette.ErrorMessage(err), string(body)) && len(body) > 8 {
				t.Fatalf("error echoes the input: %q", navette.ErrorMessage(err))
			}
		}
	})
}

// FuzzUploadMetadata parses an Upload-Metadata header the way a creation
// request is handled and checks what may reach storage: a well-formed
// deposit id or nothing, and a file name that is one safe path element.
func FuzzUploadMetadata(f *testing.F) {
	for _, s := range []string{
		"deposit YWJj,filename Zi5iaW4=", "filename Li4vLi4vZXRjL3Bhc3N3ZA==", "deposit", "a b,c", ",,,", "filename IiI+PGltZz4=",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		meta := tusd.ParseMetadataHeader(header)
		name, err := deposit.CleanFileName(meta[api.MetaFilename])
		if err != nil {
			if navette.ErrorCode(err) != navette.EINVALID {
				t.Fatalf("code %s", navette.ErrorCode(err))
			}
			return
		}
		if name == "" || name == "." || name == ".." || strings.ContainsAny(name, "/\\\x00\r\n") || len(name) > deposit.MaxNameLen || !utf8.ValidString(name) {
			t.Fatalf("unsafe name %q accepted from %q", name, header)
		}
	})
}

func FuzzContentDisposition(f *testing.F) {
	for _, s := range []string{"a.pdf", `"><img src=x onerror=alert(1)>.pdf`, "é è.txt", "a\"b;c\\d%", "\r\nSet-Cookie: x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		cd := contentDisposition(name)
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
