package client

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"navette"
)

var digest = sha256.Sum256([]byte("navette"))
var b64 = base64.StdEncoding.EncodeToString(digest[:])

func TestParseReprDigest(t *testing.T) {
	raw := strings.TrimRight(b64, "=")
	good := map[string]string{
		"sha-256=:" + b64 + ":":                                                   "ok",
		"sha-256=:" + raw + ":":                                                   "ok", // padding is optional
		"  sha-256=:" + b64 + ":  ":                                               "ok",
		"sha-512=:AAAA:, sha-256=:" + b64 + ":":                                   "ok",
		"sha-256=:" + b64 + ":;p=1;q":                                             "ok",
		"unixsum=30637, sha-256=:" + b64 + ":,\tmd5=?1":                           "ok",
		"a=(1 2.5 \"s\" tok :AA==: ?0 @1 %\"%c3%a9\");x=y, sha-256=:" + b64 + ":": "ok",
		"sha-256=:AAAA:, sha-256=:" + b64 + ":":                                   "ok", // the last one wins
		"sha-512=:AAAA:":                                                          "none",
		"":                                                                        "none",
	}
	for in, want := range good {
		sum, err := ParseReprDigest([]string{in})
		switch {
		case err != nil:
			t.Errorf("%q: %v", in, err)
		case want == "ok" && !bytes.Equal(sum, digest[:]):
			t.Errorf("%q: sum %x", in, sum)
		case want == "none" && sum != nil:
			t.Errorf("%q: sum %x, want none", in, sum)
		}
	}
	if sum, err := ParseReprDigest([]string{"sha-512=:AAAA:", "sha-256=:" + b64 + ":"}); err != nil || !bytes.Equal(sum, digest[:]) {
		t.Errorf("two lines: %x %v", sum, err)
	}
	if sum, err := ParseReprDigest(nil); sum != nil || err != nil {
		t.Errorf("absent: %x %v", sum, err)
	}
	for _, in := range []string{
		"sha-256=" + b64,                              // not a byte sequence
		"sha-256=\"" + b64 + "\"",                     // a string
		"sha-256=:AAAA:",                              // 3 bytes
		"sha-256=:" + b64,                             // unterminated
		"sha-256=:" + b64 + ":,",                      // trailing comma
		"sha-256=:" + b64 + ": x",                     // junk
		"SHA-256=:" + b64 + ":",                       // keys are lower case
		"sha-256=:" + b64[:10] + "*" + b64[11:] + ":", // bad character
		"sha-256=:" + b64 + "==:",                     // too much padding
		"sha-256=:A=AA:",                              // padding inside
		"sha-256=(:" + b64 + ":)",                     // inner list
		"sha-256=:" + b64 + ":, x=\"unterminated",     // whole field fails
		"sha-256=:" + b64 + ":, x=1.2345",             // bad decimal
		"sha-256=:" + b64 + ":, x=1234567890123456",   // integer too long
		"sha-256=:" + b64 + ":, x=%\"%C3\"",           // upper-case hex in display string
		"sha-256=:" + b64 + ":, x=@1.5",               // decimal date
		"\tsha-256=:" + b64 + ":",                     // leading tab
	} {
		if sum, err := ParseReprDigest([]string{in}); err == nil {
			t.Errorf("%q accepted: %x", in, sum)
		}
	}
}

func FuzzParseReprDigest(f *testing.F) {
	f.Add("sha-256=:" + b64 + ":")
	f.Add("sha-512=:AAAA:, sha-256=:" + b64 + ":;a=1")
	f.Add(`a=(1 "x" ?1);b, c=%"%c3%a9", d=@-12, e=-1.5`)
	f.Add("sha-256=:")
	f.Fuzz(func(t *testing.T, s string) {
		sum, err := ParseReprDigest([]string{s})
		if err == nil && sum != nil && len(sum) != sha256.Size {
			t.Fatalf("%q: %d-byte digest", s, len(sum))
		}
		if err == nil && sum != nil {
			// Whatever was accepted formats back to an accepted field.
			again, err := ParseReprDigest([]string{FormatReprDigest(sum)})
			if err != nil || !bytes.Equal(again, sum) {
				t.Fatalf("round trip of %x: %x %v", sum, again, err)
			}
		}
	})
}

