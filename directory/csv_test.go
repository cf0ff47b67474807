package directory

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"navette"
)

func parseFile(t *testing.T, name string, m Mapping) ([]Entry, error) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return Parse(f, m)
}

func TestParseSample(t *testing.T) {
	entries, err := parseFile(t, "lawyers-sample.csv", LawyersMapping())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	if len(entries) != 40 {
		t.Fatalf("got %d entries, want 40", len(entries))
	}
	want := Entry{
		Line: 2, ExternalID: "100000", Email: "stephane.durand.100000@avocat.example",
		Name: "Stéphane Durand; et associés", Org: "Amiens", Status: "actif", Active: true,
		Role: navette.RolePartner, Kind: "lawyer",
	}
	if entries[0] != want {
		t.Errorf("first entry: got %+v, want %+v", entries[0], want)
	}
	last := entries[39]
	if last.Line != 41 || last.ExternalID != "100039" || last.Name != "Zoé Dubois" {
		t.Errorf("last entry: got %+v", last)
	}
}

func TestParseSameAsSample(t *testing.T) {
	want, err := parseFile(t, "lawyers-sample.csv", LawyersMapping())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"lawyers-bom.csv", "lawyers-crlf.csv"} {
		got, err := parseFile(t, name, LawyersMapping())
		if err != nil {
			t.Errorf("%q: got %v, want no error", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%q: got %+v, want the entries of the sample", name, got)
		}
	}
}

func TestParseQuoted(t *testing.T) {
	got, err := parseFile(t, "lawyers-quoted.csv", LawyersMapping())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []struct {
		line            int
		id, name, email string
		org, status     string
		active          bool
	}{
		{2, "200001", "Jean-Marc Durand; Petit & associés", "jm.durand@avocat.example", "Paris", "actif", true},
		{3, "200002", `Seán O'Brien "dit le Juste"`, "sean.obrien@avocat.example", "Lyon", "actif", true},
		{4, "200003", "Marie Lévêque", "marie.leveque@avocat.example", "Amiens", "actif", true},
		{5, "200004", "Nathan Da Silva", "nathan.dasilva@avocat.example", "Saint-Denis de la Réunion", "omis", false},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries, want %d", len(got), len(want))
	}
	for i, w := range want {
		g := got[i]
		if g.Line != w.line || g.ExternalID != w.id || g.Name != w.name || g.Email != w.email || g.Org != w.org || g.Status != w.status || g.Active != w.active {
			t.Errorf("entry %d: got %+v, want %+v", i, g, w)
		}
	}
}

func TestParseStatusesAndColumns(t *testing.T) {
	got, err := parseFile(t, "lawyers-statuses.csv", LawyersMapping())
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	var active []string
	for _, e := range got {
		if e.Active {
			active = append(active, e.ExternalID+" "+e.Status)
		}
	}
	if want := []string{"300001 actif", "300005 actif"}; !slices.Equal(active, want) {
		t.Errorf("active: got %q, want %q", active, want)
	}
	if got[2].Name != "Chloé Petit" || got[2].Email != "c.petit@avocat.example" || got[2].Status != "suspendu" {
		t.Errorf("reordered columns: got %+v", got[2])
	}
	// Statuses compare ignoring case and accents: "RADIÉ" is "radie".
	if got[5].Status != "radié" || got[5].Active {
		t.Errorf("an accented status: got %+v", got[5])
	}
}

