// Package web serves navette's web interface: server-rendered pages
// (html/template) for signing in, the inbox and sent lists, a deposit's
// detail with downloads of one file or of everything as a ZIP streamed on the
// fly, the new-deposit page whose uploads go through the tus endpoint of the
// API, the admin pages and the error pages. Pages are French by default,
// English on request, with dates in Europe/Paris. Every asset is embedded and
// served from /static/ under a strict Content-Security-Policy: no inline
// script or style, nothing from another origin. Reading and downloading work
// without JavaScript; only uploading needs it.
package web

import (
	"context"
	"html/template"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strings"
	"sync"
	_ "time/tzdata" // Europe/Paris whatever the host has

	"navette"
	"navette/account"
	"navette/api"
	"navette/auth"
	"navette/deposit"
	"navette/directory"
	"navette/evidence"
	"navette/internal/realip"
	"navette/notify"
)

// Themes.
const (
	// ThemeNavette is the default: navette's own sober, accessible theme,
	// with no State brand.
	ThemeNavette = "navette"
	// ThemeDSFR is the State design system, for ministry deployments only:
	// its brand elements are reserved to State services and never altered.
	ThemeDSFR = "dsfr"
)

// Handler serves the pages. Set its fields, then call Register.
type Handler struct {
	Deposits *deposit.Service
	Auth     *auth.Service
	Clock    navette.Clock
	Logger   *slog.Logger
	// Theme is ThemeNavette (the default when empty) or ThemeDSFR.
	Theme string
	// Brand is the name of the ministry shown in the DSFR brand block, one
	// line per element ("Ministère", "de la Justice"); ignored by the
	// default theme.
	Brand []string
	// Mail, if set, gives admins the notices page.
	Mail *notify.Admin
	// ClientIP returns the address of the client for sign-in rate limits;
	// nil takes the host of the request's RemoteAddr.
	ClientIP func(*http.Request) string
	// Accounts reads the service mailboxes a user is a member of and, for
	// admins, users, courts and mailboxes; it lets admins create service
	// mailboxes and edit their members.
	Accounts *account.Service
	// Directory, with Mappings, gives platform admins the directory
	// imports page; if either is unset the page says imports are not
	// configured.
	Directory *directory.Sync
	// Mappings are the flows an admin may import, by source name.
	Mappings map[string]directory.Mapping
	// Evidence, if set, lists the receipts of deposits and gives auditors
	// the evidence search.
	Evidence *evidence.Service
	// LegalDir, if set, is the directory of the operator's accessibility
	// statement, legal notice and personal data page, which replace the
	// defaults (see legal.go for the file names and format).
	LegalDir string
	// Conformity is the accessibility conformity state the footer and the
	// statement show: ConformityNone (the default when empty: no audit),
	// ConformityPartial or ConformityFull.
	Conformity string
	// PublicURL is the address people reach the service at: a download
	// whose Referer is of another origin (and of another host than the
	// one it was sent to) was started elsewhere, and is asked for again
	// (askFirst).
	PublicURL string

	once  sync.Once
	err   error
	bases map[string]*template.Template // the layout, by language
	files map[string]*asset             // static files by path under /static/
	mu    sync.Mutex                    // guards pages
	pages map[string]*template.Template // by language/name, once rendered
}

// Init parses the templates and indexes the static files. Register calls
// it; call it first to get its error rather than a panic.
func (h *Handler) Init() error { return h.init() }

// Register adds the routes of Routes to mux, each behind its guard. It
// does not add a catch-all: the caller routes unknown paths, through Error
// for page-like requests. It panics if the embedded templates do not parse,
// which tests catch.
func (h *Handler) Register(mux Mux) {
	if err := h.init(); err != nil {
		panic(err)
	}
	for _, rt := range h.Routes() {
		if rt.asset {
			mux.Handle(rt.Pattern, h.guard(rt))
			continue
		}
		mux.Handle(rt.Pattern, h.wrap(h.guard(rt)))
	}
}