func TestParseProblem(t *testing.T) {
	e := parseProblem(404, "application/problem+json; charset=utf-8", []byte(`{"type":"about:blank","title":"Not Found","status":404,"detail":"No such deposit.","code":"not_found"}`))
	if e.Code != navette.ENOTFOUND || e.Message != "No such deposit." {
		t.Errorf("%+v", e)
	}
	e = parseProblem(403, problemCT, []byte(`{"title":"Forbidden","code":"forbidden"}`))
	if e.Code != navette.EFORBIDDEN || e.Message != "Forbidden" {
		t.Errorf("%+v", e)
	}
	e = parseProblem(502, "text/html", []byte(`<html>Bad gateway</html>`))
	if e.Code != navette.EUNAVAILABLE || e.Message != "the server answered 502 Bad Gateway" {
		t.Errorf("%+v", e)
	}
	e = parseProblem(200, "text/html", []byte(`<html>Welcome</html>`))
	if e.Message != "the server answered 200 OK, which is not an answer of the navette API; is the server URL right?" {
		t.Errorf("%+v", e)
	}
	e = parseProblem(400, problemCT, []byte(`{"detail":"bad\u001b[31m red\u202e\nline","code":"EVIL CODE"}`))
	if e.Code != navette.EINVALID || e.Message != "bad [31m red line" {
		t.Errorf("%+v", e)
	}
}

const problemCT = "application/problem+json"

func FuzzParseProblem(f *testing.F) {
	f.Add(404, problemCT, []byte(`{"detail":"No such deposit.","code":"not_found"}`))
	f.Add(500, "text/plain", []byte("oops"))
	f.Add(799, "application/json", []byte(`{"title":"\u0000x"}`))
	f.Fuzz(func(t *testing.T, status int, ct string, body []byte) {
		e := parseProblem(status, ct, body)
		if e == nil || !validCode(e.Code) || e.Message == "" || len(e.Message) > 500 && !strings.HasPrefix(e.Message, "the server answered") {
			t.Fatalf("%#v", e)
		}
		if !utf8.ValidString(e.Message) {
			t.Fatalf("invalid UTF-8 %q", e.Message)
		}
		for _, r := range e.Message {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("control character in %q", e.Message)
			}
		}
	})
}

func TestContentDispositionName(t *testing.T) {
	for h, want := range map[string]string{
		`attachment; filename*=UTF-8''%E2%82%AC%20rates.pdf`:               "€ rates.pdf",
		`attachment; filename="plain.pdf"; filename*=UTF-8''%E2%82%AC.pdf`: "€.pdf",
		`attachment; filename="plain.pdf"`:                                 "plain.pdf",
		`attachment; filename*=UTF-8''..%2F..%2Fetc%2Fpasswd`:              "../../etc/passwd",
		`attachment`:           "",
		`attachment; =`:        "",
		``:                     "",
		`attachment; filename`: "",
	} {
		if got := contentDispositionName(h); got != want {
			t.Errorf("%q: %q, want %q", h, got, want)
		}
	}
}

func FuzzContentDispositionName(f *testing.F) {
	f.Add(`attachment; filename*=UTF-8''%E2%82%AC.pdf`)
	f.Add(`attachment; filename="a\"b"; filename*=utf-8'en'x`)
	f.Fuzz(func(t *testing.T, h string) {
		_ = contentDispositionName(h) // must not panic; the name is sanitized by the caller
	})
}

func TestParseContentRange(t *testing.T) {
	if s, n, err := parseContentRange("bytes 10-99/100"); err != nil || s != 10 || n != 100 {
		t.Errorf("%d %d %v", s, n, err)
	}
	for _, in := range []string{"bytes 10-98/100", "bytes */100", "bytes 10-99/*", "bytes -1-99/100", "items 10-99/100", "bytes 10-99/100 ", "bytes +10-99/100"} {
		if _, _, err := parseContentRange(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

func FuzzParseContentRange(f *testing.F) {
	f.Add("bytes 10-99/100")
	f.Fuzz(func(t *testing.T, s string) {
		start, total, err := parseContentRange(s)
		if err == nil && (start < 0 || start >= total) {
			t.Fatalf("%q: %d %d", s, start, total)
		}
	})
}

func TestCleanText(t *testing.T) {
	for _, tc := range []struct {
		in   string
		max  int
		want string
	}{
		{"a\x1b]0;title\x07b\u202e  c\n", 80, "a ]0;title b c"},
		{"  \t x \r\n y \u200b", 80, "x y"},
		{"ab\xffc", 80, "ab\uFFFDc"},
		{"ab écd", 4, "ab "},
		{"ab écd", 5, "ab é"},
		{"abcdef", 0, ""},
	} {
		if got := cleanText(tc.in, tc.max); got != tc.want {
			t.Errorf("cleanText(%q, %d) = %q, want %q", tc.in, tc.max, got, tc.want)
		}
	}
}

func FuzzCleanText(f *testing.F) {
	f.Add("a\x1b[31mb\u202ec\n d", 5)
	f.Fuzz(func(t *testing.T, s string, max int) {
		if max < 0 {
			return
		}
		got := cleanText(s, max)
		if len(got) > max || !utf8.ValidString(got) || strings.ContainsFunc(got, func(r rune) bool {
			return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) || r != ' ' && unicode.IsSpace(r)
		}) {
			t.Fatalf("cleanText(%q, %d) = %q", s, max, got)
		}
	})
}