func TestParseOtherMapping(t *testing.T) {
	m := Mapping{Source: "experts", Kind: "expert", Separator: ',', ExternalID: "numero", LastName: "nom complet", Email: "courriel", Status: "etat",
		ActiveStatuses: []string{"inscrit"}, KnownStatuses: []string{"retire"}}
	in := "Numero,Nom complet,Courriel,Etat\n" +
		"E1,\"Dupont, Jean\",jean.dupont@expert.example,inscrit\n" +
		"E2,Durand Anne,anne.durand@expert.example,retire\n"
	got, err := Parse(strings.NewReader(in), m)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	want := []Entry{
		{Line: 2, ExternalID: "E1", Email: "jean.dupont@expert.example", Name: "Dupont, Jean", Status: "inscrit", Active: true, Role: navette.RolePartner, Kind: "expert"},
		{Line: 3, ExternalID: "E2", Email: "anne.durand@expert.example", Name: "Durand Anne", Status: "retire", Role: navette.RolePartner, Kind: "expert"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}

	m.Status = ""
	got, err = Parse(strings.NewReader(in), m)
	if err != nil || !got[1].Active || got[1].Status != "" {
		t.Errorf("without a status column: got %+v, %v; want everyone active", got, err)
	}
}

func TestParseCleansText(t *testing.T) {
	const header = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"
	tests := []struct {
		row, name, org string
	}{
		{"1;  Le   Goff ;Marie;Paris;m@avocat.example;actif;", "Marie Le Goff", "Paris"},
		{"1;Le\u00a0Goff;Marie;Saint\u00a0Denis;m@avocat.example;actif;", "Marie Le Goff", "Saint Denis"},
		{"1;Le\u0301veque;Marie;Paris;m@avocat.example;actif;", "Marie Léveque", "Paris"}, // decomposed accent
		{"1;Dupont;;Paris;m@avocat.example;actif;", "Dupont", "Paris"},
	}
	for _, tt := range tests {
		got, err := Parse(strings.NewReader(header+tt.row), LawyersMapping())
		if err != nil {
			t.Errorf("%q: got %v, want no error", tt.row, err)
			continue
		}
		if got[0].Name != tt.name || got[0].Org != tt.org {
			t.Errorf("%q: got %q, %q, want %q, %q", tt.row, got[0].Name, got[0].Org, tt.name, tt.org)
		}
	}
}

func TestParseHeaderOnly(t *testing.T) {
	got, err := Parse(strings.NewReader("cnbf;nom;prenom;barreau;email;statut;date_maj\r\n"), LawyersMapping())
	if err != nil || len(got) != 0 {
		t.Errorf("got %v, %v, want no entries and no error", got, err)
	}
}

// refused checks that err is an EINVALID *ParseError whose problems are on
// the given lines and mention the given words.
func refused(t *testing.T, what string, err error, lines []int, words []string) {
	t.Helper()
	if code := navette.ErrorCode(err); code != navette.EINVALID {
		t.Errorf("%q: got %v (code %q), want %q", what, err, code, navette.EINVALID)
		return
	}
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Errorf("%q: got %T %v, want a *ParseError", what, err, err)
		return
	}
	var got []int
	for _, p := range pe.Problems {
		got = append(got, p.Line)
	}
	if !slices.Equal(got, lines) {
		t.Errorf("%q: got problems on lines %v, want %v: %v", what, got, lines, err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q: got %v, want it to mention %q", what, err, w)
		}
	}
}

func TestParseRefusedFiles(t *testing.T) {
	tests := []struct {
		file  string
		lines []int
		words []string
	}{
		{"lawyers-latin1.csv", []int{2, 3, 4, 5, 6}, []string{"line 2: byte 0xE9", "UTF-8", "Latin-1"}},
		{"lawyers-missing-column.csv", []int{1}, []string{`no column "email"`, `"statut"`}},
		{"lawyers-duplicate.csv", []int{7, 8}, []string{"line 7: the cnbf 100002 is also on line 4", "line 8: the e-mail marie.lefevre.100001@avocat.example is also on line 3"}},
		{"lawyers-bad-email.csv", []int{5, 6, 7}, []string{`line 5: "paul.martin.avocat.example" is not a valid e-mail`, `line 6: "anne martin@avocat.example"`, `line 7: the field "email" is empty`}},
		{"lawyers-unknown-status.csv", []int{4}, []string{`the status "retraite" is unknown (known: actif, omis, radie, suspendu)`}},
	}
	for _, tt := range tests {
		_, err := parseFile(t, tt.file, LawyersMapping())
		refused(t, tt.file, err, tt.lines, tt.words)
	}
}