// DepositPath is the page of a deposit: where the links of e-mails
// (/d/{id}) should redirect.
func DepositPath(id string) string { return "/deposits/" + url.PathEscape(id) }

func (h *Handler) log() *slog.Logger {
	if h.Logger == nil {
		return slog.Default()
	}
	return h.Logger
}

func (h *Handler) theme() string {
	if h.Theme == ThemeDSFR {
		return ThemeDSFR
	}
	return ThemeNavette
}

// limits returns the limits in force: the admins' settings over the
// configuration's (deposit.Service.CurrentLimits).
func (h *Handler) limits(ctx context.Context) (navette.Limits, error) {
	if h.Deposits == nil {
		return navette.DefaultLimits, nil
	}
	return h.Deposits.CurrentLimits(ctx)
}

func (h *Handler) clientIP(r *http.Request) string {
	if h.ClientIP != nil {
		return h.ClientIP(r)
	}
	return realip.Resolver{}.ClientIP(r)
}

// pageCSP is the policy of every page: this origin only, no inline code,
// no framing.
const pageCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; manifest-src 'self'"

// wrap sets the headers of a page answer. Referrer-Policy is same-origin,
// not no-referrer: with no-referrer a browser sends "Origin: null" on the
// page's own POSTs, which an Origin check must refuse.
func (h *Handler) wrap(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pageHeaders(w)
		next(w, r)
	})
}

// pageHeaders sets the headers of a page answer.
func pageHeaders(w http.ResponseWriter) {
	hd := w.Header()
	hd.Set("Content-Security-Policy", pageCSP)
	hd.Set("Referrer-Policy", "same-origin")
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("X-Frame-Options", "DENY")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Cross-Origin-Opener-Policy", "same-origin")
	hd.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
}

// session returns the request's session, or nil.
func session(r *http.Request) *auth.Current { return auth.FromContext(r.Context()) }

func (h *Handler) redirectStage(w http.ResponseWriter, r *http.Request, stage navette.SessionStage, next string) {
	target := "/signin/totp"
	if stage == navette.StageEnrol {
		target = "/signin/enrol"
	}
	if next = safeNext(next); next != "/" {
		target += "?next=" + url.QueryEscape(next)
	}
	http.Redirect(w, r, target, http.StatusSeeOther)
}

// safeNext returns next, where a sign-in goes on to, if it is a path of
// this site (ownPath), a download marked to be asked for first
// (askAfterSignIn); "/" otherwise.
func safeNext(next string) string {
	if next = ownPath(next); next == "/" {
		return next
	}
	return askAfterSignIn(next)
}

// ownPath returns next if it is a path of this site other than the
// sign-in's, the sign-out's and the API's, "/" otherwise, its path cleaned
// of dot segments and repeated slashes (decoded first: "%2e" is a dot to
// a browser) as http.Redirect, the router and browsers clean it, so that
// what the caller judges is where the person lands: "/./deposits/…/zip"
// was not seen as a download. A backslash anywhere is refused: cleaned,
// "/../\host" would leave as "/\host", which browsers read as "//host".
func ownPath(next string) string {
	if next == "" || next[0] != '/' || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n\t") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || strings.ContainsAny(u.Path, "\\\r\n\t") {
		return "/"
	}
	p := path.Clean(u.Path)
	if strings.HasSuffix(u.Path, "/") && p != "/" {
		p += "/"
	}
	for _, not := range []string{"/signin", "/signout", api.Version + "/"} {
		if strings.HasPrefix(p, not) {
			return "/"
		}
	}
	u.Path, u.RawPath = p, ""
	return u.String()
}

func (h *Handler) home(w http.ResponseWriter, r *http.Request) {
	if u := navette.UserFromContext(r.Context()); u != nil {
		http.Redirect(w, r, landing(u), http.StatusSeeOther)
		return
	}
	if cur := session(r); cur != nil && cur.Session != nil && cur.Session.Stage != navette.StageFull {
		h.redirectStage(w, r, cur.Session.Stage, "/")
		return
	}
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}
