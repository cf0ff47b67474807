package web

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"navette"
	"navette/auth"
)

// inspectGo parses the Go files of glob, tests left out, and walks each
// with fn as ast.Inspect does.
func inspectGo(t *testing.T, glob string, fn func(fset *token.FileSet, n ast.Node) bool) {
	t.Helper()
	files, err := filepath.Glob(glob)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool { return fn(fset, n) })
	}
}

// goStrings returns the French texts the Go code of the package translates:
// the literal second argument of tr and the literal argument of text.
func goStrings(t *testing.T) []string {
	t.Helper()
	var out []string
	inspectGo(t, "*.go", func(_ *token.FileSet, n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		id, ok := call.Fun.(*ast.Ident)
		if !ok {
			return true
		}
		var arg ast.Expr
		switch {
		case id.Name == "tr" && len(call.Args) == 2:
			arg = call.Args[1]
		case id.Name == "text" && len(call.Args) == 1:
			arg = call.Args[0]
		default:
			return true
		}
		if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING {
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return true
	})
	return out
}

// TestGoTranslations checks that every text the Go code translates has its
// English, as TestTranslations does for the templates.
func TestGoTranslations(t *testing.T) {
	strs := goStrings(t)
	if len(strs) < 20 {
		t.Fatalf("only %d texts found: the extraction is broken", len(strs))
	}
	for _, s := range strs {
		if _, ok := english[s]; !ok {
			t.Errorf("no English for %q", s)
		}
	}
}

// TestTranslationVerbs checks that every English text has the verbs of its
// French, in the same order, so that formatting it cannot go wrong.
func TestTranslationVerbs(t *testing.T) {
	for fr, en := range english {
		if vf, ve := printfVerb.FindAllString(fr, -1), printfVerb.FindAllString(en, -1); !slices.Equal(vf, ve) {
			t.Errorf("English of %q has verbs %v, want %v", fr, ve, vf)
		}
	}
}

// TestErrorMessagesInFrench: the page of an error says it in French,
// whole when the message is known, by its known beginning or its format
// (the texts of its verbs given again, a known one translated) otherwise.
func TestErrorMessagesInFrench(t *testing.T) {
	h := &Handler{}
	for _, c := range []struct {
		err  error
		want string
	}{
		{navette.Errorf(navette.EINVALID, "The flow cannot be read."), "Le fichier de l’annuaire ne peut pas être lu."},
		{navette.Errorf(navette.EINVALID, "The listing conflicts with other users and nothing was applied: %s", "A user with this id, e-mail address or external id exists already."),
			"Le fichier contredit d’autres utilisateurs et rien n’a été appliqué : Un utilisateur a déjà cet identifiant, cette adresse électronique ou cet identifiant externe."},
		{navette.Errorf(navette.EINVALID, "Something new."), "La demande n’est pas valide : Something new."},
		{navette.WrapError(navette.EUNAUTHORIZED, auth.ErrTOTPReused, "This code was used already: wait for the next one."), "Ce code a déjà servi : attendez le suivant."},
		{navette.Errorf(navette.EINVALID, "%q is not a recipient known to the platform.", "a@b.example"), "« a@b.example » n’est pas un destinataire connu de la plateforme."},
		{navette.Errorf(navette.ECONFLICT, "The file %q was refused: %s. It was destroyed; remove it from the deposit, then submit again.", "v.txt", "the antivirus found a virus in it (Eicar)"),
			"Le fichier « v.txt » a été refusé : l’antivirus y a trouvé un virus (Eicar). Il a été détruit ; retirez-le du dépôt, puis envoyez de nouveau."},
		{navette.Errorf(navette.EFORBIDDEN, "No other administrator may approve this request: the two-person rule needs a second one whose access is active (a platform administrator, or for a mailbox's membership an administrator of its court other than the person it adds). Ask the platform's operator."), "Aucun autre administrateur ne peut approuver cette demande : la règle des deux personnes en demande un second dont l’accès est actif (un administrateur de la plateforme, ou pour l’ajout à une boîte de service un administrateur de sa juridiction autre que la personne ajoutée). Adressez-vous à l’exploitant de la plateforme."},
	} {
		if got := h.message(navette.LangFrench, c.err); got != c.want {
			t.Errorf("%q: got %q, want %q", navette.ErrorMessage(c.err), got, c.want)
		}
		if got := h.message(navette.LangEnglish, c.err); got != navette.ErrorMessage(c.err) {
			t.Errorf("%q in English: got %q", navette.ErrorMessage(c.err), got)
		}
	}
}

// TestFrenchFormats: the French of each format of frenchFormats takes as
// many texts as its English has verbs, each as a %s.
func TestFrenchFormats(t *testing.T) {
	for en, fr := range frenchFormats {
		if n, m := len(formatVerb.FindAllString(en, -1)), strings.Count(fr, "%s"); n == 0 || n != m || strings.Count(fr, "%") != m {
			t.Errorf("%q has %d verbs, its French %q %d texts", en, n, fr, m)
		}
	}
}
