package navette

import "time"

// Role is what a user is to the platform. Every request is checked against
// the user's role as stored at that moment, so a change of role takes effect
// on the very next request.
type Role string

// Roles. Agents are ministry staff; court admins are agents who also manage
// their court's services and members; partners are outside professionals
// listed in an authorised directory; admins run the platform; auditors read
// the journal. A service is not a person but a court's mailbox: it receives
// deposits that all its member agents see, and can never sign in.
const (
	RoleAgent      Role = "agent"
	RoleCourtAdmin Role = "court_admin"
	RolePartner    Role = "partner"
	RoleAdmin      Role = "admin"
	RoleAuditor    Role = "auditor"
	RoleService    Role = "service"
)

// Roles lists every role, in the order they are documented.
var Roles = []Role{RoleAgent, RoleCourtAdmin, RolePartner, RoleAdmin, RoleAuditor, RoleService}

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	for _, k := range Roles {
		if r == k {
			return true
		}
	}
	return false
}

// Staff reports whether r is held by ministry staff (agents, court admins,
// platform admins, auditors), as opposed to partners and service mailboxes.
func (r Role) Staff() bool {
	return r == RoleAgent || r == RoleCourtAdmin || r == RoleAdmin || r == RoleAuditor
}

// CanSignIn reports whether a user with this role can have a session or a
// token: everyone but service mailboxes.
func (r Role) CanSignIn() bool { return r.Valid() && r != RoleService }

// User is a person allowed on the platform, or a court's service mailbox
// (Role RoleService).
type User struct {
	ID       string
	Email    string // normalized with NormalizeEmail; a service's functional address
	Name     string
	Role     Role
	Disabled bool   // a disabled user can neither sign in nor be chosen as a recipient
	Lang     string // language of the user's e-mails: "fr" or "en"; "" is the default, French
	// Source names the directory the user comes from ("lawyers", "ldap"…);
	// empty for users made by hand. A directory sync only ever touches its
	// own users.
	Source string
	// ExternalID is the user's id in its directory (a lawyer's CNBF number,
	// an LDAP uid); empty for users made by hand. Unique within a Source.
	ExternalID string
	// Kind is a partner's profession ("lawyer", "bailiff", "expert"…);
	// empty for others.
	Kind string
	// Org is the partner's organisation as its directory names it (for a
	// lawyer, the bar); empty for others.
	Org string
	// CourtID is the court of an agent, court admin or service mailbox;
	// empty for others.
	CourtID string
	// DirectoryStatus is the status the directory last gave (such as
	// "actif", "omis"), kept to show why access was revoked.
	DirectoryStatus string
	// RevokedAt is when the user was disabled by a directory sync or an
	// admin; zero while enabled.
	RevokedAt time.Time
	// TOTP is the user's second-factor secret, sealed by the key ring
	// ("totp:"+ID); empty until enrolled.
	TOTP WrappedKey
	// TOTPStep is the last TOTP time step accepted, so a code is never
	// accepted twice.
	TOTPStep int64
	// OIDCSubject is the identity provider's identifier (sub) of the
	// person, bound at their first sign-in through it; later sign-ins must
	// present the same one. Empty until then.
	OIDCSubject string
	CreatedAt   time.Time
	UpdatedAt   time.Time // zero until first updated
}

// Languages of e-mails and pages.
const (
	LangFrench  = "fr"
	LangEnglish = "en"
)

// ValidLang reports whether lang is a language navette speaks, or "" for
// the default.
func ValidLang(lang string) bool { return lang == "" || lang == LangFrench || lang == LangEnglish }

// Scope is what an API token may do; a token acts with the intersection of
// its scopes and its user's role.
type Scope string

// Scopes.
const (
	ScopeRead  Scope = "read"  // list and read deposits, download files, search recipients
	ScopeWrite Scope = "write" // create, upload, submit and revoke deposits
	ScopeAdmin Scope = "admin" // administration, for users whose role allows it
	ScopeAudit Scope = "audit" // read the journal, for users whose role allows it
)

// Scopes lists every scope.
var Scopes = []Scope{ScopeRead, ScopeWrite, ScopeAdmin, ScopeAudit}

// Token is an API bearer token. Only a hash of the secret is stored.
type Token struct {
	ID        string
	UserID    string
	Hash      []byte // SHA-256 of the secret
	Label     string
	Scopes    []Scope // never empty
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
	LastUsed  time.Time // zero: never used; kept to the minute
}

// HasScope reports whether t carries s.
func (t *Token) HasScope(s Scope) bool {
	for _, x := range t.Scopes {
		if x == s {
			return true
		}
	}
	return false
}
