package api

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
