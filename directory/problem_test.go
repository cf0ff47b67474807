package directory

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"navette"
)

// problemsOf returns the problems of err, a *ParseError.
func problemsOf(t *testing.T, what string, err error) []Problem {
	t.Helper()
	var pe *ParseError
	if !errors.As(err, &pe) {
		t.Fatalf("%s: got %v, want a *ParseError", what, err)
	}
	return pe.Problems
}

// checkFormat checks that a problem keeps the format and arguments of its
// message, for user interfaces that translate it.
func checkFormat(t *testing.T, what string, p Problem) {
	t.Helper()
	if p.Format == "" {
		t.Errorf("%s: problem %q has no format", what, p.Message)
		return
	}
	if got := fmt.Sprintf(p.Format, p.Args...); got != p.Message {
		t.Errorf("%s: format and args give %q, message is %q", what, got, p.Message)
	}
	for _, a := range p.Args {
		if s, ok := a.(string); ok && strings.Contains(p.Format, "%s") && strings.HasPrefix(s, "the ") {
			t.Errorf("%s: argument %q of %q is an English phrase, not a Text", what, s, p.Format)
		}
	}
}

func TestProblemsKeepFormat(t *testing.T) {
	const header = "cnbf;nom;prenom;barreau;email;statut;date_maj\n"
	for _, in := range []string{
		"",
		"cnbf,nom,prenom,barreau,email,statut,date_maj\n",
		"cnbf;nom;nom;prenom;barreau;email;statut;date_maj\n",
		header + "1;Dupont;Jean;Paris;j@avocat.example;actif\n",
		header + "1;Du\"pont;Jean;Paris;k@avocat.example;actif;\n",
		header + "1;\"Dupont\"x;Jean;Paris;j@avocat.example;actif;\n",
		header + "1;Dupont;Jean;Paris;j@avocat;retraite;\n1;Durand;Luc;Paris;l@avocat.example;actif;\n",
		header + "1;Du\xe9pont;Jean;Paris;j@avocat.example;actif;\n",
	} {
		_, err := Parse(strings.NewReader(in), LawyersMapping())
		for _, p := range problemsOf(t, fmt.Sprintf("%.50q", in), err) {
			checkFormat(t, fmt.Sprintf("%.50q", in), p)
		}
	}

	e := newEnv(t)
	good := Entry{ExternalID: "a", Email: "a@avocat.example", Name: "A", Active: true}
	for _, entries := range [][]Entry{
		{good, {ExternalID: "a", Email: "b@avocat.example", Name: "B", Active: true}},
		{{ExternalID: "a", Email: "A@avocat.example", Name: "A", Active: true}},
		{{Email: "a@avocat.example", Name: "A", Active: true}},
		{{ExternalID: "a", Email: "a@avocat.example", Name: "A", Role: navette.RoleAdmin, Active: true}},
	} {
		_, err := e.sync.Apply(t.Context(), "lawyers", entries, Options{})
		for _, p := range problemsOf(t, "sync", err) {
			checkFormat(t, "sync", p)
		}
	}
}

func TestProblemJSON(t *testing.T) {
	_, err := Parse(strings.NewReader("cnbf,nom\n"), LawyersMapping())
	ps := problemsOf(t, "header", err)
	b, err := json.Marshal(ps[0])
	if err != nil {
		t.Fatal(err)
	}
	want := `{"line":1,"message":"the header has no column \"cnbf\", \"nom\", \"prenom\", \"barreau\", \"email\", \"statut\", \"date_maj\" (it has \"cnbf,nom\"); check the separator and the mapping"}`
	if string(b) != want {
		t.Errorf("got %s\nwant %s", b, want)
	}
	if len(ps[0].Args) != 2 {
		t.Fatalf("args %v", ps[0].Args)
	}
	n, ok := ps[0].Args[0].(Names)
	if !ok {
		t.Fatalf("arg %T, want Names", ps[0].Args[0])
	}
	if got := n.Quote(func(s string) string { return "« " + s + " »" }); !strings.HasPrefix(got, "« cnbf », « nom »") {
		t.Errorf("Quote: %s", got)
	}
}

func TestTextString(t *testing.T) {
	if s := (Text{}).String(); s != "" {
		t.Errorf("zero Text: %q", s)
	}
	if s := (Text{"also on line %d", []any{3}}).String(); s != "also on line 3" {
		t.Errorf("Text: %q", s)
	}
	long := Names{strings.Repeat("x", 50), "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"}
	if s := long.String(); !strings.HasPrefix(s, `"`+strings.Repeat("x", 40)+`…", "a"`) || !strings.HasSuffix(s, `"k", …`) {
		t.Errorf("Names: %s", s)
	}
}
