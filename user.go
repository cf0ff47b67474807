package navette

import "time"

// Role is what a user is to the platform.
type Role string

// Roles. Agents are ministry staff, partners are outside professionals,
// admins run the platform.
const (
	RoleAgent   Role = "agent"
	RolePartner Role = "partner"
	RoleAdmin   Role = "admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool { return r == RoleAgent || r == RolePartner || r == RoleAdmin }

// User is a person allowed on the platform.
type User struct {
	ID        string
	Email     string // normalized with NormalizeEmail
	Name      string
	Role      Role
	Disabled  bool   // a disabled user can neither sign in nor be chosen as a recipient
	Lang      string // language of the user's e-mails: "fr" or "en"; "" is the default, French
	CreatedAt time.Time
}

// Languages of e-mails and pages.
const (
	LangFrench  = "fr"
	LangEnglish = "en"
)

// ValidLang reports whether lang is a language navette speaks, or "" for
// the default.
func ValidLang(lang string) bool { return lang == "" || lang == LangFrench || lang == LangEnglish }

// Token is an API bearer token. Only a hash of the secret is stored.
type Token struct {
	ID        string
	UserID    string
	Hash      []byte // SHA-256 of the secret
	Label     string
	CreatedAt time.Time
	ExpiresAt time.Time // zero: never
	RevokedAt time.Time // zero: not revoked
}
