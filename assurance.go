package navette

import (
	"slices"
	"strings"
)

// Assurance is how much trust a sign-in deserves, in the three levels of
// eIDAS and the RGS: low, substantial, high. Passkeys (a key bound to the
// platform's origin, with user verification) resist phishing: they are
// high; a one-time code with TOTP, or the ministry's identity provider, is
// substantial; a password or an e-mailed code alone is low.
type Assurance string

// Assurance levels, weakest first.
const (
	AssuranceLow         Assurance = "low"
	AssuranceSubstantial Assurance = "substantial"
	AssuranceHigh        Assurance = "high"
)

// Rank orders levels: 1 for low, 2 substantial, 3 high, 0 for anything
// else.
func (a Assurance) Rank() int { return slices.Index(assuranceLevels, a) + 1 }

// assuranceLevels lists the levels, weakest first.
var assuranceLevels = []Assurance{AssuranceLow, AssuranceSubstantial, AssuranceHigh}

// AtLeast reports whether a is min or stronger.
func (a Assurance) AtLeast(min Assurance) bool { return a.Rank() >= min.Rank() }

// MethodAssurance returns the level of a sign-in method as sessions and
// the journal record it: "passkey" and "code+passkey" are high,
// "code+totp", "code+recovery" (a one-time recovery code instead of the
// second factor) and "oidc" (and "oidc" with the provider's acr, as
// "oidc:ACR", but for the eIDAS classes: "oidc:eidas1" low, "oidc:eidas3"
// high) substantial, "ldap" and "code" low. An API token ("token")
// is as strong as the sign-in that made it, which it does not record: it
// counts as substantial. Unknown methods are low.
func MethodAssurance(method string) Assurance {
	switch method {
	case "passkey", "code+passkey":
		return AssuranceHigh
	case "code+totp", "code+recovery", "oidc", "token":
		return AssuranceSubstantial
	}
	if acr, ok := strings.CutPrefix(method, "oidc:"); ok {
		// eIDAS levels as ProConnect and FranceConnect report them; any
		// other class counts as a plain OpenID Connect sign-in.
		switch acr {
		case "eidas1":
			return AssuranceLow
		case "eidas3":
			return AssuranceHigh
		}
		return AssuranceSubstantial
	}
	return AssuranceLow
}

// ParseAssurance returns the level named s. Returns EINVALID for anything
// but low, substantial and high.
func ParseAssurance(s string) (Assurance, error) {
	a := Assurance(strings.ToLower(strings.TrimSpace(s)))
	if a.Rank() == 0 {
		return "", Errorf(EINVALID, "The assurance level must be low, substantial or high, not %q.", s)
	}
	return a, nil
}
