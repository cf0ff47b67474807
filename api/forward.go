package api

import "time"

// Forward is the body of POST /api/v1/deposits/{id}/forward: an agent who
// received the deposit passes it on to agents or service mailboxes of the
// ministry (partners only where the operator allows it). The forward is a
// new deposit, available at once, sharing the original's files without
// copying them, under the same reference and in the same case; the answer
// is it (201, Location its path). The original's sender is told by e-mail.
type Forward struct {
	Recipients    []string `json:"recipients"`               // e-mail addresses
	Message       string   `json:"message,omitempty"`        // the forwarder's own message
	RetentionDays int      `json:"retention_days,omitempty"` // 0: the operator's default
}

// Forwarding is a forward of a deposit as GET /api/v1/deposits/{id} lists
// it (Deposit.Forwards): who forwarded it, to whom, when, and its state;
// never its message or files, which only its own recipients may read
// (GET /api/v1/deposits/{id} of the forward answers 404 to anyone else).
type Forwarding struct {
	ID          string      `json:"id"`
	ForwardedBy Person      `json:"forwarded_by"`
	Recipients  []Recipient `json:"recipients"` // email, name, service and revoked only
	ForwardedAt time.Time   `json:"forwarded_at"`
	State       string      `json:"state"` // available, revoked, expired
	ExpiresAt   *time.Time  `json:"expires_at,omitempty"`
}
