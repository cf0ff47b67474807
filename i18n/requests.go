package i18n

import "navette"

// actionNames say, per language, what each action of an admin request
// does: mails and pages name the action in words, never by its code.
var actionNames = map[string]map[navette.RequestAction]string{
	navette.LangFrench: {
		navette.ActionAddMember:       "ajout d’une personne à une boîte de service",
		navette.ActionGrantRole:       "attribution du rôle d’administrateur ou d’auditeur",
		navette.ActionRestoreUser:     "rétablissement de l’accès d’une personne",
		navette.ActionForceDirectory:  "application forcée d’un flux d’annuaire",
		navette.ActionPolicyAssurance: "changement du niveau d’authentification minimal d’un rôle",
		navette.ActionPolicyAntivirus: "changement de la politique antivirus",
		navette.ActionKeysRotate:      "remplacement de la clé qui signe le journal",
	},
	navette.LangEnglish: {
		navette.ActionAddMember:       "adding someone to a service mailbox",
		navette.ActionGrantRole:       "granting the admin or auditor role",
		navette.ActionRestoreUser:     "restoring someone's access",
		navette.ActionForceDirectory:  "forcing a directory flow",
		navette.ActionPolicyAssurance: "changing a role's minimum sign-in assurance",
		navette.ActionPolicyAntivirus: "changing the antivirus policy",
		navette.ActionKeysRotate:      "replacing the journal's signing key",
	},
}

// RequestActionLabel names the request action a in lang (French unless
// lang is English), lower-case, as a clause of a sentence; an action it
// does not know is given as its code.
func RequestActionLabel(lang string, a navette.RequestAction) string {
	if lang != navette.LangEnglish {
		lang = navette.LangFrench
	}
	if s := actionNames[lang][a]; s != "" {
		return s
	}
	return string(a)
}
