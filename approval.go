package navette

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"time"
)

// LocalOperator is the actor the journal records for what an operator does
// from the server's shell (navette admin … --data DIR): it acts directly,
// without a second admin's approval, and says so.
const LocalOperator = "local-operator"

// DefaultRequestTTL is how long a request waits for a second admin's
// review before it expires.
const DefaultRequestTTL = 24 * time.Hour

// RequestAction names what an admin request asks for, when a second admin
// approves it (the two-person rule).
type RequestAction string

// Request actions: each gives someone access they did not have, or
// weakens the platform.
const (
	ActionAddMember      RequestAction = "member.add"      // Params: MemberParams
	ActionGrantRole      RequestAction = "user.role"       // Params: RoleParams (admin or auditor)
	ActionRestoreUser    RequestAction = "user.restore"    // Params: UserParams
	ActionForceDirectory RequestAction = "directory.force" // Params: DirectoryParams
)

// Valid reports whether a is a known action.
func (a RequestAction) Valid() bool {
	switch a {
	case ActionAddMember, ActionGrantRole, ActionRestoreUser, ActionForceDirectory, ActionPolicyAssurance, ActionPolicyAntivirus, ActionKeysRotate:
		return true
	}
	return false
}

// MemberParams are the parameters of ActionAddMember.
type MemberParams struct {
	ServiceID string `json:"service_id"`
	UserID    string `json:"user_id"`
}

// RoleParams are the parameters of ActionGrantRole.
type RoleParams struct {
	UserID string `json:"user_id"`
	Role   Role   `json:"role"`
}

// UserParams are the parameters of ActionRestoreUser.
type UserParams struct {
	UserID string `json:"user_id"`
}

// DirectoryParams are the parameters of ActionForceDirectory: the flow,
// known by its SHA-256, that may be applied past the revocation guard.
type DirectoryParams struct {
	Source string `json:"source"`
	SHA256 string `json:"sha256"` // hex of the flow's bytes as posted
}

// RequestState is where a request is in its review.
type RequestState string

// Request states: pending until a second admin approves or rejects it or
// it expires, or until nobody may approve it any more (rejected, with no
// reviewer); approved is executed at once, and executed only once; an
// approved request whose action then fails, or whose node stopped before
// recording its execution, is failed, for good: a new request may be
// made.
const (
	RequestPending  RequestState = "pending"
	RequestApproved RequestState = "approved"
	RequestRejected RequestState = "rejected"
	RequestExecuted RequestState = "executed"
	RequestExpired  RequestState = "expired"
	RequestFailed   RequestState = "failed"
)

// Valid reports whether s is a known state.
func (s RequestState) Valid() bool {
	switch s {
	case RequestPending, RequestApproved, RequestRejected, RequestExecuted, RequestExpired, RequestFailed:
		return true
	}
	return false
}

// AdminRequest is an admin action held until another admin approves it.
// Params is the canonical JSON of the action's parameters and ParamsHash
// its SHA-256: what the reviewer approves, and what execution checks it
// still has.
type AdminRequest struct {
	ID          string
	RequesterID string
	Action      RequestAction
	Params      []byte
	ParamsHash  []byte
	Reason      string
	// CourtID is the court whose admins may review it too (a service
	// mailbox's court); empty: platform admins only.
	CourtID    string
	CreatedAt  time.Time
	ExpiresAt  time.Time
	State      RequestState
	ReviewerID string    // who approved or rejected it; empty until then
	ReviewedAt time.Time // zero until reviewed
	ExecutedAt time.Time // zero until executed, or until its execution failed
	// Error is the public message of the error that made the approved
	// action fail, or that ended it before it ran (state failed: its node
	// stopped first), or why it was refused with no reviewer (state
	// rejected: its parameters changed, or nobody may approve it any
	// more); empty otherwise.
	Error string
}

// CanonicalParams returns the canonical JSON of v (encoding/json's: keys
// in struct order, no spaces, HTML not escaped) and its SHA-256.
func CanonicalParams(v any) ([]byte, []byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, nil, WrapError(EINVALID, err, "The request's parameters cannot be encoded.")
	}
	p := bytes.TrimSuffix(b.Bytes(), []byte("\n"))
	h := sha256.Sum256(p)
	return p, h[:], nil
}

