package web

import (
	"context"
	"html/template"
	"net/http"
	"strings"

	"navette"
	"navette/auth"
)

// signinData is what the sign-in page shows.
type signinData struct {
	Step     string // "" (choose) or "code"
	Email    string
	Next     string
	OIDC     bool
	Password bool
	Codes    bool
	// PasskeyAlone offers signing in with a passkey alone.
	PasskeyAlone bool
	Problem      string
	// PerHour is how many codes an address gets an hour, which the code
	// step tells, so that a person past it knows why nothing came.
	PerHour int
}

func (h *Handler) signinOptions(d *signinData) {
	if h.Auth == nil {
		d.Codes = true
		return
	}
	d.OIDC = h.Auth.OIDC != nil
	d.Password = h.Auth.LDAP != nil
	d.Codes = h.Auth.Config.Mode != auth.ModeInternal || h.Auth.Config.StaffCodes
	d.PerHour = h.Auth.Config.CodesPerHour
	d.PasskeyAlone = h.Auth.PasskeyAlone()
}

func (h *Handler) signin(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.URL.Query().Get("next"))
	if u := navette.UserFromContext(r.Context()); u != nil {
		if cur := session(r); cur == nil || cur.Session == nil || cur.Session.Stage == navette.StageFull {
			http.Redirect(w, r, next, http.StatusSeeOther)
			return
		}
	}
	d := &signinData{Next: next}
	h.signinOptions(d)
	p := h.newPage(w, r, "Connexion", "")
	if d.PasskeyAlone {
		p.Scripts = append(p.Scripts, "js/passkey.js")
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "signin", p)
}

func (h *Handler) signinCode(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	d := &signinData{Step: "code", Email: email, Next: safeNext(r.PostFormValue("next"))}
	h.signinOptions(d)
	p := h.newPage(w, r, "Connexion", "")
	p.Data = d
	if err := h.Auth.RequestCode(r.Context(), email, h.clientIP(r)); err != nil {
		d.Step, d.Problem = "", h.message(p.Lang, err)
		h.render(w, r, statusOf(err), "signin", p)
		return
	}
	h.render(w, r, http.StatusOK, "signin", p)
}

func (h *Handler) signinVerify(w http.ResponseWriter, r *http.Request) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	next := safeNext(r.PostFormValue("next"))
	is, err := h.Auth.VerifyCode(r.Context(), email, r.PostFormValue("code"), h.clientIP(r))
	if err != nil {
		h.signinFailed(w, r, &signinData{Step: "code", Email: email, Next: next}, err)
		return
	}
	h.issued(w, r, is, next)
}

// signinFailed shows the sign-in page d again, saying why err failed.
func (h *Handler) signinFailed(w http.ResponseWriter, r *http.Request, d *signinData, err error) {
	h.signinOptions(d)
	p := h.newPage(w, r, "Connexion", "")
	d.Problem = h.message(p.Lang, err)
	p.Data = d
	h.render(w, r, statusOf(err), "signin", p)
}

// issued gives the browser a new session and sends it to the next step.
// The session the request came with, if any, ends: a sign-in never leaves
// the session it replaces alive.
func (h *Handler) issued(w http.ResponseWriter, r *http.Request, is *auth.Issued, next string) {
	if err := h.replaceSession(w, r, is); err != nil {
		h.Error(w, r, err)
		return
	}
	if is.Session.Stage != navette.StageFull {
		h.redirectStage(w, r, is.Session.Stage, next)
		return
	}
	http.Redirect(w, r, issuedNext(is, next), http.StatusSeeOther)
}

// replaceSession ends the session the request came with, if any and other
// than is's, and gives the browser the cookie of is.
func (h *Handler) replaceSession(w http.ResponseWriter, r *http.Request, is *auth.Issued) error {
	if cur := session(r); cur != nil && cur.Session != nil && cur.Session.ID != is.Session.ID {
		if err := h.Auth.SignOut(r.Context(), cur.Session); err != nil {
			return err
		}
	}
	auth.SetCookie(w, is)
	return nil
}

// issuedNext is where a full sign-in that issued is goes to reach next:
// the person's landing page for "/", through the recovery codes to keep
// when is has them to show.
func issuedNext(is *auth.Issued, next string) string {
	if next == "/" {
		next = landing(is.User)
	}
	return codesNext(is, next)
}

