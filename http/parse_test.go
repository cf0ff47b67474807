package http

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"unicode/utf8"

	tusd "github.com/tus/tusd/v2/pkg/handler"

	"navette"
	"navette/api"
	"navette/deposit"
)

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

// TestDecodeWrongTypes: a body of the wrong JSON type, whole or in one
// field, is told as such, naming the field when there is one.
func TestDecodeWrongTypes(t *testing.T) {
	for body, want := range map[string]string{
		`[]`:                      "The request body is not valid JSON for this request: it is not a JSON object.",
		`"text"`:                  "The request body is not valid JSON for this request: it is not a JSON object.",
		`{"retention_days":"7"}`:  "The request body is not valid JSON for this request: field retention_days has the wrong type.",
		`{"recipients":[1]}`:      "The request body is not valid JSON for this request: field recipients has the wrong type.",
		`{"reference":{"a":"b"}}`: "The request body is not valid JSON for this request: field reference has the wrong type.",
	} {
		r := httptest.NewRequest("POST", api.PathDeposits, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in api.CreateDeposit
		err := decodeJSON(httptest.NewRecorder(), r, &in)
		if got := navette.ErrorMessage(err); got != want {
			t.Errorf("%s: %q, want %q", body, got, want)
		}
	}
}

// TestDecodeDuplicateNames: a body that names a field twice, or in two
// cases (encoding/json matches names regardless of case, the last one
// winning), is refused: a proxy, a log or an integrating system reading the
// first would not see what the server acts on. Nesting deeper than a
// decoder allows is refused too, never a crash.
func TestDecodeDuplicateNames(t *testing.T) {
	for body, ok := range map[string]bool{
		`{"recipients":["a@b.example"],"reference":"R"}`:                           true,
		`{"recipients":["a@b.example"],"Reference":"R"}`:                           true,
		`{"recipients":["a@b.example"],"recipients":["c@d.example"]}`:              false,
		`{"reference":"A","Reference":"B"}`:                                        false,
		`{"reference":"A","REFERENCE":"B"}`:                                        false,
		"{\"recipients\":[\"a@b.example\"],\"recipient\u017f\":[\"c@d.example\"]}": false,
		`{"reference":"A","message":"{\"reference\":\"B\"}"}`:                      true,
		strings.Repeat("[", 100000) + strings.Repeat("]", 100000):                  false,
	} {
		r := httptest.NewRequest("POST", api.PathDeposits, strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var in api.CreateDeposit
		err := decodeJSON(httptest.NewRecorder(), r, &in)
		if ok && err != nil || !ok && navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("%.80s: %v", body, err)
		}
	}
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

// FuzzParseIdempotencyKey: the Idempotency-Key header parser never panics;
// a key it accepts is 1 to deposit.MaxIdempotencyKeyLen printable ASCII
// characters, and quoted again as a structured field String it parses to
// itself; a refusal is EINVALID.
func FuzzParseIdempotencyKey(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\"b\\c"`, `abc`, `""`, `"a\b"`, `"é"`, "\"a\x00\"", `"x" `, ` "x"`, `"` + strings.Repeat("k", 256) + `"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		h := http.Header{}
		h.Add(api.HeaderIdempotencyKey, v)
		key, err := parseIdempotencyKey(h)
		if err != nil {
			if navette.ErrorCode(err) != navette.EINVALID {
				t.Fatalf("%q: got %v, want EINVALID", v, err)
			}
			return
		}
		if key == "" || len(key) > deposit.MaxIdempotencyKeyLen || strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r > 0x7e }) {
			t.Fatalf("%q: accepted %q", v, key)
		}
		quoted := `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(key) + `"`
		h.Set(api.HeaderIdempotencyKey, quoted)
		if again, err := parseIdempotencyKey(h); err != nil || again != key {
			t.Fatalf("%q: %q quoted again as %q parses to %q, %v", v, key, quoted, again, err)
		}
	})
}
