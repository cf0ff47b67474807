package api

import "time"

// PathAdminPolicy holds the platform's security policy (platform admins
// only): GET Policy; POST PolicyChange asks for a change, which a second
// admin approves (202 Accepted with its Request), or which applies at once
// when the two-person rule is off (200 with the Policy).
const PathAdminPolicy = Version + "/admin/policy"

// Policy is the platform's security policy as stored: the minimum
// assurance of roles and whether files may be offered unscanned although
// an antivirus is configured. The minimum in force is the stronger of the
// policy's and the server's --min-assurance.
type Policy struct {
	MinAssurance    map[string]string `json:"min_assurance"` // role → low, substantial or high
	AntivirusBypass bool              `json:"antivirus_bypass"`
	UpdatedAt       *time.Time        `json:"updated_at,omitempty"`
	UpdatedBy       string            `json:"updated_by,omitempty"` // the requester's id
	RequestID       string            `json:"request_id,omitempty"` // the approved request
}

// PolicyChange asks for one change of the policy: the minimum assurance of
// Role set to MinAssurance ("" removes it), or, with Role empty, the
// antivirus bypass set to AntivirusBypass.
type PolicyChange struct {
	Role            string `json:"role,omitempty"`
	MinAssurance    string `json:"min_assurance,omitempty"`
	AntivirusBypass *bool  `json:"antivirus_bypass,omitempty"`
	Reason          string `json:"reason,omitempty"`
}

// PathAdminKeyRotate asks for a new journal signing key (platform admins
// only): POST KeyRotate answers 202 Accepted with the Request a second
// admin approves; the server that executes the approval makes the key.
// With the two-person rule off, it is made at once (204).
const PathAdminKeyRotate = Version + "/admin/keys/rotate"

// KeyRotate names the key to rotate: "journal".
type KeyRotate struct {
	Key    string `json:"key"`
	Reason string `json:"reason,omitempty"`
}
