package i18n

// SignInMethodsFR name navette's sign-in methods in French, as the
// documents meant for a court (PDF attestations, receipts read by navette
// verify) state them: one table, so that both say the same. "oidc" stands
// for every class of the identity provider ("oidc:ACR"), which the caller
// names after it. Read only.
var SignInMethodsFR = map[string]string{
	"oidc":          "fournisseur d'identité (OpenID Connect)",
	"ldap":          "annuaire (LDAP)",
	"code":          "code à usage unique envoyé par courriel",
	"code+totp":     "code envoyé par courriel et second facteur (TOTP)",
	"code+passkey":  "code envoyé par courriel et clé d'accès (passkey)",
	"code+recovery": "code envoyé par courriel et code de récupération (à la place du second facteur)",
	"token":         "jeton d'accès à l'API",
	"passkey":       "clé d'accès (passkey)",
}

// AssuranceLevelsFR name the assurance levels of a sign-in in French, as
// eIDAS does. Read only.
var AssuranceLevelsFR = map[string]string{"low": "faible", "substantial": "substantiel", "high": "élevé"}
