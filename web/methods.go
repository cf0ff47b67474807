package web

import "strings"

// methodNames name each sign-in method of a session in French and in
// English: the pages never show navette's codes ("code+totp") to the
// person. "oidc" stands for every class of the identity provider.
var methodNames = map[string][2]string{
	"oidc":          {"compte du ministère (fournisseur d’identité)", "ministry account (identity provider)"},
	"code":          {"code reçu par courriel", "e-mailed code"},
	"code+totp":     {"code reçu par courriel et application d’authentification", "e-mailed code and authenticator app"},
	"code+passkey":  {"code reçu par courriel et clé d’accès", "e-mailed code and passkey"},
	"code+recovery": {"code reçu par courriel et code de récupération", "e-mailed code and recovery code"},
	"passkey":       {"clé d’accès", "passkey"},
	"ldap":          {"mot de passe de l’annuaire du ministère", "ministry directory password"},
	"token":         {"jeton d’accès à l’API", "API access token"},
}

// methodName names the sign-in method m in French, the key of its English
// in the pages' catalogue. An unknown method is given as is.
func methodName(m string) string {
	if strings.HasPrefix(m, "oidc:") {
		m = "oidc"
	}
	if n, ok := methodNames[m]; ok {
		return n[0]
	}
	return m
}

func init() {
	names := make(map[string]string, len(methodNames))
	for _, n := range methodNames {
		names[n[0]] = n[1]
	}
	addMissing(english, names)
}
