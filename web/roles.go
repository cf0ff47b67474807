package web

import (
	"strings"

	"navette"
)

// msgNoDeposit is what the deposit form tells a role that cannot send.
const msgNoDeposit = "Your role does not allow sending deposits: court agents and partners send them."

// landing returns the page u starts from: the journal of proofs for an
// auditor, the courts, services and members for a court admin, the
// administration for a platform admin, the received deposits otherwise.
func landing(u *navette.User) string {
	switch {
	case u == nil:
		return "/inbox"
	case u.Role == navette.RoleAuditor:
		return "/audit"
	case u.Role == navette.RoleCourtAdmin:
		return "/admin/courts"
	case u.Role == navette.RoleAdmin:
		return "/admin"
	}
	return "/inbox"
}

// landingLabel names the page landing returns, as a link to it.
func landingLabel(lang, path string) string {
	switch {
	case path == "/audit":
		return tr(lang, "Aller au journal des preuves")
	case strings.HasPrefix(path, "/admin"):
		return tr(lang, "Aller à l’administration")
	}
	return tr(lang, "Retour à mes dépôts reçus")
}

// refusal is the error the guard answers a role a's Roles do not list.
func refusal(a Access) error {
	if a.Refused != "" {
		return navette.Errorf(navette.EFORBIDDEN, "%s", a.Refused)
	}
	return navette.Errorf(navette.EFORBIDDEN, "Your role does not allow this.")
}
