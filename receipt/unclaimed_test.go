package receipt

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"
)

// TestUnclaimedBeforeFiles: an "unclaimed" receipt written before its
// claims listed the files made available and who fetched part of them
// (testdata/unclaimed-v1.json) still verifies, and says who fetched
// nothing as it did.
func TestUnclaimedBeforeFiles(t *testing.T) {
	raw, err := os.ReadFile("testdata/unclaimed-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile("testdata/unclaimed-v1.key")
	if err != nil {
		t.Fatal(err)
	}
	r, err := Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Verify(r, []string{strings.TrimSpace(string(key))}, nil)
	if err != nil {
		t.Fatal(err)
	}
	text := res.Text("fr")
	if !strings.Contains(text, "Non retiré par : Huissier <huissier@etude.test>") || strings.Contains(text, "Retiré en partie") || strings.Contains(text, "Fichiers") {
		t.Errorf("an old unclaimed receipt reads:\n%s", text)
	}
}

// unclaimedClaims are the claims of a deposit of three files that expired
// with a bailiff who fetched none and a lawyer who fetched one.
func unclaimedClaims() Claims {
	var files []File
	for _, n := range []string{"a.pdf", "b.pdf", "c.pdf"} {
		sum := sha256.Sum256([]byte(n))
		files = append(files, File{ID: "f-" + n, Name: n, Size: 5, SHA256: sum[:], Check: "clean"})
	}
	return Claims{Kind: "unclaimed", Deposit: &ClaimsDeposit{ID: "dep1", Reference: "RG 26/7"}, Files: files,
		Recipients:      []Party{{ID: "lawyer", Name: "Me Durand", Kind: "person"}, {ID: "bailiff", Name: "Huissier", Kind: "person"}},
		NotFetchedBy:    []Party{{ID: "bailiff", Name: "Huissier"}},
		PartlyFetchedBy: []Partial{{Party: Party{ID: "lawyer", Name: "Me Durand", Kind: "person"}, Fetched: []string{"f-a.pdf"}, NotFetched: []string{"f-b.pdf", "f-c.pdf"}}}}
}

// TestUnclaimedTellsWhichFiles: the text of an "unclaimed" receipt lists
// the files made available, with their SHA-256, who fetched none, and who
// fetched which and not which, in French and in English.
func TestUnclaimedTellsWhichFiles(t *testing.T) {
	l := newTestLog(t, 1)
	data, sum, err := NewClaims(unclaimedClaims())
	if err != nil {
		t.Fatal(err)
	}
	l.addClaims(Event{Time: Time{time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)}, Type: "deposit.expired", DepositID: "dep1"}, data, sum)
	res, err := Verify(l.receipt(0, 0, nil, false), []string{l.vkey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	sumA := sha256.Sum256([]byte("a.pdf"))
	for lang, want := range map[string][]string{
		"fr": {"Fichiers", "b.pdf", "Non retiré par : Huissier", "Retiré en partie par : Me Durand (personne) — a téléchargé : a.pdf ; n'a pas téléchargé : b.pdf, c.pdf", hex.EncodeToString(sumA[:])},
		"en": {"Files", "Not fetched by: Huissier", "Fetched in part by: Me Durand (person) — downloaded: a.pdf; did not download: b.pdf, c.pdf"},
	} {
		text := res.Text(lang)
		for _, w := range want {
			if !strings.Contains(text, w) {
				t.Errorf("%s: no %q in\n%s", lang, w, text)
			}
		}
	}
}

// TestUnclaimedFetchedAgree: claims that say a recipient fetched, or did
// not, a file that is not among those made available, leave one out, or
// say both of one are refused even when their hash is the event's.
func TestUnclaimedFetchedAgree(t *testing.T) {
	r := &Receipt{Kind: "unclaimed", Event: Event{DepositID: "dep1", Type: "deposit.expired"}}
	if err := new(unclaimedClaims()).agree(r); err != nil {
		t.Fatalf("agree: %v", err)
	}
	for name, f := range map[string]func(p *Partial){
		"an unknown file":  func(p *Partial) { p.NotFetched = append(p.NotFetched, "f-z.pdf") },
		"a file left out":  func(p *Partial) { p.NotFetched = p.NotFetched[:1] },
		"fetched and not":  func(p *Partial) { p.Fetched = append(p.Fetched, "f-b.pdf") },
		"fetched twice":    func(p *Partial) { p.Fetched = append(p.Fetched, "f-a.pdf") },
		"nothing and none": func(p *Partial) { p.Fetched, p.NotFetched = nil, nil },
	} {
		c := unclaimedClaims()
		f(&c.PartlyFetchedBy[0])
		if err := c.agree(r); err == nil {
			t.Errorf("%s: agreed", name)
		}
	}
}

// TestRedactedUnclaimedNamesNobody: the unclaimed receipt every recipient
// gets, its claims withheld, proves only that some recipient had not
// fetched every file by the expiry: its text said "Dépôt non retiré à son
// expiration", which a judge shown it by a lawyer who had fetched it all
// would read as said of that lawyer. It now says that some recipients had
// not fetched the deposit in full, that the receipt names none, and that
// every recipient gets the same one.
func TestRedactedUnclaimedNamesNobody(t *testing.T) {
	l := newTestLog(t, 1)
	i := l.add(Event{Time: Time{time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)}, Type: "deposit.expired", DepositID: "dep1"}, "unclaimed")
	res, err := Verify(l.receipt(i, 0, nil, true), []string{l.vkey}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ lang, want, not string }{
		{"fr", "ce reçu n'en nomme aucun, et chaque destinataire reçoit le même", "Dépôt non retiré à son expiration"},
		{"en", "this receipt names none, and every recipient gets the same one", "Deposit not fetched by its expiry"},
	} {
		text := res.Text(tc.lang)
		if !strings.Contains(text, tc.want) || strings.Contains(text, tc.not) {
			t.Errorf("%s: got\n%s\nwant %q and not %q", tc.lang, text, tc.want, tc.not)
		}
	}
}
