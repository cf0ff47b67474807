package web

import (
	"cmp"
	"context"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"time"

	"navette"
	"navette/auth"
)

// stepUpPages are the web routes that need a fresh strong authentication
// (auth.Service.RequireFresh): adding members to a service mailbox,
// applying a directory import, saving the platform's settings. Adding or
// removing a passkey checks it in the auth service.
var stepUpPages = map[string]bool{
	"POST /admin/services/{id}/members": true,
	"POST /admin/imports/apply":         true,
	"POST /admin/settings":              true,
	"POST /admin/requests/{id}/approve": true,
	"POST /admin/settings/policy":       true,
}

// downloadPages are the downloads that need a fresh strong authentication
// too when the operator asks it (auth.Config.StepUpDownloads).
var downloadPages = map[string]bool{
	"GET /deposits/{id}/files/{fid}": true,
	"GET /deposits/{id}/zip":         true,
	"GET /cases/{id}/zip":            true,
}

// needsStepUp reports whether pattern needs a fresh session.
func (h *Handler) needsStepUp(pattern string) bool {
	return stepUpPages[pattern] || (downloadPages[pattern] && h.Auth.Config.StepUpDownloads)
}

// resumeFormKey carries, from the route that asked for a step-up to the
// account page, the form to send again once it is done.
type resumeFormKey struct{}

// resumeKey carries, from the route that asked for a step-up to the
// account page, where to go once it is done.
type resumeKey struct{}

// resumeTarget is where the person goes back to after a step-up asked for
// by r: the page itself for a GET (a download resumes), the page the form
// was sent from for anything else (its action can be made again at once).
// Only a path of this site is ever returned; "" if there is none.
func resumeTarget(r *http.Request) string {
	if r.Method == http.MethodGet {
		return resumeNext(r.URL.RequestURI())
	}
	ref, err := url.Parse(r.Header.Get("Referer"))
	if err != nil || (ref.Host != "" && ref.Host != r.Host) {
		return ""
	}
	return resumeNext(ref.RequestURI())
}

// resumeNext returns next if it is a path of this site to go back to
// after a step-up, else "".
func resumeNext(next string) string {
	if next == "" || ownPath(next) != next || strings.HasPrefix(next, "/account/step-up") {
		return ""
	}
	return next
}

// maxPasskeyBody bounds the JSON a passkey ceremony's answer comes in.
const maxPasskeyBody = 64 << 10

// passkeyAnswer is what passkey.js posts to finish a ceremony.
type passkeyAnswer struct {
	ID         string          `json:"id"`
	Name       string          `json:"name,omitempty"`
	Credential json.RawMessage `json:"credential"`
}

// ceremonyJSON is what passkey.js receives to start a ceremony.
type ceremonyJSON struct {
	ID      string          `json:"id"`
	Options json.RawMessage `json:"options"`
}

// nextJSON tells passkey.js where to go once a ceremony succeeded.
type nextJSON struct {
	Next string `json:"next"`
}

// writeJSON answers v as JSON with status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// passkeyProblem answers err to passkey.js as an RFC 9457 problem whose
// detail is in the page's language.
func (h *Handler) passkeyProblem(w http.ResponseWriter, r *http.Request, err error) {
	status := statusOf(err)
	if status >= 500 {
		h.log().Error("passkey ceremony", "path", r.URL.Path, "err", err)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	code := navette.ErrorCode(err)
	json.NewEncoder(w).Encode(map[string]any{
		"type":   "tag:navette,2026:problem:" + code,
		"title":  http.StatusText(status),
		"status": status,
		"detail": h.message(h.lang(nil, r), err),
		"code":   code,
	})
}

func (h *Handler) stepUpTOTP(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	if err := h.Auth.StepUpTOTP(r.Context(), cur.Session, cur.User, r.PostFormValue("code")); err != nil {
		if status := statusOf(err); status < 500 {
			h.renderAccount(w, r, status, h.message(h.lang(nil, r), err))
			return
		}
		h.Error(w, r, err)
		return
	}
	if f := resumedForm(r); f != nil {
		h.resume(w, r, f)
		return
	}
	http.Redirect(w, r, cmp.Or(resumeNext(r.PostFormValue("next")), "/account?done=verified"), http.StatusSeeOther)
}

func (h *Handler) stepUpPasskeyOptions(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	h.beginCeremony(w, r, cur.Session, cur.User, h.Auth.BeginStepUpPasskey)
}

func (h *Handler) stepUpPasskey(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	h.finishCeremony(w, r, func(a *passkeyAnswer) (string, error) {
		err := h.Auth.FinishStepUpPasskey(r.Context(), cur.Session, cur.User, a.ID, a.Credential)
		return cmp.Or(resumeNext(r.URL.Query().Get("next")), "/account?done=verified"), err
	})
}

// finishCeremony finishes a passkey ceremony with the answer passkey.js
// posted: finish checks it and returns where the browser goes next. A
// failure is answered as passkeyProblem does.
func (h *Handler) finishCeremony(w http.ResponseWriter, r *http.Request, finish func(*passkeyAnswer) (next string, err error)) {
	a, err := readAnswer(w, r)
	next := ""
	if err == nil {
		next, err = finish(a)
	}
	if err != nil {
		h.passkeyProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, nextJSON{Next: next})
}

// readAnswer reads the answer of a ceremony.
func readAnswer(w http.ResponseWriter, r *http.Request) (*passkeyAnswer, error) {
	var a passkeyAnswer
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxPasskeyBody))
	if err != nil || json.Unmarshal(body, &a) != nil || len(a.Credential) == 0 {
		return nil, navette.Errorf(navette.EINVALID, "The browser's answer is not a passkey.")
	}
	return &a, nil
}

