package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"navette/i18n"
	"net/http"
	"net/url"
	"strings"
	"time"

	"navette"
	"navette/auth"
	"navette/deposit"
	"navette/evidence"
)

//go:embed templates/*.html
var templateFS embed.FS

// langCookie keeps the language a visitor chose with ?lang=.
const langCookie = "navette-lang"

var paris = mustLoadParis()

func mustLoadParis() *time.Location {
	loc, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		panic("web: no Europe/Paris time zone: " + err.Error())
	}
	return loc
}

// page is what every template sees.
type page struct {
	Lang          string
	OtherLang     string
	OtherLangName string
	SwitchURL     string
	Title         string
	User          *navette.User
	CSRF          string
	Nav           string
	Flash         string
	Brand         []string
	Scripts       []string
	Data          any
}

// pageNames are the templates that are pages; each is parsed with the
// layout.
var pageNames = []string{"signin", "totp", "enrol", "error", "list", "deposit", "new", "admin", "admin-courts", "admin-service", "admin-stats", "admin-imports", "admin-settings", "audit", "cases", "case", "account", "admin-requests", "legal"}

func (h *Handler) init() error {
	h.once.Do(func() {
		h.files, h.err = loadAssets()
		if h.err != nil {
			return
		}
		h.bases = map[string]*template.Template{}
		h.pages = map[string]*template.Template{}
		for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
			base, err := template.New("").Funcs(h.funcs(lang)).ParseFS(templateFS, "templates/layout.html")
			if err != nil {
				h.err = err
				return
			}
			h.bases[lang] = base
		}
		// Every page is parsed here so that a template error stops the
		// start, but kept only once rendered (page): most of a server's
		// pages are never shown to anyone (~5 MB of parse trees).
		for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
			for _, name := range pageNames {
				if _, h.err = h.parsePage(lang, name); h.err != nil {
					return
				}
			}
		}
	})
	return h.err
}

// parsePage returns the template of page name in lang: the layout with the
// page and its parts.
func (h *Handler) parsePage(lang, name string) (*template.Template, error) {
	t, err := h.bases[lang].Clone()
	if err == nil {
		_, err = t.ParseFS(templateFS, "templates/"+name+".html")
	}
	if parts, _ := fs.Glob(templateFS, "templates/"+name+".*.html"); err == nil && len(parts) > 0 {
		_, err = t.ParseFS(templateFS, parts...) // the page's parts, each in a file of its own
	}
	if err != nil {
		return nil, fmt.Errorf("web: template %s: %w", name, err)
	}
	return t, nil
}