func TestParseRefused(t *testing.T) {
	const header = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"
	const ok = "1;Dupont;Jean;Paris;j@avocat.example;actif;2026-11-01\n"
	long := strings.Repeat("é", 51)
	tests := []struct {
		in    string
		lines []int
		words []string
	}{
		{"", []int{0}, []string{"empty"}},
		{"\xef\xbb\xbf", []int{0}, []string{"empty"}},
		{"cnbf,nom,prenom,barreau,email,statut,date_maj\n", []int{1}, []string{"check the separator"}},
		{"cnbf;nom;nom;prenom;barreau;email;statut;date_maj\n", []int{1}, []string{`"nom" appears more than once`}},
		{"cnbf;n\xe9m;email\n", []int{1}, []string{"not UTF-8"}},
		{header + ok + "2;Dupont;Jean;Paris;k@avocat.example;actif\n", []int{3}, []string{"6 fields, the header 7"}},
		{header + ok + ";Dupont;Jean;Paris;k@avocat.example;actif;\n", []int{3}, []string{`"cnbf" is empty`}},
		{header + ok + "2; ;Jean;Paris;k@avocat.example;actif;\n", []int{3}, []string{`"nom" is empty`}},
		{header + ok + "2;Dupont;Jean;Paris;k@avocat.example;;\n", []int{3}, []string{`"statut" is empty`}},
		{header + ok + "2;Dupont;Jean;Paris;k@avocat.example;actif;\n" + "3;Dupont;Jean;Paris;K@AVOCAT.EXAMPLE;omis;\n", []int{4}, []string{"line 4: the e-mail k@avocat.example is also on line 3"}},
		{header + "1;Du\x00pont;Jean;Paris;j@avocat.example;actif;\n", []int{2}, []string{`"nom" holds a control`}},
		{header + "1;Dupont;Je\u202ean;Paris;j@avocat.example;actif;\n", []int{2}, []string{`"prenom" holds a control or invisible`}},
		{header + "1;Dupont;Jean;Pa\ufffdris;j@avocat.example;actif;\n", []int{2}, []string{`"barreau" holds`}},
		{header + "1;\"Dupont\nJean\";Jean;Paris;j@avocat.example;actif;\n", []int{2}, []string{`"nom" holds a control`}},
		{header + "1;" + long + ";Jean;Paris;j@avocat.example;actif;\n", []int{2}, []string{`"nom" is longer than 100 bytes`}},
		{header + strings.Repeat("1", 65) + ";Dupont;Jean;Paris;j@avocat.example;actif;\n", []int{2}, []string{`"cnbf" is longer`}},
		{header + "1;Dupont;Jean;Paris;j@avocat.example;actif;\n2;Du\"pont;Jean;Paris;k@avocat.example;actif;\n3;Durand;Luc;Paris;l@avocat.example;ACTIVE;\n", []int{3, 4}, []string{"line 3: a quote appears inside a field", `line 4: the status "active" is unknown`}},
		{header + "1;\"Dupont\"x;Jean;Paris;j@avocat.example;actif;\n", []int{2}, []string{"quoted field"}},
		{header + "1;\"Dupont;Jean;Paris;j@avocat.example;actif;\n2;Durand;Luc;Paris;l@avocat.example;actif;\n", []int{2}, []string{"quoted field"}},
		{header + "1;Dupont;Jean;Paris;j@avocat.example;actif;\n2;\"Du\nr\xe9nd\";Luc;Paris;l@avocat.example;actif;\n", []int{4}, []string{`byte 0xE9 in column "nom"`}},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.in), LawyersMapping())
		refused(t, tt.in, err, tt.lines, tt.words)
	}
}