// RequestFilter selects requests for RequestStore.Requests.
type RequestFilter struct {
	State RequestState // if set, only requests in this state
	// Action, if set, keeps only the requests of this action: with State
	// approved, the directory requests an expiry sweep looks at.
	Action RequestAction
	// ExpiredBy, if set, keeps only the requests whose expiry is at or
	// before it: with State pending, those an expiry sweep marks expired.
	ExpiredBy time.Time
	Limit     int // at most this many; 0 means 100
}

// RequestStore is a metadata store that keeps admin requests (the
// two-person rule).
type RequestStore interface {
	// CreateRequest adds r, with events. Returns ECONFLICT if its id
	// exists, ENOTFOUND if its requester does not exist, EINVALID if it
	// lacks an action, parameters, their hash, a creation or expiry time,
	// or has an unknown state.
	CreateRequest(ctx context.Context, r *AdminRequest, events ...Event) error
	// Request returns the request id. Returns ENOTFOUND if there is none.
	Request(ctx context.Context, id string) (*AdminRequest, error)
	// Requests returns requests, newest first (ties by id).
	Requests(ctx context.Context, f RequestFilter) ([]*AdminRequest, error)
	// UpdateRequest loads the request id in a write transaction, calls fn
	// with it, and writes back its state, reviewer, review and execution
	// times and error with fn's events. Returns ENOTFOUND if there is none, what fn
	// returns, EINVALID if fn left an unknown state.
	UpdateRequest(ctx context.Context, id string, fn func(r *AdminRequest) ([]Event, error)) error
}

// Journal events of the two-person rule. Detail starts with the request's
// id, which links request, review and execution.
const (
	EventRequestCreated  EventType = "request.created"  // Detail "ID ACTION SHA256HEX"
	EventRequestApproved EventType = "request.approved" // Detail "ID ACTION SHA256HEX"
	EventRequestRejected EventType = "request.rejected" // Detail "ID ACTION" by a reviewer or its requester; "ID ACTION WHY" with no actor, refused for a reason (params_changed, no_reviewer)
	EventRequestExecuted EventType = "request.executed" // Detail "ID ACTION SHA256HEX"; ActorID is the requester
	EventRequestExpired  EventType = "request.expired"  // Detail "ID ACTION"; ActorID who found it expired, empty for the sweep
	// EventRequestFailed: an approved request's action failed; ActorID is
	// the requester, Detail "ID ACTION CODE" (the error's code); or, with
	// no actor, Detail "ID ACTION interrupted": its execution was never
	// recorded, its node having stopped, and the sweep closed it.
	EventRequestFailed EventType = "request.failed"
)

// NoticeApproval tells the admins who may review a request that it waits.
const NoticeApproval NoticeKind = "approval_request"

// NoticeRequestFailed tells a request's requester that it was approved
// but its action failed, and why.
const NoticeRequestFailed NoticeKind = "request_failed"

// Notices of a request's outcome: its requester is told that it was
// approved (and has run, or waits for them to use it: a directory flow),
// refused by a reviewer, or expired with nobody's review; the person an executed request acts on is told
// what changed about them (added to a service mailbox, given a role, their
// access restored), unless they made the request themselves.
const (
	NoticeRequestApproved NoticeKind = "request_approved" // to the requester: approved, and run (or to use)
	NoticeRequestRejected NoticeKind = "request_rejected" // to the requester: refused, by whom
	NoticeRequestExpired  NoticeKind = "request_expired"  // to the requester: nobody reviewed it in time
	NoticeMemberAdded     NoticeKind = "member_added"     // to the person added to a service mailbox
	NoticeRoleGranted     NoticeKind = "role_granted"     // to the person given the admin or auditor role
	NoticeAccessRestored  NoticeKind = "access_restored"  // to the person whose access was restored (a request, an admin by hand, a directory sync)
)

func init() {
	NoticeKinds = append(NoticeKinds, NoticeRequestFailed, NoticeRequestApproved, NoticeRequestRejected, NoticeRequestExpired,
		NoticeMemberAdded, NoticeRoleGranted, NoticeAccessRestored)
}