// page returns the template of page name in lang (French if lang has
// none), parsed at its first use.
func (h *Handler) page(lang, name string) (*template.Template, error) {
	if err := h.init(); err != nil {
		return nil, err
	}
	if h.bases[lang] == nil {
		lang = navette.LangFrench
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if t := h.pages[lang+"/"+name]; t != nil {
		return t, nil
	}
	t, err := h.parsePage(lang, name)
	if err != nil {
		return nil, err
	}
	h.pages[lang+"/"+name] = t
	return t, nil
}

// funcs returns the template functions in lang.
func (h *Handler) funcs(lang string) template.FuncMap {
	theme := h.theme()
	return template.FuncMap{
		"t":           func(s string) string { return tr(lang, s) },
		"role":        func(r navette.Role) string { return tr(lang, roleNames[r]) },
		"event":       func(t navette.EventType) string { return i18n.EventLabel(lang, t) },
		"source":      func(s string) string { return sourceName(lang, s) },
		"personState": func(u *navette.User) string { return personState(lang, u) },
		"tf":          func(f string, args ...any) string { return fmt.Sprintf(tr(lang, f), args...) },
		"tfn":         func(n int, one, other string, args ...any) string { return pluralf(lang, n, one, other, args...) },
		"plural": func(n int, one, many string) string {
			return i18n.Count(lang, int64(n), tr(lang, one), tr(lang, many))
		},
		"date":     func(t time.Time) string { return formatDate(t, lang) },
		"size":     func(n int64) string { return i18n.Size(lang, n) },
		"num":      func(n any) string { return i18n.Number(lang, toInt64(n)) },
		"daysLeft": func(t time.Time) string { return h.daysLeft(t, lang) },
		"state":    func(s any) string { return stateName(fmt.Sprint(s), lang) },
		"asset":    h.assetURL,
		"cls":      func(name string) string { return class(theme, name) },
		"dsfr":     func() bool { return theme == ThemeDSFR },
		"list":     func(v ...any) []any { return v },
		"join":     func(v []string) string { return strings.Join(v, ", ") },
		"isAdmin": func(u *navette.User) bool {
			return u != nil && (u.Role == navette.RoleAdmin || u.Role == navette.RoleCourtAdmin)
		},
		"isAuditor":  func(u *navette.User) bool { return u != nil && evidence.Auditor(u.Role) },
		"canDeposit": func(u *navette.User) bool { return u != nil && deposit.CanDeposit(u.Role) },
		"conformity": func() string { return conformityText(h.Conformity, lang) },
		"formKey":    formKey,
	}
}

// formKey returns a new idempotency key for a form that makes a deposit
// (a reply, a forward), sent back in its field idempotency_key: the form
// sent twice (a double click, a resend after a cut, the browser's back
// then send) makes the deposit once (deposit.Service.Reply, Forward).
func formKey() string {
	return rand.Text()
}

// classes maps the few class names pages use to each theme's.
var classes = map[string][2]string{
	"container":     {"container", "fr-container fr-my-4w"},
	"btn":           {"btn", "fr-btn"},
	"btn-secondary": {"btn btn-secondary", "fr-btn fr-btn--secondary"},
	"btn-danger":    {"btn btn-danger", "fr-btn fr-btn--secondary"},
	"group":         {"field", "fr-input-group"},
	"group-error":   {"field-error", "fr-input-group--error"},
	"label":         {"label", "fr-label"},
	"hint":          {"hint", "fr-hint-text"},
	"input":         {"input", "fr-input"},
	"upload":        {"input-file", "fr-upload"},
	"checkbox":      {"check", "fr-checkbox-group"},
	"fieldset":      {"fieldset", "fr-fieldset"},
	"legend":        {"legend", "fr-fieldset__legend"},
	"table":         {"table-wrap", "fr-table"},
	"alert-error":   {"alert alert-error", "fr-alert fr-alert--error fr-alert--sm fr-mb-3w"},
	"alert-info":    {"alert alert-info", "fr-alert fr-alert--info fr-alert--sm fr-mb-3w"},
	"alert-success": {"alert alert-success", "fr-alert fr-alert--success fr-alert--sm fr-mb-3w"},
	"alert-warning": {"alert alert-warning", "fr-alert fr-alert--warning fr-alert--sm fr-mb-3w"},
	"error-text":    {"error-text", "fr-error-text"},
	"badge":         {"badge", "fr-badge fr-badge--sm"},
	"badge-new":     {"badge badge-new", "fr-badge fr-badge--sm fr-badge--new"},
	"badge-warn":    {"badge badge-warn", "fr-badge fr-badge--sm fr-badge--warning"},
	"badge-ok":      {"badge badge-ok", "fr-badge fr-badge--sm fr-badge--success"},
}

func class(theme, name string) string {
	c, ok := classes[name]
	if !ok {
		return name
	}
	if theme == ThemeDSFR {
		return c[1]
	}
	return c[0]
}

// lang returns the language of the request: ?lang= (remembered in a
// cookie), then the cookie, then the user's, then French.
func (h *Handler) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); (l == navette.LangFrench || l == navette.LangEnglish) && w != nil {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600, HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: r.TLS != nil})
		return l
	}
	if c, err := r.Cookie(langCookie); err == nil && (c.Value == navette.LangFrench || c.Value == navette.LangEnglish) {
		return c.Value
	}
	if u := navette.UserFromContext(r.Context()); u != nil && u.Lang == navette.LangEnglish {
		return navette.LangEnglish
	}
	return navette.LangFrench
}

// newPage returns the common part of a page.
func (h *Handler) newPage(w http.ResponseWriter, r *http.Request, title, nav string) *page {
	lang := h.lang(w, r)
	p := &page{Lang: lang, Title: tr(lang, title), Nav: nav, Brand: h.Brand}
	if len(p.Brand) == 0 {
		p.Brand = []string{"Ministère", "de la Justice"}
	}
	p.OtherLang, p.OtherLangName = navette.LangEnglish, "English"
	if lang == navette.LangEnglish {
		p.OtherLang, p.OtherLangName = navette.LangFrench, "Français"
	}
	q := url.Values{}
	for k, v := range r.URL.Query() {
		if k != "lang" {
			q[k] = v
		}
	}
	q.Set("lang", p.OtherLang)
	path := r.URL.Path
	if r.Method != http.MethodGet {
		path = "/signin"
		q = url.Values{"lang": {p.OtherLang}}
	}
	p.SwitchURL = path + "?" + q.Encode()
	if u := navette.UserFromContext(r.Context()); u != nil {
		if cur := auth.FromContext(r.Context()); cur == nil || cur.Session == nil || cur.Session.Stage == navette.StageFull {
			p.User = u
		}
	}
	if cur := auth.FromContext(r.Context()); cur != nil {
		p.CSRF = cur.CSRF
	}
	return p
}

