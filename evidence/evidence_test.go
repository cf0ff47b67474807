package evidence

import (
	"testing"

	"navette"
	"navette/deposit"
)

func TestParseReceiptID(t *testing.T) {
	id := navette.NewID()
	for _, tc := range []struct {
		in   string
		ok   bool
		leaf int64
	}{
		{id + "-0", true, 0},
		{id + "-1234", true, 1234},
		{id + "-9223372036854775807", true, 9223372036854775807},
		{id + "-9223372036854775808", false, 0},
		{id + "-01", false, 0},
		{id + "--1", false, 0},
		{id + "-", false, 0},
		{id + "-1a", false, 0},
		{id + "-+1", false, 0},
		{id, false, 0},
		{"../etc-1", false, 0},
		{"", false, 0},
	} {
		d, leaf, ok := parseReceiptID(tc.in)
		if ok != tc.ok || (ok && (d != id || leaf != tc.leaf)) {
			t.Errorf("parseReceiptID(%q) = %q, %d, %v", tc.in, d, leaf, ok)
		}
		if ok && ReceiptID(d, leaf) != tc.in {
			t.Errorf("ReceiptID does not give %q back", tc.in)
		}
	}
}

// FuzzParseReceiptID: any path segment parses or is refused without
// panicking, and what parses is written back the same.
func FuzzParseReceiptID(f *testing.F) {
	f.Add(navette.NewID() + "-42")
	f.Add("x-1")
	f.Add("-")
	f.Fuzz(func(t *testing.T, s string) {
		d, leaf, ok := parseReceiptID(s)
		if ok && (leaf < 0 || ReceiptID(d, leaf) != s) {
			t.Errorf("%q parsed as %q, %d", s, d, leaf)
		}
	})
}

func TestSearchMatches(t *testing.T) {
	c := &deposit.Claims{
		Deposit:    &deposit.ClaimsDeposit{Reference: "RG 26/00042 — Dupont c. Lévêque"},
		Sender:     &deposit.ClaimsParty{Name: "Greffe civil", Email: "greffe.civil@justice.example"},
		Recipients: []deposit.ClaimsParty{{Name: "Maître Éloïse Martin", Email: "emartin@avocat.example"}},
	}
	for _, tc := range []struct {
		ref, person string
		want        bool
	}{
		{"", "", true},
		{"rg 26/00042", "", true},
		{"26 42", "", false},
		{"26 00042 dup", "", true},
		{"leveque", "", true},
		{"dupont 26", "", false}, // words in order
		{"", "eloise", true},
		{"", "martin eloise", true},
		{"", "greffe avocat", false}, // one person must match every word
		{"", "emartin@avocat", true},
		{"", "durand", false},
		{"RG", "greffe", true},
	} {
		got := wordsMatch(navette.SearchWords(tc.ref), c.Deposit.Reference) && personMatch(navette.SearchWords(tc.person), c)
		if got != tc.want {
			t.Errorf("reference %q, person %q: %v, want %v", tc.ref, tc.person, got, tc.want)
		}
	}
}
