package web

import (
	"embed"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"navette"
)

// The accessibility statement, the legal notice and the personal data page
// are fragments in a small subset of Markdown, one file per page and
// language ("accessibilite.fr.md"): the operator's, in Handler.LegalDir,
// or else the defaults embedded from legal/. The subset is parsed into
// blocks that the templates escape, so a fragment cannot inject markup.
//
//	# Title of the page
//	## Section {#anchor}
//	### Subsection
//	- list item
//	Paragraph lines, with **strong** text and [links](https://…).
//
// {entite} stands for the brand (Handler.Brand), {conformite} for the
// conformity state (Handler.Conformity).

//go:embed legal/*.md
var legalFS embed.FS

// Conformity states of the accessibility statement, for
// Handler.Conformity.
const (
	ConformityNone    = "none"
	ConformityPartial = "partial"
	ConformityFull    = "full"
)

// maxFragment bounds the size of an operator's fragment.
const maxFragment = 256 << 10

// legalPage is one of the pages of legal texts.
type legalPage struct {
	name, title string
}

var legalPages = map[string]legalPage{
	"/accessibilite":        {"accessibilite", "Déclaration d’accessibilité"},
	"/mentions-legales":     {"mentions-legales", "Mentions légales"},
	"/donnees-personnelles": {"donnees-personnelles", "Données personnelles"},
}

// legalData is what a page of legal texts shows.
type legalData struct {
	Heading string
	Blocks  []block
}

// block is a block of a fragment: a heading (h2, h3), a paragraph (p) or a
// list (ul).
type block struct {
	Kind  string
	ID    string
	Text  []span
	Items [][]span
}

// span is a run of inline text: plain, strong, or a link to URL.
type span struct {
	Text   string
	Strong bool
	URL    string
}

func (h *Handler) legal(w http.ResponseWriter, r *http.Request) {
	lp := legalPages[r.URL.Path]
	p := h.newPage(w, r, lp.title, "")
	src, err := h.fragment(lp.name, p.Lang)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	src = strings.NewReplacer("{entite}", strings.Join(p.Brand, " "), "{conformite}", conformityText(h.Conformity, p.Lang)).Replace(src)
	title, blocks := parseFragment(src)
	if title == "" {
		title = p.Title
	}
	p.Title = title
	p.Data = &legalData{Heading: title, Blocks: blocks}
	h.render(w, r, http.StatusOK, "legal", p)
}

// fragment returns the text of fragment name in lang: the operator's if
// Handler.LegalDir has it, else the default.
func (h *Handler) fragment(name, lang string) (string, error) {
	file := name + "." + lang + ".md"
	if h.LegalDir != "" {
		f, err := os.Open(filepath.Join(h.LegalDir, file))
		switch {
		case err == nil:
			defer f.Close()
			b, err := io.ReadAll(io.LimitReader(f, maxFragment))
			if err != nil {
				return "", navette.Errorf(navette.EINTERNAL, "Reading %s: %v", file, err)
			}
			return string(b), nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", navette.Errorf(navette.EINTERNAL, "Reading %s: %v", file, err)
		}
	}
	b, err := legalFS.ReadFile("legal/" + file)
	if err != nil {
		return "", navette.Errorf(navette.EINTERNAL, "No default %s: %v", file, err)
	}
	return string(b), nil
}

// conformityText names the conformity state c in lang, as the statement
// and the footer say it.
func conformityText(c, lang string) string {
	switch c {
	case ConformityFull:
		return tr(lang, "totalement conforme")
	case ConformityPartial:
		return tr(lang, "partiellement conforme")
	}
	return tr(lang, "non conforme")
}

var anchorRE = regexp.MustCompile(`\s*\{#([a-z0-9-]{1,40})\}\s*$`)

// parseFragment parses a fragment into its title (its "# " line) and its
// blocks.
func parseFragment(src string) (string, []block) {
	var title string
	var blocks []block
	var para []string
	flush := func() {
		if len(para) > 0 {
			blocks = append(blocks, block{Kind: "p", Text: parseInline(strings.Join(para, " "))})
			para = nil
		}
	}
	for line := range strings.SplitSeq(strings.ReplaceAll(src, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		kind, rest := lineKind(line)
		if kind != "text" {
			flush()
		}
		switch kind {
		case "title":
			if title == "" {
				title = rest
			}
		case "h2", "h3":
			b := block{Kind: kind}
			if m := anchorRE.FindStringSubmatchIndex(rest); m != nil {
				b.ID, rest = rest[m[2]:m[3]], rest[:m[0]]
			}
			b.Text = parseInline(rest)
			blocks = append(blocks, b)
		case "item":
			if n := len(blocks); n == 0 || blocks[n-1].Kind != "ul" {
				blocks = append(blocks, block{Kind: "ul"})
			}
			last := &blocks[len(blocks)-1]
			last.Items = append(last.Items, parseInline(rest))
		case "text":
			para = append(para, rest)
		}
	}
	flush()
	return title, blocks
}

// lineKind tells what a trimmed line of a fragment is: "title", "h2",
// "h3", "item", "text", or "blank" (which ends a paragraph or a list);
// rest is the line without its marker.
func lineKind(line string) (kind, rest string) {
	for _, m := range []struct{ prefix, kind string }{{"### ", "h3"}, {"## ", "h2"}, {"# ", "title"}, {"- ", "item"}, {"* ", "item"}} {
		if r, ok := strings.CutPrefix(line, m.prefix); ok {
			return m.kind, strings.TrimSpace(r)
		}
	}
	if line == "" {
		return "blank", ""
	}
	return "text", line
}

var inlineRE = regexp.MustCompile(`\*\*([^*]+)\*\*|\[([^\]]+)\]\(([^)\s]+)\)`)

// parseInline splits text into plain, strong and link spans; a link whose
// URL is not https, mailto or a path of this site stays plain text.
func parseInline(text string) []span {
	var out []span
	for text != "" {
		m := inlineRE.FindStringSubmatchIndex(text)
		if m == nil {
			out = append(out, span{Text: text})
			break
		}
		if m[0] > 0 {
			out = append(out, span{Text: text[:m[0]]})
		}
		switch {
		case m[2] >= 0:
			out = append(out, span{Text: text[m[2]:m[3]], Strong: true})
		case safeURL(text[m[6]:m[7]]):
			out = append(out, span{Text: text[m[4]:m[5]], URL: text[m[6]:m[7]]})
		default:
			out = append(out, span{Text: text[m[4]:m[5]]})
		}
		text = text[m[1]:]
	}
	return out
}

// safeURL reports whether a fragment may link to u: https, mailto, or a
// path of this site.
func safeURL(u string) bool {
	switch {
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "mailto:"):
		return true
	case strings.HasPrefix(u, "/"):
		return !strings.HasPrefix(u, "//") && !strings.HasPrefix(u, `/\`)
	}
	return false
}
