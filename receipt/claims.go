package receipt

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
)

// Claims is the claims document: what an event is evidence of that must not
// be in clear in the journal (reference, file names, people), and the facts
// around it. It is serialised once, when the event is journaled (NewClaims);
// the event carries the SHA-256 of those exact bytes and a receipt carries
// the bytes themselves, so no canonical form is ever needed. Members that do
// not apply are omitted.
type Claims struct {
	V            int            `json:"v"`
	Salt         string         `json:"salt"` // base64 of 16 random bytes, so the digest cannot be guessed from a guessed reference
	Kind         string         `json:"kind"` // deposited, available, notified, opened, downloaded, unclaimed, revoked, purged
	Deposit      *ClaimsDeposit `json:"deposit,omitempty"`
	Sender       *Party         `json:"sender,omitempty"`
	Recipients   []Party        `json:"recipients,omitempty"`
	Files        []File         `json:"files,omitempty"`
	By           *Actor         `json:"by,omitempty"`  // who acted (who downloaded, who opened)
	For          *Party         `json:"for,omitempty"` // the recipient or service mailbox the act counts for
	File         *File          `json:"file,omitempty"`
	Notice       *Notice        `json:"notice,omitempty"`
	NotFetchedBy []Party        `json:"not_fetched_by,omitempty"`
	// PartlyFetchedBy lists, at expiry (unclaimed), the recipients who
	// had downloaded some of Files, not all; absent from claims written
	// before navette told them apart.
	PartlyFetchedBy []Partial `json:"partly_fetched_by,omitempty"`
	Antivirus       string    `json:"antivirus,omitempty"` // the antivirus that checked the files, and its version, when known: "ClamAV 1.4.6/27000/…"
}

// Partial is a recipient who had downloaded some of a deposit's files in
// full at its expiry, not all: the ids of those it had and of those it had
// not, each one of the claims' Files.
type Partial struct {
	Party
	Fetched    []string `json:"fetched"`
	NotFetched []string `json:"not_fetched"`
}

// ClaimsDeposit describes the deposit.
type ClaimsDeposit struct {
	ID            string `json:"id"`
	Reference     string `json:"reference,omitempty"`
	CreatedAt     Time   `json:"created_at,omitzero"`
	ExpiresAt     Time   `json:"expires_at,omitzero"`
	RetentionDays int    `json:"retention_days,omitempty"`
}

// Party is a person or a service mailbox.
type Party struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Org   string `json:"org,omitempty"`
	Kind  string `json:"kind,omitempty"` // person or service
}

// Actor is who acted, and how they had signed in.
type Actor struct {
	ID    string `json:"id"`
	Name  string `json:"name,omitempty"`
	Email string `json:"email,omitempty"`
	Auth  *Auth  `json:"auth,omitempty"`
}

// Auth is how and when an actor signed in.
type Auth struct {
	Method string `json:"method"`
	At     Time   `json:"at,omitzero"`
	// Level is the method's assurance: "low", "substantial" or "high";
	// absent from claims made before levels were recorded.
	Level string `json:"level,omitempty"`
}

// File is one file of a deposit.
type File struct {
	ID     string `json:"id"`
	Name   string `json:"name,omitempty"`
	Size   int64  `json:"size"`
	SHA256 Hex    `json:"sha256"`
	// Check is the outcome of the file's content checks when the claims
	// were written: clean, unscanned (no antivirus), over_limit, encrypted
	// or scan_error (offered marked as not fully scanned). Absent from
	// claims written before navette checked contents.
	Check string `json:"check,omitempty"`
}

// Notice is an e-mail notice the mail server accepted.
type Notice struct {
	To         string `json:"to"`
	MessageID  string `json:"message_id"`
	AcceptedAt Time   `json:"accepted_at,omitzero"`
}

// IsZero reports whether t is unset, so that an unset time is omitted.
func (t Time) IsZero() bool { return t.Time.IsZero() }

// NewClaims sets c's version and a fresh random salt, serialises it once
// (compact JSON, no HTML escaping) and returns those bytes, which are the
// claims document for good, and their SHA-256, which the event carries.
func NewClaims(c Claims) (data, sum []byte, err error) {
	if _, ok := kindEvents[c.Kind]; !ok {
		return nil, nil, failf("unknown claims kind %q", "type de données détaillées inconnu %q", c.Kind)
	}
	var salt [16]byte
	if _, err := rand.Read(salt[:]); err != nil {
		return nil, nil, err
	}
	c.V, c.Salt = 1, base64.StdEncoding.EncodeToString(salt[:])
	data, err = marshal(&c)
	if err != nil {
		return nil, nil, err
	}
	if len(data) > MaxClaimsSize {
		return nil, nil, failf("the claims are larger than %d bytes", "les données détaillées dépassent %d octets", MaxClaimsSize)
	}
	s := sha256.Sum256(data)
	return data, s[:], nil
}

// ParseClaims reads a claims document of version 1.
func ParseClaims(data []byte) (*Claims, error) {
	var c Claims
	if len(data) > MaxClaimsSize {
		return nil, failf("the claims are larger than %d bytes", "les données détaillées dépassent %d octets", MaxClaimsSize)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return nil, failf("the claims are not a valid claims document: %v", "les données détaillées ne sont pas un document valide : %v", err)
	}
	if c.V != 1 {
		return nil, failf("unknown claims version %d", "version de données détaillées inconnue %d", c.V)
	}
	return &c, nil
}
