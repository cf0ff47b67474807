package web

import (
	"io/fs"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"navette"
)

// TestLegalPages: the three pages answer in both themes and languages with
// their defaults, and every page's footer links to them with the
// conformity state.
func TestLegalPages(t *testing.T) {
	for _, theme := range []string{ThemeNavette, ThemeDSFR} {
		f := newFixture(t, theme)
		for _, c := range []struct{ path, want string }{
			{"/accessibilite", "Défenseur des droits"},
			{"/accessibilite?lang=en", "Défenseur des droits"},
			{"/accessibilite", "Ce service est <strong>non conforme</strong>"},
			{"/accessibilite?lang=en", "This service is <strong>not compliant</strong>"},
			{"/mentions-legales", "Ce service est édité par Ministère de la Justice."},
			{"/mentions-legales?lang=en", "Legal notice"},
			{"/donnees-personnelles", `<h2 id="cookies">Gestion des cookies</h2>`},
			{"/donnees-personnelles?lang=en", `<h2 id="cookies">Cookies</h2>`},
		} {
			w := f.get(t, nil, c.path)
			body := w.Body.String()
			if w.Code != http.StatusOK || !strings.Contains(body, c.want) {
				t.Errorf("%s %s: %d, want %q in\n%s", theme, c.path, w.Code, c.want, body)
			}
		}
		for _, c := range []struct {
			u    *navette.User
			path string
		}{{nil, "/signin"}, {f.lawyer, "/inbox"}, {f.lawyer, "/deposits/nulle-part"}} {
			path := c.path
			body := f.get(t, c.u, path).Body.String()
			for _, want := range []string{`href="/accessibilite">Accessibilité : non conforme</a>`, `href="/mentions-legales"`, `href="/donnees-personnelles"`, `href="/donnees-personnelles#cookies">Gestion des cookies</a>`} {
				if !strings.Contains(body, want) {
					t.Errorf("%s %s: the footer lacks %s", theme, path, want)
				}
			}
		}
	}
}

// TestLegalPagesFromOperator: a fragment of the operator's directory
// replaces the default of its page and language only; its HTML is shown as
// text, its unsafe links are not links, and the conformity state shows.
func TestLegalPagesFromOperator(t *testing.T) {
	dir := t.TempDir()
	src := "# Accessibilité du service\n\nÉtat : {conformite}. <script>alert(1)</script>\n\n- [recours](javascript:alert%281%29)\n- [contact](mailto:a11y@justice.example)\n"
	if err := os.WriteFile(filepath.Join(dir, "accessibilite.fr.md"), []byte(src), 0o600); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, ThemeNavette)
	f.h.LegalDir = dir
	f.h.Conformity = ConformityPartial
	body := f.get(t, nil, "/accessibilite").Body.String()
	for _, want := range []string{"<h1>Accessibilité du service</h1>", "État : partiellement conforme. &lt;script&gt;alert(1)&lt;/script&gt;", "<li>recours</li>", `<a href="mailto:a11y@justice.example">contact</a>`, "Accessibilité : partiellement conforme"} {
		if !strings.Contains(body, want) {
			t.Errorf("the operator's statement lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "<script>") || strings.Contains(body, "javascript:") {
		t.Errorf("the fragment injected markup:\n%s", body)
	}
	if body := f.get(t, nil, "/accessibilite?lang=en").Body.String(); !strings.Contains(body, "Accessibility statement") {
		t.Error("the English default is not kept when the operator has only French")
	}
}

func TestParseFragment(t *testing.T) {
	title, blocks := parseFragment("# T\nintro\nsuite **gras** [l](/x)\n\n## S {#s-1}\n- a\n- [b](http://insecure)\n### U\n")
	want := []block{
		{Kind: "p", Text: []span{{Text: "intro suite "}, {Text: "gras", Strong: true}, {Text: " "}, {Text: "l", URL: "/x"}}},
		{Kind: "h2", ID: "s-1", Text: []span{{Text: "S"}}},
		{Kind: "ul", Items: [][]span{{{Text: "a"}}, {{Text: "b"}}}},
		{Kind: "h3", Text: []span{{Text: "U"}}},
	}
	if title != "T" || !reflect.DeepEqual(blocks, want) {
		t.Errorf("got %q %+v", title, blocks)
	}
}

// FuzzParseFragment: whatever an operator's file holds, parsing ends, and
// every link it keeps is https, mailto or a path of the site.
func FuzzParseFragment(f *testing.F) {
	for _, name := range []string{"accessibilite.fr.md", "donnees-personnelles.en.md"} {
		b, err := legalFS.ReadFile("legal/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	f.Add("[a](//evil)[b](/\\evil)**x**[c](javascript:1)")
	f.Fuzz(func(t *testing.T, src string) {
		_, blocks := parseFragment(src)
		for _, b := range blocks {
			spans := append([]span(nil), b.Text...)
			for _, it := range b.Items {
				spans = append(spans, it...)
			}
			for _, s := range spans {
				if s.URL != "" && !safeURL(s.URL) {
					t.Fatalf("unsafe link kept: %q", s.URL)
				}
				if s.URL != "" && (strings.HasPrefix(s.URL, "//") || strings.HasPrefix(s.URL, `/\`)) {
					t.Fatalf("link to another site kept: %q", s.URL)
				}
			}
		}
	})
}

// TestDSFRStyleSheetURLs: every file the DSFR style sheets refer to
// (icons, fonts) that is not a data: URL is served from the origin with
// 200, but for the .woff fallbacks of fonts also shipped as .woff2, which
// browsers never fetch; and no template uses a DSFR icon class the vendored
// style sheet does not define (such a class draws a filled square).
func TestDSFRStyleSheetURLs(t *testing.T) {
	f := newFixture(t, ThemeDSFR)
	re := regexp.MustCompile(`url\(["']?([^"')]+)["']?\)`)
	seen := 0
	for _, css := range []string{"vendor/dsfr/dsfr.min.css", "css/dsfr-extra.css"} {
		b, err := staticFS.ReadFile("static/" + css)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			u := m[1]
			if strings.HasPrefix(u, "data:") || strings.HasSuffix(u, ".woff") {
				continue
			}
			p := path.Join(path.Dir("/static/"+css), u)
			if w := f.get(t, nil, p); w.Code != http.StatusOK {
				t.Errorf("%s refers to %s: %d", css, p, w.Code)
			}
			seen++
		}
	}
	if seen < 20 {
		t.Errorf("only %d URLs found in the DSFR style sheets", seen)
	}
	sheet, err := staticFS.ReadFile("static/vendor/dsfr/dsfr.min.css")
	if err != nil {
		t.Fatal(err)
	}
	err = fs.WalkDir(templateFS, "templates", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(name)
		for _, c := range regexp.MustCompile(`\bfr-icon-[a-z0-9-]+`).FindAllString(string(b), -1) {
			if !strings.Contains(string(sheet), "."+c) {
				t.Errorf("%s uses %s, which the vendored DSFR does not define", name, c)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
