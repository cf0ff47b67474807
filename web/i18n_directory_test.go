package web

import (
	"go/ast"
	"go/token"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"navette/directory"
)

// directoryFormats returns the formats of the problems of package
// directory, found in its source: the literal format of every call to a
// method add (problems.add) and of bad (the closure, or rowCheck.bad), and the literal
// format of every directory.Text, with where each is.
func directoryFormats(t *testing.T) map[string]string {
	t.Helper()
	var fset *token.FileSet
	formats := map[string]string{}
	literal := func(e ast.Expr, what string) {
		lit, ok := e.(*ast.BasicLit)
		if !ok || lit.Kind != token.STRING {
			// Only the forwarders pass their own format on.
			if id, ok := e.(*ast.Ident); ok && id.Name == "format" {
				return
			}
			if sel, ok := e.(*ast.SelectorExpr); ok && sel.Sel.Name == "Format" {
				return
			}
			t.Errorf("%s: %s has a format that is not a literal: the translations cannot be checked", fset.Position(e.Pos()), what)
			return
		}
		s, err := strconv.Unquote(lit.Value)
		if err != nil {
			t.Fatal(err)
		}
		formats[s] = fset.Position(e.Pos()).String()
	}
	inspectGo(t, "../directory/*.go", func(fs *token.FileSet, n ast.Node) bool {
		fset = fs
		switch n := n.(type) {
		case *ast.CallExpr:
			switch fun := n.Fun.(type) {
			case *ast.SelectorExpr:
				switch {
				case fun.Sel.Name == "add" && len(n.Args) >= 2:
					literal(n.Args[1], "add")
				case fun.Sel.Name == "bad" && len(n.Args) >= 1:
					literal(n.Args[0], "bad")
				}
			case *ast.Ident:
				if fun.Name == "bad" && len(n.Args) >= 1 {
					literal(n.Args[0], "bad")
				}
			}
		case *ast.CompositeLit:
			if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Text" && len(n.Elts) > 0 {
				e := n.Elts[0]
				if kv, ok := e.(*ast.KeyValueExpr); ok {
					if k, ok := kv.Key.(*ast.Ident); !ok || k.Name != "Format" {
						return true
					}
					e = kv.Value
				}
				literal(e, "Text")
			}
		}
		return true
	})
	return formats
}

var printfVerb = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z%]`)

// verbs returns the verbs of a format, %q written %s as French quotes
// with « %s ».
func verbs(format string) []string {
	v := printfVerb.FindAllString(format, -1)
	for i := range v {
		if v[i] == "%q" {
			v[i] = "%s"
		}
	}
	return v
}

// TestDirectoryTranslations checks that every format of package
// directory's problems has a French translation with the same verbs in the
// same order, and that no translation is left over.
func TestDirectoryTranslations(t *testing.T) {
	formats := directoryFormats(t)
	if len(formats) < 25 {
		t.Fatalf("only %d formats found in package directory: the extraction is broken", len(formats))
	}
	for en, where := range formats {
		fr, ok := directoryFrench[en]
		if !ok {
			t.Errorf("%s: no French for %q (add it to directoryFrench in web/i18n_directory.go)", where, en)
			continue
		}
		if ve, vf := verbs(en), verbs(fr); !slices.Equal(ve, vf) {
			t.Errorf("French of %q has verbs %v, want %v", en, vf, ve)
		}
	}
	for en, fr := range directoryFrench {
		if _, ok := formats[en]; !ok {
			t.Errorf("directoryFrench has %q, which package directory no longer uses", en)
		}
		if strings.Contains(fr, "%q") || strings.Contains(fr, "'") || strings.Contains(fr, `"`) {
			t.Errorf("French of %q quotes the English way: %q", en, fr)
		}
	}
}

func TestDirectoryProblemInFrench(t *testing.T) {
	_, err := directory.Parse(strings.NewReader("cnbf;nom\n"), directory.LawyersMapping())
	pe, ok := err.(*directory.ParseError)
	if !ok || len(pe.Problems) != 1 {
		t.Fatalf("got %v", err)
	}
	p := pe.Problems[0]
	if got := directoryProblem("en", p); got != p.Message {
		t.Errorf("English: %q, want the message %q", got, p.Message)
	}
	want := "l’en-tête n’a pas de colonne « prenom », « barreau », « email », « statut », « date_maj » (il a « cnbf », « nom ») ; vérifiez le séparateur et la correspondance des colonnes"
	if got := directoryProblem("fr", p); got != want {
		t.Errorf("French: %q, want %q", got, want)
	}
	// A format without French keeps the English message.
	p.Format = "a format nobody translated %d"
	if got := directoryProblem("fr", p); got != p.Message {
		t.Errorf("untranslated: %q", got)
	}
	// So does a problem decoded from JSON, which has no format.
	if got := directoryProblem("fr", directory.Problem{Line: 2, Message: "m"}); got != "m" {
		t.Errorf("no format: %q", got)
	}
	// Nested phrases are translated too.
	q := directory.Problem{Message: `the person with external id "a": the court X is unknown`,
		Format: "%sthe court %s is unknown", Args: []any{directory.Text{Format: "the person with external id %q: ", Args: []any{"a"}}, "X"}}
	if got := directoryProblem("fr", q); got != "la personne d’identifiant externe « a » : la juridiction X est inconnue" {
		t.Errorf("nested: %q", got)
	}
	q.Args[0] = directory.Text{}
	if got := directoryProblem("fr", q); got != "la juridiction X est inconnue" {
		t.Errorf("nested, empty: %q", got)
	}
}

