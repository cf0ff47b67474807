package directory

import (
	"strings"
	"testing"
)

func sampleReport() *Report {
	return &Report{
		Source:    "lawyers",
		Added:     []Change{{Line: 12, ExternalID: "12345", Email: "marie.leveque@avocat.example", Name: "Marie Lévêque"}},
		Updated:   []Change{{Line: 13, ExternalID: "12346", Email: "jean.dupont@avocat.example", Name: "Jean Dupont", Fields: []string{"email", "name"}}},
		Revoked:   []Change{{Line: 14, ExternalID: "12347", Email: "luc.petit@avocat.example", Name: "Luc Petit", Reason: "omis"}, {ExternalID: "12348", Email: "anne.roux@avocat.example", Name: "Anne Roux", Reason: "absent"}},
		Restored:  []Change{{Line: 15, ExternalID: "12349", Email: "eve.morel@avocat.example", Name: "Ève Morel"}},
		Unchanged: 40,
		Applied:   true,
	}
}

func TestWriteText(t *testing.T) {
	var b strings.Builder
	if err := sampleReport().WriteText(&b); err != nil {
		t.Fatal(err)
	}
	want := `lawyers: added 1, updated 1, revoked 2, restored 1, unchanged 40, ignored 0
+ line 12 id 12345 Marie Lévêque <marie.leveque@avocat.example>
~ line 13 id 12346 Jean Dupont <jean.dupont@avocat.example> (email, name)
- line 14 id 12347 Luc Petit <luc.petit@avocat.example> (omis)
- id 12348 Anne Roux <anne.roux@avocat.example> (absent)
↺ line 15 id 12349 Ève Morel <eve.morel@avocat.example>
`
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}

	b.Reset()
	(&Report{Source: "lawyers", Unchanged: 3}).WriteText(&b)
	if want := "lawyers: added 0, updated 0, revoked 0, restored 0, unchanged 3, ignored 0 (not applied)\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}
