package i18n

import (
	"testing"

	"navette"
)

func TestCount(t *testing.T) {
	fr, en := navette.LangFrench, navette.LangEnglish
	for _, c := range []struct {
		lang string
		n    int64
		want string
	}{
		{fr, 0, "0\u00a0fichier"},
		{fr, 1, "1\u00a0fichier"},
		{fr, 2, "2\u00a0fichiers"},
		{fr, 1000, "1\u202f000\u00a0fichiers"},
		{fr, 1234567, "1\u202f234\u202f567\u00a0fichiers"},
		{en, 0, "0\u00a0files"},
		{en, 1, "1\u00a0file"},
		{en, 2, "2\u00a0files"},
		{en, 1000, "1,000\u00a0files"},
	} {
		one, other := "fichier", "fichiers"
		if c.lang == en {
			one, other = "file", "files"
		}
		if got := Count(c.lang, c.n, one, other); got != c.want {
			t.Errorf("Count(%q, %d): got %q, want %q", c.lang, c.n, got, c.want)
		}
	}
}

func TestNumber(t *testing.T) {
	for _, c := range []struct {
		n      int64
		fr, en string
	}{
		{0, "0", "0"},
		{999, "999", "999"},
		{1000, "1\u202f000", "1,000"},
		{-1024, "-1\u202f024", "-1,024"},
		{1 << 40, "1\u202f099\u202f511\u202f627\u202f776", "1,099,511,627,776"},
	} {
		if got := Number(navette.LangFrench, c.n); got != c.fr {
			t.Errorf("Number(fr, %d): got %q, want %q", c.n, got, c.fr)
		}
		if got := Number(navette.LangEnglish, c.n); got != c.en {
			t.Errorf("Number(en, %d): got %q, want %q", c.n, got, c.en)
		}
	}
}

func TestSize(t *testing.T) {
	for _, c := range []struct {
		n      int64
		fr, en string
	}{
		{0, "0\u00a0octet", "0\u00a0bytes"},
		{1, "1\u00a0octet", "1\u00a0byte"},
		{2, "2\u00a0octets", "2\u00a0bytes"},
		{999, "999\u00a0octets", "999\u00a0bytes"},
		{1000, "1\u00a0ko", "1\u00a0kB"},
		{1500, "1,5\u00a0ko", "1.5\u00a0kB"},
		{99_950, "100\u00a0ko", "100\u00a0kB"},
		{999_999, "1\u00a0Mo", "1\u00a0MB"},
		{1 << 30, "1,1\u00a0Go", "1.1\u00a0GB"},
		{532_000_000, "532\u00a0Mo", "532\u00a0MB"},
		{5 << 40, "5,5\u00a0To", "5.5\u00a0TB"},
		{-5, "0\u00a0octet", "0\u00a0bytes"},
	} {
		if got := Size(navette.LangFrench, c.n); got != c.fr {
			t.Errorf("Size(fr, %d): got %q, want %q", c.n, got, c.fr)
		}
		if got := Size(navette.LangEnglish, c.n); got != c.en {
			t.Errorf("Size(en, %d): got %q, want %q", c.n, got, c.en)
		}
	}
}

// TestCodes: the characters hidden names are written as their code, the
// others as they are.
func TestCodes(t *testing.T) {
	hidden := func(r rune) bool { return r < 0x20 || r == '\u202e' }
	for _, tc := range []struct{ in, want string }{
		{"conclusions.pdf", "conclusions.pdf"},
		{"conclusions\u202efdp.exe", "conclusions<U+202E>fdp.exe"},
		{"RG\x1b[31m é", "RG<U+001B>[31m é"},
		{"", ""},
	} {
		if got := Codes(tc.in, hidden); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}

// TestLookAlikes: in a word that mixes Latin letters with Cyrillic, Greek,
// Armenian or Cherokee ones, those are written as their code; a word of one
// script, and what is not a letter, are kept.
func TestLookAlikes(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Me Durand", "Me Durand"},
		{"Me Dur\u0430nd", "Me Dur<U+0430>nd"},
		{"durand@\u0430vocats.fr", "durand@<U+0430>vocats.fr"},
		{"pi\u00e8ce n\u00b0 2 \u2014 r\u03bfle.pdf", "pi\u00e8ce n\u00b0 2 \u2014 r<U+03BF>le.pdf"},
		{"\u0418\u0432\u0430\u043d\u043e\u0432 Ivanov", "\u0418\u0432\u0430\u043d\u043e\u0432 Ivanov"},
		{"\u0394\u03b9\u03ba\u03b7", "\u0394\u03b9\u03ba\u03b7"},
		{"", ""},
		{"RG 26/00042", "RG 26/00042"},
	} {
		if got := LookAlikes(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
}
