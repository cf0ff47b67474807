package http

import (
	"context"
	"crypto/subtle"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"navette"
	"navette/api"
	"navette/auth"
	"navette/internal/httpfile"
)

// Access is who may call a route: the one place a route's policy is
// stated, checked by guard and walked whole by the policy test.
type Access struct {
	// Public routes need no sign-in. Otherwise the caller must be signed
	// in with a full session or an API token.
	Public bool
	// Roles may call the route; empty with Public unset means every role
	// that can sign in.
	Roles []navette.Role
	// Scope is what an API token must carry; sessions carry every scope
	// their role allows.
	Scope navette.Scope
	// SessionOnly refuses API tokens.
	SessionOnly bool
	// Partial admits sessions still at a sign-in stage (second factor,
	// enrolment), and nothing else.
	Partial bool
}

// Route is one API route: its method and path pattern, who may call it, and
// its handler.
type Route struct {
	Pattern string
	Access  Access
	handler http.HandlerFunc
}

// Routes returns every route the server itself registers (the API's, the
// demo outbox's, the catch-all), with its access policy, for the policy
// test and the documentation.
func (s *Server) Routes() ([]Route, error) {
	rs, err := s.routes()
	if err != nil {
		return nil, err
	}
	return append(rs, s.extraRoutes()...), nil
}

// Roles that appear in policies.
var (
	depositors = []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner}
	admins     = []navette.Role{navette.RoleAdmin}
	courtAdmin = []navette.Role{navette.RoleAdmin, navette.RoleCourtAdmin}
	auditors   = []navette.Role{navette.RoleAdmin, navette.RoleAuditor}
)

// identify resolves the session cookie of every request that carries one,
// and guards browsers against cross-site requests: a request that changes
// state without an API token must come from this origin, and if it carries
// the session cookie, with the session's CSRF token.
func (s *Server) identify(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bearer := strings.HasPrefix(strings.ToLower(r.Header.Get("Authorization")), "bearer ")
		unsafe := r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
		if unsafe && !bearer && !s.sameOrigin(r) {
			s.refuseForeign(w, r, navette.WrapError(navette.EFORBIDDEN, navette.ErrForeignForm, "This request did not come from the platform's own pages."))
			return
		}
		secret := auth.Secret(r)
		if secret == "" || bearer || s.Auth == nil || s.foreignAPIRead(r) {
			next.ServeHTTP(w, r)
			return
		}
		sess, u, err := s.Auth.Resolve(r.Context(), secret)
		if err != nil {
			if navette.ErrorCode(err) != navette.EUNAUTHORIZED {
				s.writeError(w, r, err)
				return
			}
			auth.ClearCookie(w)
			next.ServeHTTP(w, r)
			return
		}
		cur := &auth.Current{Session: sess, User: u, CSRF: auth.CSRFToken(secret)}
		if unsafe {
			if subtle.ConstantTimeCompare([]byte(csrfToken(w, r)), []byte(cur.CSRF)) != 1 {
				s.refuseForeign(w, r, navette.WrapError(navette.EFORBIDDEN, navette.ErrForeignForm, "The form has expired or did not come from the platform's own pages: reload the page and try again."))
				return
			}
		}
		ctx := auth.NewContext(r.Context(), cur)
		if sess.Stage == navette.StageFull {
			ctx = navette.NewContextWithUser(ctx, u)
			noteUser(ctx, u)
			ctx = navette.NewContextWithSignIn(ctx, navette.SignIn{Method: sess.Method, At: sess.CreatedAt})
		}
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

// foreignAPIRead reports whether r is a read of the API that another site
// started (httpfile.StartedElsewhere): a link followed from a phishing page
// or a webmail carries the SameSite=Lax session cookie, which must not
// download a file, a case's bundle or open a deposit in the person's name.
// Such a request is served as if it carried no cookie; the web pages ask
// the person instead, and a state change from elsewhere is refused anyway.
func (s *Server) foreignAPIRead(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, api.Version+"/") && httpfile.StartedElsewhere(r, s.PublicURL)
}

// refuseForeign answers err, a refusal of a request that did not come
// from the platform's own pages: with the web's page for it to a browser
// posting a page's form (a form of the session before, in a tab left
// open), a problem document otherwise.
func (s *Server) refuseForeign(w http.ResponseWriter, r *http.Request, err error) {
	if s.forPages(r) {
		s.Pages.Error(w, r, err)
		return
	}
	s.writeError(w, r, err)
}

// csrfToken returns the CSRF token a request that changes state sent: in
// its X-CSRF-Token header, or else in its form.
func csrfToken(w http.ResponseWriter, r *http.Request) string {
	got := r.Header.Get("X-CSRF-Token")
	if got == "" && isMultipart(r) {
		// A file upload's body is the handler's to stream: the token
		// travels in the form's action URL instead.
		got = r.URL.Query().Get("csrf")
	} else if got == "" && isForm(r) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		got = r.PostFormValue("csrf")
	}
	return got
}