func TestDirectoryDetail(t *testing.T) {
	c := directory.Change{Fields: []string{"email", "org"}}
	if got := directoryDetail("fr", c); got != "adresse électronique, organisme" {
		t.Errorf("fr: %q", got)
	}
	if got := directoryDetail("en", c); got != "email, org" {
		t.Errorf("en: %q", got)
	}
	c = directory.Change{Reason: directory.ReasonAbsent}
	if got := directoryDetail("fr", c); got != "absent du fichier" {
		t.Errorf("fr: %q", got)
	}
	if got := directoryDetail("en", c); got != "absent" {
		t.Errorf("en: %q", got)
	}
	if got := directoryDetail("fr", directory.Change{Reason: "omis"}); got != "omis" {
		t.Errorf("status: %q", got)
	}
}

// TestImportProblemsInPageLanguage posts a malformed flow and checks that
// its problems are in French on the French page and in English on the
// English one.
func TestImportProblemsInPageLanguage(t *testing.T) {
	f := newAdminFixture(t)
	data := []byte(flowHeader + "1;A;B;Amiens;a@barreau.example;actif;2026-11-01\n" +
		"2;C;D;Amiens;pas-une-adresse;actif;2026-11-01\n" +
		"3;E;F\n" +
		"4;G;H;Amiens;g@barreau.example;retraite;2026-11-01\n" +
		"5;I;\"J\"x;Amiens;i@barreau.example;actif;2026-11-01\n")
	for _, c := range []struct {
		lang      string
		want, not []string
	}{
		{"fr", []string{
			"Ligne 3 : « pas-une-adresse » n’est pas une adresse électronique valide</li>",
			"Ligne 4 : la ligne a 3 champs, l’en-tête 7</li>",
			"Ligne 5 : le statut « retraite » est inconnu (statuts connus : actif, omis, radie, suspendu)</li>",
			"Ligne 6 : un champ entre guillemets n’est pas fermé correctement (ligne 6, colonne",
		}, []string{"is not a valid", "fields, the header", "is unknown", "quoted field"}},
		{"en", []string{
			"Line 3: &#34;pas-une-adresse&#34; is not a valid e-mail address</li>",
			"Line 4: the line has 3 fields, the header 7</li>",
			"Line 5: the status &#34;retraite&#34; is unknown (known: actif, omis, radie, suspendu)</li>",
			"Line 6: a quoted field is not closed properly (line 6, column",
		}, []string{"n’est pas une adresse", "champs", "inconnu", "guillemets"}},
	} {
		w := f.upload(t, f.admin, "/admin/imports/preview?lang="+c.lang, [][2]string{{"source", "lawyers"}}, data)
		body := w.Body.String()
		if w.Code != http.StatusUnprocessableEntity {
			t.Fatalf("%s: status %d", c.lang, w.Code)
		}
		checkPage(t, "malformed "+c.lang, body)
		for _, want := range c.want {
			if !strings.Contains(body, want) {
				t.Errorf("%s page lacks %q", c.lang, want)
			}
		}
		for _, not := range c.not {
			if strings.Contains(body, not) {
				t.Errorf("%s page has %q", c.lang, not)
			}
		}
	}
}

// TestImportChangesInPageLanguage checks the detail column of a dry run's
// changes in both languages.
func TestImportChangesInPageLanguage(t *testing.T) {
	f := newAdminFixture(t)
	full := flow(100, 3)
	if w := f.upload(t, f.admin, "/admin/imports/apply", [][2]string{{"source", "lawyers"}, {"hash", sum(full)}}, full); w.Code != 200 {
		t.Fatalf("first import: %d", w.Code)
	}
	changed := []byte(strings.Replace(string(full), "avocat.101@barreau.example", "nouvelle.101@barreau.example", 1))
	for lang, want := range map[string]string{"fr": `data-label="Détail">adresse électronique</td>`, "en": `data-label="Detail">email</td>`} {
		w := f.upload(t, f.admin, "/admin/imports/preview?lang="+lang, [][2]string{{"source", "lawyers"}}, changed)
		if body := w.Body.String(); w.Code != 200 || !strings.Contains(body, want) {
			t.Errorf("%s: %d, page lacks %q", lang, w.Code, want)
		}
	}
}
