package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"navette"
)

// Access is who may open a page, in the API's vocabulary
// (navette/http.Access) and with the same meaning; pages are for browser
// sessions only, so there is no token scope. The guard refuses the way
// pages do: an anonymous GET goes to the sign-in page and back, a session
// stopped at a sign-in step goes to that step, any other request without a
// session gets the 401 page, and a role not listed the 403 page.
type Access struct {
	// Public pages need no sign-in.
	Public bool
	// Partial, when set, is the sign-in stage whose sessions, and only
	// they, may open the page: the steps of signing in.
	Partial navette.SessionStage
	// Roles may open the page; empty with Public and Partial unset means
	// every role that can sign in, with a full session.
	Roles []navette.Role
	// Refused is what the 403 page tells the roles not listed, if more
	// than that their role does not allow it.
	Refused string
}

// Route is one web route: its method and path pattern, who may open it,
// and its handler.
type Route struct {
	Pattern string
	Access  Access
	handler http.HandlerFunc
	// asset routes serve files, not pages: they set their own headers.
	asset bool
}

// Mux is where Register adds the routes: an *http.ServeMux, or the
// server's mux that records what is registered on it.
type Mux = interface {
	Handle(pattern string, handler http.Handler)
}

// Routes returns every web route with its access policy: the one table of
// what the web interface serves, registered by Register and walked by the
// policy test.
func (h *Handler) Routes() []Route {
	public := Access{Public: true}
	signedIn := Access{}
	admin := Access{Roles: []navette.Role{navette.RoleAdmin}}
	courtAdmin := Access{Roles: []navette.Role{navette.RoleAdmin, navette.RoleCourtAdmin}}
	audit := Access{Roles: []navette.Role{navette.RoleAuditor}}
	depositors := Access{Roles: []navette.Role{navette.RoleAgent, navette.RoleCourtAdmin, navette.RolePartner}, Refused: msgNoDeposit}
	return []Route{
		{Pattern: "GET /static/{path...}", Access: public, handler: h.serveStatic, asset: true},

		{Pattern: "GET /{$}", Access: public, handler: h.home},
		{Pattern: "GET /inbox", Access: signedIn, handler: h.inbox},
		{Pattern: "GET /sent", Access: signedIn, handler: h.sent},
		{Pattern: "GET /new", Access: depositors, handler: h.newDeposit},
		{Pattern: "GET /new/problem", Access: depositors, handler: h.problemText},
		{Pattern: "GET /drafts", Access: depositors, handler: h.drafts},
		{Pattern: "POST /deposits/{id}/discard", Access: depositors, handler: h.discard},
		{Pattern: "GET /deposits/{id}", Access: signedIn, handler: h.depositPage},
		{Pattern: "GET /deposits/{id}/zip", Access: signedIn, handler: h.zip},
		{Pattern: "GET /deposits/{id}/files/{fid}", Access: signedIn, handler: h.download},
		{Pattern: "POST /deposits/{id}/revoke", Access: signedIn, handler: h.revoke},
		{Pattern: "POST /deposits/{id}/reply", Access: signedIn, handler: h.reply},
		{Pattern: "POST /deposits/{id}/extend", Access: signedIn, handler: h.extend},
		{Pattern: "POST /deposits/{id}/forward", Access: signedIn, handler: h.forward},
		{Pattern: "GET /cases", Access: signedIn, handler: h.cases},
		{Pattern: "GET /cases/{id}", Access: signedIn, handler: h.casePage},
		{Pattern: "GET /cases/{id}/zip", Access: signedIn, handler: h.caseZip},

		{Pattern: "GET /accessibilite", Access: public, handler: h.legal},
		{Pattern: "GET /mentions-legales", Access: public, handler: h.legal},
		{Pattern: "GET /donnees-personnelles", Access: public, handler: h.legal},

		{Pattern: "GET /signin", Access: public, handler: h.signin},
		{Pattern: "POST /signin/code", Access: public, handler: h.signinCode},
		{Pattern: "POST /signin/verify", Access: public, handler: h.signinVerify},
		{Pattern: "GET /signin/totp", Access: Access{Partial: navette.StageSecondFactor}, handler: h.totpPage},
		{Pattern: "POST /signin/totp", Access: Access{Partial: navette.StageSecondFactor}, handler: h.totpPost},
		{Pattern: "GET /signin/enrol", Access: Access{Partial: navette.StageEnrol}, handler: h.enrolPage},
		{Pattern: "POST /signin/enrol", Access: Access{Partial: navette.StageEnrol}, handler: h.enrolPost},
		{Pattern: "POST /signin/enrol/passkey/options", Access: Access{Partial: navette.StageEnrol}, handler: h.passkeyEnrolOptions},
		{Pattern: "POST /signin/enrol/passkey", Access: Access{Partial: navette.StageEnrol}, handler: h.passkeyEnrol},
		{Pattern: "POST /signin/passkey/options", Access: Access{Partial: navette.StageSecondFactor}, handler: h.passkeySecondOptions},
		{Pattern: "POST /signin/passkey", Access: Access{Partial: navette.StageSecondFactor}, handler: h.passkeySecond},
		{Pattern: "POST /signin/passkey-only/options", Access: public, handler: h.passkeyAloneOptions},
		{Pattern: "POST /signin/passkey-only", Access: public, handler: h.passkeyAlone},
		{Pattern: "POST /signin/password", Access: public, handler: h.signinPassword},
		{Pattern: "GET /signin/oidc", Access: public, handler: h.oidcStart},
		{Pattern: "GET /signin/oidc/callback", Access: public, handler: h.oidcCallback},
		{Pattern: "POST /signout", Access: public, handler: h.signout},
		{Pattern: "GET /signin/lost", Access: public, handler: h.lostPage},
		{Pattern: "POST /signin/lost", Access: public, handler: h.lostPost},
		{Pattern: "POST /signin/recovery", Access: Access{Partial: navette.StageSecondFactor}, handler: h.recoverySignIn},

		{Pattern: "GET /account", Access: signedIn, handler: h.account},
		{Pattern: "POST /account/passkeys/options", Access: signedIn, handler: h.passkeyRegisterOptions},
		{Pattern: "POST /account/passkeys", Access: signedIn, handler: h.passkeyRegister},
		{Pattern: "POST /account/passkeys/{id}/remove", Access: signedIn, handler: h.passkeyRemove},
		{Pattern: "POST /account/step-up/totp", Access: signedIn, handler: h.stepUpTOTP},
		{Pattern: "POST /account/step-up/passkey/options", Access: signedIn, handler: h.stepUpPasskeyOptions},
		{Pattern: "POST /account/step-up/passkey", Access: signedIn, handler: h.stepUpPasskey},
		{Pattern: "POST /account/step-up/resume", Access: signedIn, handler: h.stepUpResume},
		{Pattern: "GET /account/recovery-codes", Access: signedIn, handler: h.newCodes},
		{Pattern: "POST /account/recovery-codes", Access: signedIn, handler: h.regenerateCodes},
		{Pattern: "POST /account/sessions/end-others", Access: signedIn, handler: h.endOtherSessions},

		{Pattern: "GET /audit", Access: audit, handler: h.audit},
		{Pattern: "GET /admin", Access: courtAdmin, handler: h.admin},
		{Pattern: "GET /admin/courts", Access: courtAdmin, handler: h.adminCourts},
		{Pattern: "GET /admin/services/{id}", Access: courtAdmin, handler: h.adminService},
		{Pattern: "POST /admin/services/{id}/members", Access: courtAdmin, handler: h.addMember},
		{Pattern: "POST /admin/services/{id}/members/remove", Access: courtAdmin, handler: h.removeMember},
		{Pattern: "POST /admin/courts/{id}/services", Access: courtAdmin, handler: h.createService},
		{Pattern: "GET /admin/imports", Access: admin, handler: h.adminImports},
		{Pattern: "POST /admin/imports/preview", Access: admin, handler: h.importPreview},
		{Pattern: "POST /admin/imports/apply", Access: admin, handler: h.importApply},
		{Pattern: "GET /admin/settings", Access: admin, handler: h.adminSettings},
		{Pattern: "POST /admin/settings", Access: admin, handler: h.saveSettings},
		{Pattern: "POST /admin/settings/policy", Access: admin, handler: h.requestPolicy},
		{Pattern: "GET /admin/stats", Access: courtAdmin, handler: h.adminStats},
		{Pattern: "GET /admin/users", Access: courtAdmin, handler: h.adminUsers},
		{Pattern: "GET /admin/users/{id}", Access: courtAdmin, handler: h.adminUser},
		{Pattern: "POST /admin/users/{id}/sessions/end", Access: courtAdmin, handler: h.endUserSessions},
		{Pattern: "POST /admin/users/{id}/sessions/{sid}/end", Access: courtAdmin, handler: h.endUserSession},
		{Pattern: "POST /admin/users/{id}/tokens/{tid}/revoke", Access: courtAdmin, handler: h.revokeUserToken},
		{Pattern: "POST /admin/recovery/{id}/approve", Access: courtAdmin, handler: h.approveRecovery},
		{Pattern: "POST /admin/recovery/{id}/reject", Access: courtAdmin, handler: h.rejectRecovery},
		{Pattern: "GET /admin/requests", Access: courtAdmin, handler: h.adminRequests},
		{Pattern: "POST /admin/requests/{id}/approve", Access: courtAdmin, handler: h.approveRequest},
		{Pattern: "POST /admin/requests/{id}/reject", Access: courtAdmin, handler: h.rejectRequest},
		{Pattern: "GET /admin/stats/chart.svg", Access: courtAdmin, handler: h.adminChart},
		{Pattern: "GET /admin/stats.csv", Access: courtAdmin, handler: h.adminStatsCSV},
	}
}

