package api

import "time"

// UserDetail is a person as the users page shows them to an admin who
// manages them (GET PathAdminUsers/{id}): the user, their second factors
// (never a secret), live sessions and API tokens (never a secret), service
// mailboxes and last events.
type UserDetail struct {
	User
	Factors   Factors       `json:"factors"`
	Sessions  []SessionInfo `json:"sessions"` // live ones, newest first
	Tokens    []Token       `json:"tokens"`
	Mailboxes []User        `json:"mailboxes"`
	Events    []Event       `json:"events"` // the last 20 they caused, newest first
}

// Factors are a person's second factors, as their admins see them.
type Factors struct {
	TOTP              bool          `json:"totp"`
	Passkeys          []PasskeyInfo `json:"passkeys"`
	RecoveryCodesLeft int           `json:"recovery_codes_left"`
}

// PasskeyInfo is a passkey as an admin sees it: its name and use, never
// its key.
type PasskeyInfo struct {
	ID        string     `json:"id"`
	Name      string     `json:"name"`
	CreatedAt time.Time  `json:"created_at"`
	LastUsed  *time.Time `json:"last_used_at,omitempty"`
}

// SessionInfo is a live web session as an admin sees it (never its
// secret): when and how it was established, and its use. An admin ends it
// with DELETE PathAdminUsers/{id}/sessions/{sid}.
type SessionInfo struct {
	ID string `json:"id"`
	// Stage is "full" for a signed-in session, "second_factor" or "enrol"
	// while the sign-in is under way.
	Stage string `json:"stage"`
	// Method is how the person signed in ("code+totp", "code+passkey",
	// "passkey", "oidc", "oidc:ACR", "ldap", "code", "code+recovery"), and
	// Assurance its level: "low", "substantial" or "high".
	Method    string    `json:"method"`
	Assurance string    `json:"assurance"`
	CreatedAt time.Time `json:"created_at"`
	// LastSeen is the last request, kept to the minute; absent if none
	// since the sign-in.
	LastSeen *time.Time `json:"last_seen_at,omitempty"`
	// VerifiedAt is when the person last proved who they are in it (the
	// end of the sign-in or the last step-up), if known.
	VerifiedAt *time.Time `json:"verified_at,omitempty"`
	ExpiresAt  time.Time  `json:"expires_at"` // absolute end
}