// render writes page name with status.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, p *page) {
	t, err := h.page(p.Lang, name)
	if err != nil {
		h.log().ErrorContext(r.Context(), "web: templates", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		h.log().ErrorContext(r.Context(), "web: rendering", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", p.Lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

var frMonths = [...]string{"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."}

// formatDate shows t in Paris time: "2 déc. 2026 à 14:05" or
// "2 Dec 2026, 14:05".
func formatDate(t time.Time, lang string) string {
	if t.IsZero() {
		return "—"
	}
	t = t.In(paris)
	if lang == navette.LangEnglish {
		return t.Format("2 Jan 2006, 15:04")
	}
	return fmt.Sprintf("%d %s %d à %s", t.Day(), frMonths[t.Month()-1], t.Year(), t.Format("15:04"))
}

func (h *Handler) now() time.Time {
	if h.Clock != nil {
		return h.Clock.Now()
	}
	return time.Now()
}

// daysLeft says how long until t: "3 jours restants", "expire aujourd'hui".
func (h *Handler) daysLeft(t time.Time, lang string) string {
	d := t.Sub(h.now())
	if d <= 0 {
		return tr(lang, "expiré")
	}
	days := int(math.Ceil(d.Hours() / 24))
	if d < 24*time.Hour {
		hours := int(math.Ceil(d.Hours()))
		if hours <= 1 {
			return tr(lang, "moins d’une heure")
		}
		return fmt.Sprintf(tr(lang, "%d heures restantes"), hours)
	}
	if days == 1 {
		return tr(lang, "1 jour restant")
	}
	return fmt.Sprintf(tr(lang, "%d jours restants"), days)
}

// stateNames are the names of the states of deposits and files.
var stateNames = map[string]string{
	string(navette.DepositDraft):     text("brouillon"),
	string(navette.DepositChecking):  text("en vérification"),
	string(navette.DepositAvailable): text("disponible"),
	string(navette.DepositRevoked):   text("retiré"),
	string(navette.DepositExpired):   text("expiré"),
	string(navette.FileUploading):    text("en cours d’envoi"),
	string(navette.FileStored):       text("reçu"),
	string(navette.FileRejected):     text("refusé"),
	string(navette.FilePurged):       text("effacé"),
}

// stateName names a deposit's or a file's state.
func stateName(s, lang string) string {
	if name, ok := stateNames[s]; ok {
		return tr(lang, name)
	}
	return s
}

// tr translates a French text of the interface into lang.
func tr(lang, s string) string {
	if lang == navette.LangEnglish {
		if e, ok := english[s]; ok {
			return e
		}
	}
	return s
}

// flashes are a page's notes after an action, in French, by the "done"
// query value the action redirected with.
type flashes map[string]string

// say returns the note of done in lang, "" if there is none.
func (f flashes) say(lang, done string) string {
	if s, ok := f[done]; ok {
		return tr(lang, s)
	}
	return ""
}

// templateStrings returns every text the templates translate, for tests.
func templateStrings() ([]string, error) {
	var out []string
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := templateFS.ReadFile(path)
		if err != nil {
			return err
		}
		out = append(out, extractStrings(string(b))...)
		return nil
	})
	return out, err
}

// extractStrings finds the literal arguments of t, tf and plural calls.
func extractStrings(s string) []string {
	var out []string
	for _, fn := range []string{"{{t \"", "{{tf \"", "(tf \"", "{{plural ", "{{tfn "} {
		rest := s
		for {
			i := strings.Index(rest, fn)
			if i < 0 {
				break
			}
			rest = rest[i+len(fn):]
			if fn == "{{plural " || fn == "{{tfn " {
				end := strings.Index(rest, "}}")
				parts := strings.Split(rest[:end], "\"")
				for j := 1; j < len(parts); j += 2 {
					out = append(out, parts[j])
				}
				continue
			}
			end := strings.Index(rest, "\"")
			out = append(out, rest[:end])
		}
	}
	return out
}

// toInt64 returns the integer n holds, 0 if it holds none.
func toInt64(n any) int64 {
	switch v := n.(type) {
	case int:
		return int64(v)
	case int64:
		return v
	}
	return 0
}