func TestParseErrorMessage(t *testing.T) {
	var b strings.Builder
	b.WriteString("cnbf;nom;prenom;barreau;email;statut;date_maj\n")
	for i := range 150 {
		fmt.Fprintf(&b, "%d;Dupont;Jean;Paris;not-an-email;actif;\n", i)
	}
	_, err := Parse(strings.NewReader(b.String()), LawyersMapping())
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("got %v, want a *ParseError", err)
	}
	if len(pe.Problems) != MaxProblems || !pe.Truncated {
		t.Errorf("got %d problems, truncated %v, want %d, true", len(pe.Problems), pe.Truncated, MaxProblems)
	}
	msg := navette.ErrorMessage(err)
	for _, w := range []string{"The listing was refused and nothing was applied (100 problems, then checking stopped): line 2: ", "; line 6: ", "; and 95 more."} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q: want it to mention %q", msg, w)
		}
	}
	if strings.Contains(msg, "line 7:") {
		t.Errorf("message %q: want only the first %d problems", msg, messageProblems)
	}
	if !strings.Contains(err.Error(), "line 101: ") || !strings.Contains(err.Error(), "(100 problems, then checking stopped):\nline 2: ") {
		t.Errorf("Error() should list every problem: %v", err)
	}
}

func TestMappingSet(t *testing.T) {
	m := LawyersMapping()
	for _, spec := range []string{"email=Courriel", "id = numero", "org=", "separator=tab", "active=actif, inscrit", "known=omis", "source=experts", "kind=expert"} {
		if err := m.SetSpec(spec); err != nil {
			t.Errorf("%q: got %v, want no error", spec, err)
		}
	}
	if m.Email != "Courriel" || m.ExternalID != "numero" || m.Org != "" || m.Separator != '\t' || m.Source != "experts" || m.Kind != "expert" ||
		!slices.Equal(m.ActiveStatuses, []string{"actif", "inscrit"}) || !slices.Equal(m.KnownStatuses, []string{"omis"}) {
		t.Errorf("got %+v", m)
	}
	for _, spec := range []string{"email", "colour=blue", "separator=;;"} {
		if err := m.SetSpec(spec); navette.ErrorCode(err) != navette.EINVALID {
			t.Errorf("%q: got %v, want %q", spec, err, navette.EINVALID)
		}
	}
}

func TestReadMapping(t *testing.T) {
	in := "# judicial officers\nsource = bailiffs\nkind=bailiff\n\nid=numero\nemail = courriel\nseparator=,\n"
	m, err := ReadMapping(strings.NewReader(in), LawyersMapping())
	if err != nil {
		t.Fatalf("ReadMapping: %v", err)
	}
	if m.Source != "bailiffs" || m.Kind != "bailiff" || m.ExternalID != "numero" || m.Email != "courriel" || m.Separator != ',' || m.LastName != "nom" {
		t.Errorf("got %+v", m)
	}
	_, err = ReadMapping(strings.NewReader("source=x\nfoo=bar\n"), LawyersMapping())
	if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(navette.ErrorMessage(err), "Line 2") {
		t.Errorf("got %v, want an invalid error on line 2", err)
	}
}

func TestMappingValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(m *Mapping)
		want string
	}{
		{"lawyers", func(m *Mapping) {}, ""},
		{"zero defaults", func(m *Mapping) { m.Separator, m.Role, m.ActiveStatuses, m.KnownStatuses = 0, "", nil, nil }, ""},
		{"no source", func(m *Mapping) { m.Source = "" }, "source"},
		{"bad source", func(m *Mapping) { m.Source = "avocats de France" }, "source"},
		{"no kind", func(m *Mapping) { m.Kind = "" }, "kind"},
		{"agents need no kind", func(m *Mapping) { m.Kind, m.Role = "", navette.RoleAgent }, ""},
		{"admins", func(m *Mapping) { m.Role = navette.RoleAdmin }, "not \"admin\""},
		{"quote separator", func(m *Mapping) { m.Separator = '"' }, "cannot separate"},
		{"no email", func(m *Mapping) { m.Email = "" }, "e-mail"},
		{"no active status", func(m *Mapping) { m.ActiveStatuses = []string{} }, "active status"},
		{"column twice", func(m *Mapping) { m.Org = "NOM" }, `"NOM" is mapped to both last_name and org`},
	}
	for _, tt := range tests {
		m := LawyersMapping()
		tt.edit(&m)
		err := m.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: got %v, want no error", tt.name, err)
		case tt.want != "" && (navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(navette.ErrorMessage(err), tt.want)):
			t.Errorf("%q: got %v, want an invalid error mentioning %q", tt.name, err, tt.want)
		}
	}
}