// maxFormBody bounds the url-encoded forms the CSRF check reads.
const maxFormBody = 1 << 20

// isForm reports whether the request body is a url-encoded HTML form.
func isForm(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded")
}

// isMultipart reports whether the request body is a multipart form, which
// may carry a large file.
func isMultipart(r *http.Request) bool {
	return strings.HasPrefix(r.Header.Get("Content-Type"), "multipart/form-data")
}

// sameOrigin reports whether a browser sent r from this service's pages:
// by its Origin header (the public URL's origin, or the origin of the host
// it was sent to), or failing that its Sec-Fetch-Site header. A request
// carrying neither, which browsers no longer send, is not from a browser
// and is let through: it carries no ambient credentials either.
func (s *Server) sameOrigin(r *http.Request) bool {
	origin := r.Header.Get("Origin")
	if origin == "" {
		site := r.Header.Get("Sec-Fetch-Site")
		return site == "" || site == "same-origin" || site == "none"
	}
	if origin == "null" {
		return false
	}
	if s.PublicURL != "" {
		if u, err := url.Parse(s.PublicURL); err == nil && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
			return true
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(origin, scheme+"://"+r.Host)
}

// guard applies a route's access policy before its handler.
func (s *Server) guard(rt Route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rt.Access.Public {
			rt.handler(w, r)
			return
		}
		ctx := r.Context()
		if rt.Access.Partial {
			if err := partialAccess(ctx); err != nil {
				s.writeError(w, r, err)
				return
			}
			rt.handler(w, r)
			return
		}
		u := navette.UserFromContext(ctx)
		var tok *navette.Token
		if u == nil {
			var err error
			if ctx, u, tok, err = s.tokenUser(r); err != nil {
				s.writeError(w, r, err)
				return
			}
		}
		if err := s.allow(ctx, rt, u, tok); err != nil {
			s.writeError(w, r, err)
			return
		}
		rt.handler(w, r.WithContext(ctx))
	})
}

// partialAccess refuses a route for the partly signed-in (Access.Partial)
// to a request that is not, or is fully signed in.
func partialAccess(ctx context.Context) error {
	cur := auth.FromContext(ctx)
	if cur == nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "Start by signing in with the code sent to you.")
	}
	if cur.Session.Stage == navette.StageFull {
		return navette.Errorf(navette.ECONFLICT, "You are signed in already.")
	}
	return nil
}

// tokenUser authenticates a request without a signed-in session by its
// API token, and returns its context with the token's user.
func (s *Server) tokenUser(r *http.Request) (context.Context, *navette.User, *navette.Token, error) {
	ctx := r.Context()
	scheme, secret, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		msg := "Sign in, or give an API token (Authorization: Bearer …)."
		if cur := auth.FromContext(ctx); cur != nil {
			msg = "Finish signing in: your second factor is expected."
		}
		return nil, nil, nil, navette.Errorf(navette.EUNAUTHORIZED, "%s", msg)
	}
	u, tok, err := s.Accounts.Authenticate(ctx, strings.TrimSpace(secret))
	if err != nil {
		return nil, nil, nil, err
	}
	ctx = navette.NewContextWithUser(ctx, u)
	noteUser(ctx, u)
	ctx = navette.NewContextWithSignIn(ctx, navette.SignIn{Method: "token", At: tok.CreatedAt})
	return ctx, u, tok, nil
}

// allow applies the route's policy to u, signed in with a session or with
// the API token tok.
func (s *Server) allow(ctx context.Context, rt Route, u *navette.User, tok *navette.Token) error {
	if tok != nil && rt.Access.SessionOnly {
		return navette.Errorf(navette.EFORBIDDEN, "This can only be done from a signed-in browser session, not with an API token.")
	}
	if len(rt.Access.Roles) > 0 && !slices.Contains(rt.Access.Roles, u.Role) {
		return navette.Errorf(navette.EFORBIDDEN, "Your role does not allow this.")
	}
	if tok != nil && rt.Access.Scope != "" && !tok.HasScope(rt.Access.Scope) {
		return navette.Errorf(navette.EFORBIDDEN, "This API token lacks the %q scope.", rt.Access.Scope)
	}
	if cur := auth.FromContext(ctx); tok == nil && cur != nil && s.Auth != nil && rt.Pattern != "GET "+api.PathMe {
		if err := s.Auth.CheckAssurance(u, cur.Session); err != nil {
			return err
		}
		if s.needsStepUp(rt.Pattern) {
			return s.Auth.RequireFresh(cur.Session)
		}
	}
	return nil
}
