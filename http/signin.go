package http

import (
	"context"
	"net/http"

	"navette"
	"navette/api"
	"navette/auth"
	"navette/internal/realip"
)

// clientIP is the address rate limits count against: Server.ClientIP's
// answer, or the peer's.
func (s *Server) clientIP(r *http.Request) string {
	if s.ClientIP != nil {
		return s.ClientIP(r)
	}
	return realip.Resolver{}.ClientIP(r)
}

// sessionJSON describes an issued session.
func sessionJSON(is *auth.Issued) api.Session {
	return api.Session{Stage: string(is.Session.Stage), ExpiresAt: is.Session.ExpiresAt.UTC(), CSRF: auth.CSRFToken(is.Secret)}
}

func (s *Server) handleRequestCode(w http.ResponseWriter, r *http.Request) {
	var in api.SignInCodeRequest
	if !s.readJSON(w, r, &in) {
		return
	}
	if err := s.Auth.RequestCode(r.Context(), in.Email, s.clientIP(r)); err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusAccepted, map[string]string{"status": "If this address may sign in, a code is on its way."})
}

func (s *Server) handleVerifyCode(w http.ResponseWriter, r *http.Request) {
	var in api.SignInCodeVerify
	if !s.readJSON(w, r, &in) {
		return
	}
	is, err := s.Auth.VerifyCode(r.Context(), in.Email, in.Code, s.clientIP(r))
	s.writeSignedIn(w, r, is, err)
}

// writeSignedIn answers a sign-in that issued the session is, or failed
// with err: the session replaces the request's, and is answered.
func (s *Server) writeSignedIn(w http.ResponseWriter, r *http.Request, is *auth.Issued, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.replaceSession(w, r, is)
	writeJSON(w, http.StatusOK, sessionJSON(is))
}

// replaceSession ends the session the request came with, if any, and sets
// the cookie of is, the session a new sign-in issued.
func (s *Server) replaceSession(w http.ResponseWriter, r *http.Request, is *auth.Issued) {
	s.endCurrent(r)
	auth.SetCookie(w, is)
}

// endCurrent ends the session the request came with, if any, when a new
// sign-in replaces it.
func (s *Server) endCurrent(r *http.Request) {
	if cur := auth.FromContext(r.Context()); cur != nil {
		if err := s.Auth.SignOut(r.Context(), cur.Session); err != nil {
			s.log().ErrorContext(r.Context(), "ending a replaced session", "err", err)
		}
	}
}

func (s *Server) handlePasswordSignIn(w http.ResponseWriter, r *http.Request) {
	var in api.PasswordSignIn
	if !s.readJSON(w, r, &in) {
		return
	}
	is, err := s.Auth.PasswordSignIn(r.Context(), in.Login, in.Password, s.clientIP(r))
	s.writeSignedIn(w, r, is, err)
}

func (s *Server) handleSecondFactor(w http.ResponseWriter, r *http.Request) {
	s.totpStep(w, r, s.Auth.SecondFactor)
}

// totpStep reads the TOTP code of a sign-in's second step, gives it to step
// (SecondFactor or FinishEnrolment) and answers with the session it issues.
func (s *Server) totpStep(w http.ResponseWriter, r *http.Request, step func(context.Context, *navette.Session, *navette.User, string) (*auth.Issued, error)) {
	var in api.SecondFactor
	if !s.readJSON(w, r, &in) {
		return
	}
	cur := auth.FromContext(r.Context())
	is, err := step(r.Context(), cur.Session, cur.User, in.Code)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := sessionJSON(is)
	if is.ShowCodes {
		if out.RecoveryCodes, err = s.Auth.NewRecoveryCodes(r.Context(), is.Session); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	auth.SetCookie(w, is)
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) handleStartEnrolment(w http.ResponseWriter, r *http.Request) {
	cur := auth.FromContext(r.Context())
	e, err := s.Auth.StartEnrolment(r.Context(), cur.Session, cur.User)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, api.Enrolment{Secret: e.Secret, URI: e.URI})
}

func (s *Server) handleFinishEnrolment(w http.ResponseWriter, r *http.Request) {
	s.totpStep(w, r, s.Auth.FinishEnrolment)
}

func (s *Server) handleStartOIDC(w http.ResponseWriter, r *http.Request) {
	u, sealed, err := s.Auth.StartOIDC(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	auth.SetFlowCookie(w, sealed)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, u, http.StatusSeeOther)
}

func (s *Server) handleFinishOIDC(w http.ResponseWriter, r *http.Request) {
	c, err := r.Cookie(auth.FlowCookieName)
	if err != nil {
		s.signInError(w, r, navette.Errorf(navette.EUNAUTHORIZED, "The sign-in was not started from this browser, or took too long: start again."))
		return
	}
	auth.ClearFlowCookie(w)
	q := r.URL.Query()
	if e := q.Get("error"); e != "" {
		s.signInError(w, r, navette.Errorf(navette.EUNAUTHORIZED, "The identity provider refused the sign-in."))
		return
	}
	is, err := s.Auth.FinishOIDC(r.Context(), c.Value, q.Get("state"), q.Get("code"))
	if err != nil {
		s.signInError(w, r, err)
		return
	}
	s.replaceSession(w, r, is)
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

// signInError answers a failed browser sign-in with a page when there is a
// web interface, a problem document otherwise.
func (s *Server) signInError(w http.ResponseWriter, r *http.Request, err error) {
	if s.Pages != nil && wantsHTML(r) {
		s.Pages.Error(w, r, err)
		return
	}
	s.writeError(w, r, err)
}

func (s *Server) handleSignOut(w http.ResponseWriter, r *http.Request) {
	s.endCurrent(r)
	auth.ClearCookie(w)
	w.WriteHeader(http.StatusNoContent)
}