// partial returns the session and user of a sign-in stopped at a stage:
// the guard of the route let only such a session through.
func (h *Handler) partial(w http.ResponseWriter, r *http.Request) (*navette.Session, *navette.User, bool) {
	cur := session(r)
	if cur.User == nil || cur.User.ID != cur.Session.UserID {
		h.Error(w, r, navette.Errorf(navette.EUNAUTHORIZED, "Your session has ended: sign in again."))
		return nil, nil, false
	}
	return cur.Session, cur.User, true
}

func nextOf(r *http.Request) string {
	if r.Method == http.MethodPost {
		return safeNext(r.PostFormValue("next"))
	}
	return safeNext(r.URL.Query().Get("next"))
}

// codeData is what the second-factor pages show.
type codeData struct {
	Next    string
	Problem string
	Secret  string
	URI     template.URL  // otpauth: URI of the key, see otpauthURL
	QR      template.HTML // inline SVG of URI, see qrSVG
	// TOTP and Passkey say which second factors the person may give.
	TOTP, Passkey bool
	// Recovery offers a recovery code instead.
	Recovery bool
}

func (h *Handler) totpPage(w http.ResponseWriter, r *http.Request) {
	_, u, ok := h.partial(w, r)
	if !ok {
		return
	}
	p := h.newPage(w, r, "Second facteur", "")
	d := &codeData{Next: nextOf(r)}
	if err := h.secondFactors(r, u, d, p); err != nil {
		h.Error(w, r, err)
		return
	}
	p.Data = d
	h.render(w, r, http.StatusOK, "totp", p)
}

// secondFactors sets which second factors u may give on the page p.
func (h *Handler) secondFactors(r *http.Request, u *navette.User, d *codeData, p *page) error {
	d.TOTP = !u.TOTP.IsZero()
	d.Recovery = h.Auth.RecoveryAvailable()
	has, err := h.Auth.HasPasskeys(r.Context(), u)
	if err != nil {
		return err
	}
	if d.Passkey = has; has {
		p.Scripts = append(p.Scripts, "js/passkey.js")
	}
	return nil
}

func (h *Handler) totpPost(w http.ResponseWriter, r *http.Request) {
	if is, next, ok := h.secondStep(w, r, "code", h.Auth.SecondFactor); ok {
		h.issued(w, r, is, next)
	}
}

// secondStep gives the code of the form's field (a TOTP code, or a
// recovery code for "recovery") to step, the second step of a partial
// session's sign-in, and returns the session it issued and where to go
// next. If the code fails it shows the second factor page again, and
// returns false.
func (h *Handler) secondStep(w http.ResponseWriter, r *http.Request, field string, step func(context.Context, *navette.Session, *navette.User, string) (*auth.Issued, error)) (*auth.Issued, string, bool) {
	sess, u, ok := h.partial(w, r)
	if !ok {
		return nil, "", false
	}
	next := nextOf(r)
	is, err := step(r.Context(), sess, u, r.PostFormValue(field))
	if err != nil {
		h.secondFactorFailed(w, r, sess, u, next, field == "recovery", err)
		return nil, "", false
	}
	return is, next, true
}

// secondFactorFailed shows the second factor page again with err, the
// failure of a code (or of a recovery code, which the page then offers
// again); an ended sign-in loses its cookie.
func (h *Handler) secondFactorFailed(w http.ResponseWriter, r *http.Request, sess *navette.Session, u *navette.User, next string, recovery bool, err error) {
	if navette.IsCode(err, navette.EUNAUTHORIZED) && h.Auth.Ended(r.Context(), sess) {
		auth.ClearCookie(w)
	}
	p := h.newPage(w, r, "Second facteur", "")
	d := &codeData{Next: next, Problem: h.message(p.Lang, err)}
	if err := h.secondFactors(r, u, d, p); err != nil {
		h.Error(w, r, err)
		return
	}
	if recovery {
		d.Recovery = true
	}
	p.Data = d
	h.render(w, r, statusOf(err), "totp", p)
}

func (h *Handler) enrolPage(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := h.partial(w, r)
	if !ok {
		return
	}
	h.renderEnrol(w, r, sess, u, "", http.StatusOK)
}

func (h *Handler) renderEnrol(w http.ResponseWriter, r *http.Request, sess *navette.Session, u *navette.User, problem string, status int) {
	p := h.newPage(w, r, "Activer le second facteur", "")
	e, err := h.Auth.StartEnrolment(r.Context(), sess, u)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p.Data = &codeData{Next: nextOf(r), Secret: groupSecret(e.Secret), URI: otpauthURL(e.URI), QR: qrSVG(e.URI, tr(p.Lang, "Code QR de la clé de votre second facteur")), Problem: problem,
		Passkey: h.Auth.PasskeysAvailable()}
	if h.Auth.PasskeysAvailable() {
		p.Scripts = append(p.Scripts, "js/passkey.js")
	}
	h.render(w, r, status, "enrol", p)
}