// passkeyRow is one passkey on the account page.
type passkeyRow struct {
	ID       string
	Name     string
	Created  time.Time
	LastUsed time.Time
}

// accountData is what the account page shows.
type accountData struct {
	Available bool // passkeys are set up on the platform
	TOTP      bool // a TOTP secret is enrolled
	Method    string
	SignedIn  time.Time
	Sessions  []sessionRow // the person's live sessions, theirs marked
	Passkeys  []passkeyRow
	Problem   string
	// StepUp is set when changing factors first needs the person to
	// prove who they are again, with TOTP or a passkey (StepUpTOTP,
	// StepUpPasskey).
	StepUp                    bool
	StepUpTOTP, StepUpPasskey bool
	// Weak is set when the session is below the minimum assurance of the
	// person's role: they must add a passkey and sign in with it.
	Weak bool
	// Recovery offers new recovery codes; RecoveryLeft is how many are
	// left.
	Recovery     bool
	RecoveryLeft int
	// Next is the page to go back to once the step-up is done ("" to
	// stay on the account page), and NextQuery it as a query string.
	Next, NextQuery string
	// Resume is the form that asked for the step-up, to be shown again
	// filled once it is done with TOTP (nil if none).
	Resume *resumeForm
}

func (h *Handler) account(w http.ResponseWriter, r *http.Request) {
	h.renderAccount(w, r, http.StatusOK, "")
}

func (h *Handler) renderAccount(w http.ResponseWriter, r *http.Request, status int, problem string) {
	u := navette.UserFromContext(r.Context())
	d := &accountData{Available: h.Auth != nil && h.Auth.PasskeysAvailable(), TOTP: !u.TOTP.IsZero(), Problem: problem}
	err := h.accountFactors(r, u, d)
	if err == nil {
		err = h.accountSession(r, u, d)
	}
	if err != nil {
		h.Error(w, r, err)
		return
	}
	p := h.newPage(w, r, "Mon compte", "account")
	p.Flash = accountFlashes.say(p.Lang, r.URL.Query().Get("done"))
	if d.Available || d.StepUpPasskey {
		p.Scripts = append(p.Scripts, "js/passkey.js")
	}
	p.Data = d
	h.render(w, r, status, "account", p)
}

// accountFlashes are the account page's notes after an action.
var accountFlashes = flashes{
	"added":    text("La clé d’accès est enregistrée."),
	"removed":  text("La clé d’accès est supprimée."),
	"verified": text("Votre identité est confirmée : vous pouvez modifier vos facteurs pendant quelques minutes."),
	"others":   text("Vos autres sessions sont fermées."),
}

// accountFactors fills d with u's passkeys and recovery codes left, where
// the platform offers them.
func (h *Handler) accountFactors(r *http.Request, u *navette.User, d *accountData) error {
	if d.Available {
		keys, err := h.Auth.Passkeys(r.Context(), u)
		if err != nil {
			return err
		}
		for _, k := range keys {
			d.Passkeys = append(d.Passkeys, passkeyRow{ID: k.ID, Name: k.Name, Created: k.CreatedAt, LastUsed: k.LastUsedAt})
		}
	}
	if d.Recovery = h.Auth.RecoveryAvailable(); d.Recovery {
		n, err := h.Auth.RecoveryCodesLeft(r.Context(), u)
		if err != nil {
			return err
		}
		d.RecoveryLeft = n
	}
	return nil
}

