package web

import "navette"

// roleNames names each role for people, in French (the catalogue gives
// the English).
var roleNames = map[navette.Role]string{
	navette.RoleAgent:      "Agent de juridiction",
	navette.RoleCourtAdmin: "Administrateur de juridiction",
	navette.RolePartner:    "Partenaire",
	navette.RoleAdmin:      "Administrateur de la plateforme",
	navette.RoleAuditor:    "Auditeur",
	navette.RoleService:    "Boîte de service",
}

// roleNamesEnglish translates roleNames. They join english at start-up.
var roleNamesEnglish = map[string]string{
	"Agent de juridiction":            "Court agent",
	"Administrateur de juridiction":   "Court administrator",
	"Partenaire":                      "Partner",
	"Administrateur de la plateforme": "Platform administrator",
	"Auditeur":                        "Auditor",
	"Boîte de service":                "Service mailbox",
}

func init() {
	addMissing(english, roleNamesEnglish)
}
