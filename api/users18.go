package api

import "time"

// UserDetail is a person as the users page shows them to an admin who
// manages them (GET PathAdminUsers/{id}): the user, their second factors
// (never a secret), API tokens (never a secret), service mailboxes and
// last events.
type UserDetail struct {
	User
	Factors   Factors `json:"factors"`
	Tokens    []Token `json:"tokens"`
	Mailboxes []User  `json:"mailboxes"`
	Events    []Event `json:"events"` // the last 20 they caused, newest first
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