// accountSession fills d with what the current session is: how it signed
// in, whether it is too weak, and the step-up it needs when it is no longer
// fresh.
func (h *Handler) accountSession(r *http.Request, u *navette.User, d *accountData) error {
	cur := session(r)
	if cur == nil || cur.Session == nil {
		return nil
	}
	d.Method, d.SignedIn = methodName(cur.Session.Method), cur.Session.CreatedAt
	if err := h.ownSessions(r, u, cur.Session, d); err != nil {
		return err
	}
	d.Weak = h.Auth.CheckAssurance(u, cur.Session) != nil
	if h.Auth.Fresh(cur.Session) {
		return nil
	}
	var err error
	if d.StepUpTOTP, d.StepUpPasskey, err = h.Auth.CanStepUp(r.Context(), u); err != nil {
		return err
	}
	d.StepUp = true
	d.Resume, _ = r.Context().Value(resumeFormKey{}).(*resumeForm)
	if d.Next, _ = r.Context().Value(resumeKey{}).(string); d.Next != "" {
		d.NextQuery = "?next=" + url.QueryEscape(d.Next)
	}
	return nil
}

func (h *Handler) passkeyRegisterOptions(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	h.beginCeremony(w, r, cur.Session, cur.User, h.Auth.BeginPasskeyRegistration)
}

func (h *Handler) passkeyRegister(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	h.finishCeremony(w, r, func(a *passkeyAnswer) (string, error) {
		_, err := h.Auth.FinishPasskeyRegistration(r.Context(), cur.Session, cur.User, a.ID, a.Name, a.Credential)
		return "/account?done=added", err
	})
}