// guard applies a route's access policy before its handler.
func (h *Handler) guard(rt Route) http.HandlerFunc {
	if rt.Access.Public {
		return rt.handler
	}
	if rt.Access.Partial != "" {
		return h.partialGuard(rt)
	}
	return func(w http.ResponseWriter, r *http.Request) {
		u := navette.UserFromContext(r.Context())
		if cur := session(r); cur != nil && cur.Session != nil && cur.Session.Stage != navette.StageFull {
			h.redirectStage(w, r, cur.Session.Stage, r.URL.RequestURI())
			return
		}
		if u == nil {
			if r.Method != http.MethodGet {
				h.Error(w, r, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required."))
				return
			}
			http.Redirect(w, r, "/signin?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if len(rt.Access.Roles) > 0 && !slices.Contains(rt.Access.Roles, u.Role) {
			h.Error(w, r, refusal(rt.Access))
			return
		}
		if h.assured(w, r, rt, u) {
			rt.handler(w, r)
		}
	}
}

// partialGuard lets through to a route of a sign-in's stage
// (Access.Partial) the sessions at that stage, and sends the others where
// they stand.
func (h *Handler) partialGuard(rt Route) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		cur := session(r)
		switch {
		case cur == nil || cur.Session == nil:
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
		case cur.Session.Stage == navette.StageFull:
			http.Redirect(w, r, landing(cur.User), http.StatusSeeOther)
		case cur.Session.Stage != rt.Access.Partial:
			h.redirectStage(w, r, cur.Session.Stage, nextOf(r))
		default:
			rt.handler(w, r)
		}
	}
}

// assured reports whether the session of u signed in strongly enough for
// the route, and recently enough for a step-up page; if not, it answers
// the request.
func (h *Handler) assured(w http.ResponseWriter, r *http.Request, rt Route, u *navette.User) bool {
	cur := session(r)
	if h.Auth == nil || cur == nil || strings.HasPrefix(rt.Pattern, r.Method+" /account") {
		return true
	}
	if err := h.Auth.CheckAssurance(u, cur.Session); err != nil {
		if r.Method == http.MethodGet {
			http.Redirect(w, r, "/account", http.StatusSeeOther)
			return false
		}
		h.Error(w, r, err)
		return false
	}
	if h.needsStepUp(rt.Pattern) {
		if err := h.Auth.RequireFresh(cur.Session); err != nil {
			// "Mon compte" asks for the passkey or TOTP code, then goes
			// back to where the person was.
			ctx := context.WithValue(r.Context(), resumeKey{}, resumeTarget(r))
			r = r.WithContext(context.WithValue(ctx, resumeFormKey{}, formOf(r)))
			h.renderAccount(w, r, http.StatusUnauthorized, h.message(h.lang(nil, r), err))
			return false
		}
	}
	return true
}
