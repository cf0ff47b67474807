package auth

import (
	"context"
	"net/http"
	"time"

	"navette"
)

// CookieName is the session cookie. The __Host- prefix makes browsers keep
// it to this exact origin, over HTTPS, for every path.
const CookieName = "__Host-navette"

// FlowCookieName keeps an OpenID Connect sign-in's sealed state until the
// identity provider sends the browser back.
const FlowCookieName = "__Host-navette-oidc"

// SetCookie gives the browser the session's secret: Secure, HttpOnly,
// SameSite=Lax, for the session's whole life at most.
func SetCookie(w http.ResponseWriter, is *Issued) {
	http.SetCookie(w, &http.Cookie{
		Name:     CookieName,
		Value:    is.Secret,
		Path:     "/",
		Expires:  is.Session.ExpiresAt,
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearCookie removes the session cookie from the browser.
func ClearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// SetFlowCookie keeps the sealed state of an OpenID Connect sign-in.
func SetFlowCookie(w http.ResponseWriter, sealed string) {
	http.SetCookie(w, &http.Cookie{
		Name:     FlowCookieName,
		Value:    sealed,
		Path:     "/",
		MaxAge:   int(FlowTTL / time.Second),
		Secure:   true,
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
}

// ClearFlowCookie removes the OpenID Connect state cookie.
func ClearFlowCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: FlowCookieName, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// Secret returns the session secret the request's cookie carries, or "".
func Secret(r *http.Request) string {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return ""
	}
	return c.Value
}

type ctxKey int

const sessionKey ctxKey = iota

// Current is the session a request was made with.
type Current struct {
	Session *navette.Session
	User    *navette.User
	// CSRF is the token state-changing requests of this session carry
	// (form field "csrf" or header X-CSRF-Token).
	CSRF string
}

// NewContext returns ctx carrying the request's session.
func NewContext(ctx context.Context, c *Current) context.Context {
	return context.WithValue(ctx, sessionKey, c)
}

// FromContext returns the request's session, or nil if it was made with a
// token or anonymously.
func FromContext(ctx context.Context) *Current {
	c, _ := ctx.Value(sessionKey).(*Current)
	return c
}