func (h *Handler) passkeyRemove(w http.ResponseWriter, r *http.Request) {
	cur := session(r)
	if err := h.Auth.RemovePasskey(r.Context(), cur.Session, cur.User, r.PathValue("id")); err != nil {
		if navette.IsCode(err, navette.ECONFLICT) || navette.IsCode(err, navette.ESTEPUP) {
			h.renderAccount(w, r, http.StatusConflict, h.message(h.lang(nil, r), err))
			return
		}
		h.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/account?done=removed", http.StatusSeeOther)
}

func (h *Handler) passkeyEnrolOptions(w http.ResponseWriter, r *http.Request) {
	if sess, u, ok := h.partial(w, r); ok {
		h.beginCeremony(w, r, sess, u, h.Auth.BeginPasskeyEnrolment)
	}
}

// beginCeremony begins, with begin, a passkey ceremony of the session sess
// of u, and answers its options.
func (h *Handler) beginCeremony(w http.ResponseWriter, r *http.Request, sess *navette.Session, u *navette.User, begin func(context.Context, *navette.Session, *navette.User) (*auth.Ceremony, error)) {
	c, err := begin(r.Context(), sess, u)
	if err != nil {
		h.passkeyProblem(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ceremonyJSON{ID: c.ID, Options: c.Options})
}

func (h *Handler) passkeyEnrol(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := h.partial(w, r)
	if !ok {
		return
	}
	h.finishCeremony(w, r, func(a *passkeyAnswer) (string, error) {
		is, err := h.Auth.FinishPasskeyEnrolment(r.Context(), sess, u, a.ID, a.Name, a.Credential)
		return h.signedIn(w, r, is, err)
	})
}

func (h *Handler) passkeySecondOptions(w http.ResponseWriter, r *http.Request) {
	if sess, u, ok := h.partial(w, r); ok {
		h.beginCeremony(w, r, sess, u, h.Auth.BeginPasskeySecondFactor)
	}
}

func (h *Handler) passkeySecond(w http.ResponseWriter, r *http.Request) {
	sess, u, ok := h.partial(w, r)
	if !ok {
		return
	}
	h.finishCeremony(w, r, func(a *passkeyAnswer) (string, error) {
		is, err := h.Auth.FinishPasskeySecondFactor(r.Context(), sess, u, a.ID, a.Credential)
		if navette.IsCode(err, navette.EUNAUTHORIZED) && h.Auth.Ended(r.Context(), sess) {
			auth.ClearCookie(w)
		}
		return h.signedIn(w, r, is, err)
	})
}

// signedIn gives the browser is, the session a passkey ceremony made or
// failed to make (err), ending the session the request came with, and
// returns where passkey.js goes next.
func (h *Handler) signedIn(w http.ResponseWriter, r *http.Request, is *auth.Issued, err error) (string, error) {
	if err == nil {
		err = h.replaceSession(w, r, is)
	}
	if err != nil {
		return "", err
	}
	return issuedNext(is, safeNext(r.URL.Query().Get("next"))), nil
}

func (h *Handler) passkeyAloneOptions(w http.ResponseWriter, r *http.Request) {
	c, secret, err := h.Auth.BeginPasskeySignIn(r.Context(), h.clientIP(r))
	if err != nil {
		h.passkeyProblem(w, r, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: auth.PasskeyFlowCookieName, Value: secret, Path: "/", MaxAge: int(auth.PasskeyTimeout / time.Second),
		Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	writeJSON(w, http.StatusOK, ceremonyJSON{ID: c.ID, Options: c.Options})
}

func (h *Handler) passkeyAlone(w http.ResponseWriter, r *http.Request) {
	secret := ""
	if c, err := r.Cookie(auth.PasskeyFlowCookieName); err == nil {
		secret = c.Value
	}
	http.SetCookie(w, &http.Cookie{Name: auth.PasskeyFlowCookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
	h.finishCeremony(w, r, func(a *passkeyAnswer) (string, error) {
		is, err := h.Auth.FinishPasskeySignIn(r.Context(), secret, a.ID, a.Credential, h.clientIP(r))
		return h.signedIn(w, r, is, err)
	})
}

func init() {
	maps.Copy(english, passkeyEnglish)
	maps.Copy(french, passkeyFrench)
}

// passkeyEnglish translates the texts of the passkey pages.
var passkeyEnglish = map[string]string{
	"Mon compte":                       "My account",
	"Clés d’accès":                     "Passkeys",
	"Clé d’accès":                      "Passkey",
	"Nom":                              "Name",
	"Ajoutée le":                       "Added on",
	"Dernière utilisation":             "Last used",
	"Jamais":                           "Never",
	"Supprimer":                        "Remove",
	"Supprimer la clé d’accès %s":      "Remove the passkey %s",
	"Ajouter une clé d’accès":          "Add a passkey",
	"Nom de la clé d’accès":            "Name of the passkey",
	"Par exemple : Téléphone, Clé USB": "For example: Phone, USB key",
	"Aucune clé d’accès.":              "No passkey.",
	"La clé d’accès est enregistrée.":  "The passkey is saved.",
	"La clé d’accès est supprimée.":    "The passkey is removed.",
	"Application d’authentification":   "Authenticator application",
	"Activée":                          "Enabled",
	"Non activée":                      "Not enabled",
	"Connexion actuelle":               "Current sign-in",
	"Méthode : %s, depuis le %s.":      "Method: %s, since %s.",
	"Une clé d’accès (empreinte, code de l’appareil, clé de sécurité) remplace le code de votre application d’authentification. Elle ne fonctionne que sur cette plateforme, ce qui la protège de l’hameçonnage.": "A passkey (fingerprint, device PIN, security key) replaces the code of your authenticator application. It works only on this platform, which protects it from phishing.",
	"Les clés d’accès ne sont pas disponibles sur cette plateforme.":                                                                                                              "Passkeys are not available on this platform.",
	"Votre navigateur ne permet pas d’utiliser une clé d’accès.":                                                                                                                  "Your browser cannot use a passkey.",
	"La clé d’accès n’a pas été utilisée : l’opération a été annulée ou a expiré. Recommencez.":                                                                                   "The passkey was not used: the operation was cancelled or timed out. Try again.",
	"La plateforme n’a pas répondu. Rechargez la page, puis recommencez si vous n’êtes pas connecté.":                                                                             "The platform did not answer. Reload the page, then try again if you are not signed in.",
	"La plateforme n’a pas répondu. Rechargez la page : elle montrera si votre identité est confirmée ; sinon, recommencez.":                                                      "The platform did not answer. Reload the page: it will show whether your identity is confirmed; if not, try again.",
	"La plateforme n’a pas répondu : la clé d’accès a peut-être été ajoutée. Rechargez la page pour le vérifier avant de recommencer.":                                            "The platform did not answer: the passkey may have been added. Reload the page to check before trying again.",
	"La plateforme n’a pas répondu à temps : la liste ci-dessus montre si la clé d’accès a été ajoutée. Si elle n’y figure pas, recommencez.":                                     "The platform did not answer in time: the list above shows whether the passkey was added. If it is not there, try again.",
	"La plateforme n’a pas répondu : la clé d’accès a peut-être été enregistrée. Rechargez la page ; si elle vous renvoie à la connexion, connectez-vous avec cette clé d’accès.": "The platform did not answer: the passkey may have been saved. Reload the page; if it takes you back to sign-in, sign in with this passkey.",
	"Utiliser une clé d’accès":                 "Use a passkey",
	"Se connecter avec une clé d’accès":        "Sign in with a passkey",
	"ou":                                       "or",
	"Ou utilisez une clé d’accès":              "Or use a passkey",
	"Utiliser une clé d’accès et se connecter": "Use a passkey and sign in",
	"Ou une application d’authentification":    "Or an authenticator application",
	"Votre rôle demande une connexion plus sûre : ajoutez une clé d’accès ci-dessous, puis reconnectez-vous avec elle. D’ici là, seule cette page vous est ouverte.": "Your role needs a stronger sign-in: add a passkey below, then sign in again with it. Until then, only this page is open to you.",
	"Votre identité est confirmée : vous pouvez modifier vos facteurs pendant quelques minutes.":                                                                     "Your identity is confirmed: you may change your factors for a few minutes.",
	"Confirmez votre identité": "Confirm who you are",
	"Pour ajouter ou supprimer une clé d’accès, confirmez d’abord votre identité avec une clé d’accès ou le code de votre application d’authentification.":                                "To add or remove a passkey, first confirm who you are with a passkey or the code of your authenticator application.",
	"Cette action demande de confirmer d’abord votre identité, avec une clé d’accès ou le code de votre application d’authentification. Vous reviendrez ensuite à la page où vous étiez.": "This action first needs you to confirm who you are, with a passkey or the code of your authenticator application. You will then go back to the page you were on.",
	"Confirmer avec une clé d’accès": "Confirm with a passkey",
	"Confirmer":                      "Confirm",
}

// passkeyFrench translates the messages of the passkey ceremonies.
var passkeyFrench = map[string]string{
	"The passkey request expired or was already answered: try again.":                "La demande de clé d’accès a expiré ou a déjà reçu une réponse : recommencez.",
	"The browser's answer is not a passkey.":                                         "La réponse du navigateur n’est pas une clé d’accès.",
	"The passkey was refused: use one registered for your account on this platform.": "La clé d’accès a été refusée : utilisez une clé enregistrée pour votre compte sur cette plateforme.",
	"This passkey is your last second factor: add another one before removing it.":   "Cette clé d’accès est votre dernier second facteur : ajoutez-en un autre avant de la supprimer.",
	"Name the passkey in 1 to 60 characters.":                                        "Nommez la clé d’accès en 1 à 60 caractères.",
	"A passkey's name cannot hold control characters.":                               "Le nom d’une clé d’accès ne peut pas contenir de caractères de contrôle.",
	"This action needs you to confirm who you are again: give your passkey or the code of your authenticator application (in \"Mon compte\"), then try again.": "Cette action demande de confirmer à nouveau votre identité : donnez votre clé d’accès ou le code de votre application d’authentification (dans « Mon compte »), puis recommencez.",
	"No authenticator application is enrolled.":                                                                          "Aucune application d’authentification n’est activée.",
	"Your role needs a stronger sign-in: add a passkey in your account, then sign in with it.":                           "Votre rôle demande une connexion plus sûre : ajoutez une clé d’accès dans votre compte, puis connectez-vous avec elle.",
	"Signing in with a passkey alone is not allowed on this platform.":                                                   "La connexion avec une clé d’accès seule n’est pas permise sur cette plateforme.",
	"You have no passkey: use your authenticator application.":                                                           "Vous n’avez pas de clé d’accès : utilisez votre application d’authentification.",
	"Passkeys are not available on this platform.":                                                                       "Les clés d’accès ne sont pas disponibles sur cette plateforme.",
	"The passkey could not be checked: it was not made for this platform, or without verifying you (PIN, fingerprint…).": "La clé d’accès n’a pas pu être vérifiée : elle n’a pas été créée pour cette plateforme, ou sans vous vérifier (code, empreinte…).",
}
