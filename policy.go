package navette

import (
	"context"
	"maps"
	"slices"
	"time"
)

// Policy is the platform's security policy kept in the database: what a
// second admin must approve before it changes (the two-person rule,
// ActionPolicyAssurance and ActionPolicyAntivirus). The server's start-up
// flags stay the shell operator's path: the minimum assurance in force is
// the stronger of the flag and the policy (StrongerAssurance); an
// antivirus turned off at start-up while the policy requires it is
// journaled as the local operator's act (EventPolicyOverridden).
type Policy struct {
	// MinAssurance is the weakest sign-in each role accepts; a role that
	// is absent has no minimum from the policy.
	MinAssurance map[Role]Assurance
	// AntivirusBypass offers files unscanned, marked "non analysé par un
	// antivirus", even when an antivirus is configured.
	AntivirusBypass bool
	UpdatedAt       time.Time // when it last changed; zero if never
	UpdatedBy       string    // the id of the admin whose request changed it
	RequestID       string    // the approved request that changed it
}

// Minimum returns the policy's minimum assurance of role, "" if none.
func (p *Policy) Minimum(role Role) Assurance {
	if p == nil {
		return ""
	}
	return p.MinAssurance[role]
}

// Roles returns the roles the policy sets a minimum for, sorted.
func (p *Policy) Roles() []Role {
	if p == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(p.MinAssurance))
}

// StrongerAssurance returns the stronger of a and b, "" if both are.
func StrongerAssurance(a, b Assurance) Assurance {
	if b.Rank() > a.Rank() {
		return b
	}
	if a.Rank() == 0 {
		return ""
	}
	return a
}

// PolicyStore is a metadata store that keeps the platform's security
// policy.
type PolicyStore interface {
	// Policy returns the policy as last saved; the zero Policy, not an
	// error, if it never changed.
	Policy(ctx context.Context) (*Policy, error)
	// UpdatePolicy loads the policy in a write transaction, calls fn with
	// it, and writes it back with fn's events. Returns what fn returns,
	// EINVALID if fn left a role that does not sign in, an unknown level
	// or no update time.
	UpdatePolicy(ctx context.Context, fn func(p *Policy) ([]Event, error)) error
}

// Request actions on the policy.
const (
	ActionPolicyAssurance RequestAction = "policy.assurance" // Params: AssuranceParams
	ActionPolicyAntivirus RequestAction = "policy.antivirus" // Params: AntivirusParams
)

// ActionKeysRotate asks for a new journal signing key, made by the server
// that executes the approval (Params: KeyParams).
const ActionKeysRotate RequestAction = "keys.rotate"

// KeyParams are the parameters of ActionKeysRotate: which key, "journal"
// (the journal's signing key) being the only one.
type KeyParams struct {
	Key string `json:"key"`
}

// AssuranceParams are the parameters of ActionPolicyAssurance: the
// minimum assurance of a role; an empty Level removes the policy's
// minimum.
type AssuranceParams struct {
	Role  Role      `json:"role"`
	Level Assurance `json:"level"`
}

// AntivirusParams are the parameters of ActionPolicyAntivirus: whether
// files may be offered unscanned although an antivirus is configured.
type AntivirusParams struct {
	Bypass bool `json:"bypass"`
}

// Journal events of the policy.
const (
	// EventPolicyChanged: an approved request changed the policy; ActorID
	// is the requester. Detail "REQUEST_ID min_assurance ROLE=LEVEL" or
	// "REQUEST_ID antivirus_bypass=true|false".
	EventPolicyChanged EventType = "policy.changed"
	// EventPolicyOverridden: the server started with a setting weaker than
	// the policy; ActorID is LocalOperator. Detail
	// "antivirus=off policy=scan" (files offered unscanned) or
	// "min_assurance ROLE=FLAG policy=LEVEL" (the policy's level applies).
	EventPolicyOverridden EventType = "policy.overridden"
)