// otpauthURL returns uri, the otpauth: URI of a key being enrolled, as a
// URL a template may put in a link: html/template would otherwise replace
// the otpauth scheme, which it does not know, with "#ZgotmplZ". Anything
// but an otpauth: URI gives "".
func otpauthURL(uri string) template.URL {
	if !strings.HasPrefix(uri, "otpauth://") {
		return ""
	}
	return template.URL(uri)
}

// groupSecret shows a base32 secret in groups of four, easier to type.
func groupSecret(s string) string {
	var b strings.Builder
	for i, c := range s {
		if i > 0 && i%4 == 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (h *Handler) enrolPost(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := h.partial(w, r)
	if !ok {
		return
	}
	is, err := h.Auth.FinishEnrolment(r.Context(), sess, u, r.PostFormValue("code"))
	if err != nil {
		if navette.IsCode(err, navette.EUNAUTHORIZED) && h.Auth.Ended(r.Context(), sess) {
			auth.ClearCookie(w)
			h.signinFailed(w, r, &signinData{Next: nextOf(r)}, err)
			return
		}
		lang := h.lang(nil, r)
		h.renderEnrol(w, r, sess, u, h.message(lang, err), statusOf(err))
		return
	}
	h.issued(w, r, is, nextOf(r))
}

func (h *Handler) signinPassword(w http.ResponseWriter, r *http.Request) {
	next := safeNext(r.PostFormValue("next"))
	is, err := h.Auth.PasswordSignIn(r.Context(), r.PostFormValue("login"), r.PostFormValue("password"), h.clientIP(r))
	if err != nil {
		h.signinFailed(w, r, &signinData{Next: next}, err)
		return
	}
	h.issued(w, r, is, next)
}

// oidcNextCookie keeps where to go after an OpenID Connect sign-in.
const oidcNextCookie = "__Host-navette-next"

func (h *Handler) oidcStart(w http.ResponseWriter, r *http.Request) {
	authURL, state, err := h.Auth.StartOIDC(r.Context())
	if err != nil {
		h.Error(w, r, err)
		return
	}
	auth.SetFlowCookie(w, state)
	if next := safeNext(r.URL.Query().Get("next")); next != "/" {
		http.SetCookie(w, &http.Cookie{Name: oidcNextCookie, Value: next, Path: "/", MaxAge: 600, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	http.Redirect(w, r, authURL, http.StatusSeeOther)
}

func (h *Handler) oidcCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sealed := ""
	if c, err := r.Cookie(auth.FlowCookieName); err == nil {
		sealed = c.Value
	}
	auth.ClearFlowCookie(w)
	next := "/"
	if c, err := r.Cookie(oidcNextCookie); err == nil {
		next = safeNext(c.Value)
		http.SetCookie(w, &http.Cookie{Name: oidcNextCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	}
	if e := q.Get("error"); e != "" || sealed == "" {
		p := h.newPage(w, r, "Connexion", "")
		d := &signinData{Next: next, Problem: tr(p.Lang, "La connexion avec le compte du ministère n’a pas abouti. Recommencez.")}
		h.signinOptions(d)
		p.Data = d
		h.render(w, r, http.StatusUnauthorized, "signin", p)
		return
	}
	is, err := h.Auth.FinishOIDC(r.Context(), sealed, q.Get("state"), q.Get("code"))
	if err != nil {
		h.signinFailed(w, r, &signinData{Next: next}, err)
		return
	}
	h.issued(w, r, is, next)
}

func (h *Handler) signout(w http.ResponseWriter, r *http.Request) {
	if cur := session(r); cur != nil && cur.Session != nil {
		if err := h.Auth.SignOut(r.Context(), cur.Session); err != nil {
			h.Error(w, r, err)
			return
		}
	}
	auth.ClearCookie(w)
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func init() {
	addMissing(english, map[string]string{
		"Rien reçu ? Regardez dans le courrier indésirable. Une adresse reçoit au plus %d codes par heure : au-delà, attendez avant d’en redemander un.": "Nothing came? Look in the junk mail. An address gets at most %d codes an hour: past that, wait before asking again.",
	})
}
