package web

import (
	"context"
	"fmt"
	"net/http"

	"navette"
	"navette/account"
)

// policySection is the security policy as the settings page shows it: per
// role, the policy's minimum assurance, the server's flag and the one in
// force; whether files may be offered unscanned.
type policySection struct {
	Roles           []policyRole
	AntivirusBypass bool
	RequestID       string
	Problem         string
	CSRF            string
	// Off is set when the two-person rule is off (--approvals=1): a
	// change applies at once.
	Off bool
}

// policyRole is one role's minimum assurance.
type policyRole struct {
	Role                     navette.Role
	Policy, Flag, Effective  navette.Assurance
	FlagStronger, FlagWeaker bool
}

// policyRoles are the roles that sign in, in the order the page lists them.
var policyRoles = []navette.Role{navette.RolePartner, navette.RoleAgent, navette.RoleCourtAdmin, navette.RoleAdmin, navette.RoleAuditor}

// policyProblemKey carries the problem of a refused change to the
// settings page.
type policyProblemKey struct{}

// policySectionOf returns the policy section of the settings page for u;
// nil when the policy cannot be read here.
func (h *Handler) policySectionOf(r *http.Request, u *navette.User) *policySection {
	if h.Accounts == nil {
		return nil
	}
	p, err := h.Accounts.ShowPolicy(r.Context(), u)
	if err != nil {
		h.log().ErrorContext(r.Context(), "web: the security policy cannot be read", "err", err)
		return nil
	}
	s := &policySection{AntivirusBypass: p.AntivirusBypass, RequestID: p.RequestID, Off: !h.Accounts.TwoPerson()}
	s.Problem, _ = r.Context().Value(policyProblemKey{}).(string)
	for _, role := range policyRoles {
		pr := policyRole{Role: role, Policy: p.Minimum(role)}
		if h.Auth != nil {
			pr.Flag = h.Auth.Config.MinAssurance[role]
		}
		pr.Effective = navette.StrongerAssurance(pr.Flag, pr.Policy)
		pr.FlagStronger = pr.Flag.Rank() > pr.Policy.Rank()
		pr.FlagWeaker = pr.Flag.Rank() < pr.Policy.Rank()
		s.Roles = append(s.Roles, pr)
	}
	return s
}

// requestPolicy asks for a change of the security policy: a request a
// second admin approves, or the change itself when the rule is off.
func (h *Handler) requestPolicy(w http.ResponseWriter, r *http.Request) {
	u, ok := h.settingsAdmin(w, r)
	if !ok {
		return
	}
	if h.Accounts == nil {
		h.Error(w, r, navette.Errorf(navette.ENOTFOUND, "No security policy here."))
		return
	}
	var (
		req *navette.AdminRequest
		err error
	)
	reason := r.PostFormValue("reason")
	switch r.PostFormValue("kind") {
	case "assurance":
		req, err = h.Accounts.RequestPolicyAssurance(r.Context(), u, navette.Role(r.PostFormValue("role")), navette.Assurance(r.PostFormValue("level")), reason)
	case "antivirus":
		req, err = h.Accounts.RequestPolicyAntivirus(r.Context(), u, r.PostFormValue("antivirus") == "bypass", reason)
	default:
		err = navette.Errorf(navette.EINVALID, "Choose the change to ask for.")
	}
	if err != nil {
		if navette.ErrorCode(err) == navette.EINTERNAL {
			h.log().ErrorContext(r.Context(), "web: a policy request failed", "err", err)
		}
		h.renderPolicyProblem(w, r, u, statusOf(err), h.message(h.lang(w, r), err))
		return
	}
	done := "policy-changed"
	if req != nil {
		done = "policy-requested"
	}
	http.Redirect(w, r, "/admin/settings?done="+done, http.StatusSeeOther)
}

// renderPolicyProblem shows the settings page again with problem under
// the policy's forms.
func (h *Handler) renderPolicyProblem(w http.ResponseWriter, r *http.Request, u *navette.User, status int, problem string) {
	st, err := h.Deposits.Settings(r.Context(), u)
	if err != nil {
		h.Error(w, r, err)
		return
	}
	r = r.WithContext(context.WithValue(r.Context(), policyProblemKey{}, problem))
	h.renderSettings(w, r, status, st, settingFields(st.Limits, h.Deposits.ConfiguredLimits()))
}

// policyFlashes are the settings page's notes after a policy change.
var policyFlashes = flashes{
	"policy-requested": text("La demande est enregistrée : elle prend effet quand un second administrateur l’approuve (Demandes en attente)."),
	"policy-changed":   text("La politique de sécurité est modifiée."),
}

// describePolicy says in lang what the policy request v asks for.
func describePolicy(lang string, v account.RequestView) string {
	switch {
	case v.Action == navette.ActionPolicyAntivirus && v.Bypass:
		return tr(lang, "Proposer les fichiers sans analyse antivirus (marqués « non analysé par un antivirus »)")
	case v.Action == navette.ActionPolicyAntivirus:
		return tr(lang, "Analyser de nouveau chaque fichier par l’antivirus")
	case v.Level == "":
		return fmt.Sprintf(tr(lang, "Retirer le niveau d’authentification minimal du rôle %s"), v.Role)
	}
	return fmt.Sprintf(tr(lang, "Exiger du rôle %s une authentification de niveau %s au moins"), v.Role, tr(lang, levelName(v.Level)))
}

// levelName is the French name of an assurance level.
func levelName(a navette.Assurance) string {
	switch a {
	case navette.AssuranceLow:
		return text("faible")
	case navette.AssuranceSubstantial:
		return text("substantiel")
	case navette.AssuranceHigh:
		return text("élevé")
	}
	return text("aucun")
}

// PolicyName is the French name of the policy's level.
func (pr policyRole) PolicyName() string { return levelName(pr.Policy) }

// FlagName is the French name of the server's level.
func (pr policyRole) FlagName() string { return levelName(pr.Flag) }

// EffectiveName is the French name of the level in force.
func (pr policyRole) EffectiveName() string { return levelName(pr.Effective) }

// Levels are the levels a role's minimum may be set to, "" for none.
func (s *policySection) Levels() []navette.Assurance {
	return []navette.Assurance{"", navette.AssuranceLow, navette.AssuranceSubstantial, navette.AssuranceHigh}
}

// LevelName is the French name of a level, for the form.
func (s *policySection) LevelName(a navette.Assurance) string { return levelName(a) }
