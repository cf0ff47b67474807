package api

import (
	"encoding/json"
	"time"
)

// PathAdminRequests holds the requests of the two-person rule: GET
// ?state=pending: RequestList, GET /{id}: Request, POST /{id}/approve
// (Approve): Request, POST /{id}/reject: Request. An admin action the rule
// holds (a mailbox member, the admin or auditor role, a restoration, a
// forced directory flow) answers 202 Accepted with its Request.
const PathAdminRequests = Version + "/admin/requests"

// Request is an admin action waiting for, or after, a second admin's
// review.
type Request struct {
	ID         string          `json:"id"`
	Requester  string          `json:"requester"` // the requester's id
	Action     string          `json:"action"`    // member.add, user.role, user.restore, directory.force
	Params     json.RawMessage `json:"params"`    // the exact parameters, canonical JSON
	SHA256     string          `json:"sha256"`    // hex of the SHA-256 of params: what a reviewer approves
	Reason     string          `json:"reason,omitempty"`
	CourtID    string          `json:"court_id,omitempty"` // whose court admins may review it too
	State      string          `json:"state"`              // pending, approved, rejected, executed, expired, failed
	CreatedAt  time.Time       `json:"created_at"`
	ExpiresAt  time.Time       `json:"expires_at"`
	Reviewer   string          `json:"reviewer,omitempty"`
	ReviewedAt *time.Time      `json:"reviewed_at,omitempty"`
	ExecutedAt *time.Time      `json:"executed_at,omitempty"` // when it was executed, or its execution failed
	Error      string          `json:"error,omitempty"`       // why its approved action failed (state failed), or why it was refused with no reviewer (state rejected)
}

// RequestList lists requests, newest first.
type RequestList struct {
	Requests []Request `json:"requests"`
}

// Approve approves a request. SHA256, if set, must be the hash of the
// parameters the reviewer read: the approval is refused if they differ.
type Approve struct {
	SHA256 string `json:"sha256,omitempty"`
}
