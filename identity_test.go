package navette

import (
	"slices"
	"testing"
	"unicode"
)

func TestSearchWords(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"Lévêque", []string{"leveque"}},
		{"Lévêque-Dupont d'Æthel", []string{"leveque", "dupont", "d", "aethel"}},
		{"ŒUVRE  Straße", []string{"oeuvre", "strasse"}},
		{"greffe.correctionnel@justice.example", []string{"greffe", "correctionnel", "justice", "example"}},
		{"", nil},
		{"  --  ", nil},
		{"ϔ ﬁlle ＡＢＣ", []string{"υ", "fille", "abc"}}, // compatibility forms unfolded
	} {
		if got := SearchWords(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("%q: got %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzSearchWords feeds recipient searches: words are never empty, lower
// case letters and digits only, and searching a word finds itself.
func FuzzSearchWords(f *testing.F) {
	for _, s := range []string{"Lévêque", "d'Æthel", "١٢٣", "İstanbul", "ǅ", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		for _, w := range SearchWords(in) {
			if w == "" {
				t.Fatalf("%q: empty word", in)
			}
			for _, r := range w {
				if !(unicode.IsLetter(r) || unicode.IsDigit(r)) || unicode.IsUpper(r) {
					t.Fatalf("%q: word %q holds %q", in, w, r)
				}
			}
		}
	})
}
