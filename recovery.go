package navette

import (
	"context"
	"time"
)

// Events about recovering a lost second factor.
const (
	// EventRecoveryCodesMade: a person's recovery codes were made anew
	// (at enrolment or on request); the old ones stopped working. Detail
	// is how many.
	EventRecoveryCodesMade EventType = "recovery.codes"
	// EventRecoveryCodeUsed: a recovery code replaced the second factor at
	// sign-in. Detail is "left=N", the codes left.
	EventRecoveryCodeUsed EventType = "recovery.code_used"
	// EventRecoveryRequested: a person asked for their lost factor to be
	// replaced. Detail is the request's id.
	EventRecoveryRequested EventType = "recovery.requested"
	// EventRecoveryApproved, EventRecoveryRejected: an admin decided a
	// request (ActorID); Detail is "REQUESTID USERID".
	EventRecoveryApproved EventType = "recovery.approved"
	EventRecoveryRejected EventType = "recovery.rejected"
	// EventRecoveryCompleted: the person of an approved request enrolled
	// a new factor after an e-mailed code; the old factors were removed.
	// Detail is the request's id.
	EventRecoveryCompleted EventType = "recovery.completed"
)

// Notices about recovering a lost second factor, to the person concerned.
const (
	NoticeRecoveryRequested NoticeKind = "recovery_requested" // a request was made in their name
	NoticeRecoveryApproved  NoticeKind = "recovery_approved"  // an admin approved it: sign in to enrol anew
	NoticeRecoveryRejected  NoticeKind = "recovery_rejected"  // an admin rejected it
	NoticeRecoveryCompleted NoticeKind = "recovery_completed" // a new factor replaced the old ones
	NoticeRecoveryCodeUsed  NoticeKind = "recovery_code_used" // a recovery code was used to sign in
)

// NoticeRecoveryReview tells the admins who may decide about a recovery
// request (platform admins, the person's court's admins) that it waits.
const NoticeRecoveryReview NoticeKind = "recovery_review"

func init() {
	NoticeKinds = append(NoticeKinds, NoticeRecoveryRequested, NoticeRecoveryApproved, NoticeRecoveryRejected, NoticeRecoveryCompleted, NoticeRecoveryCodeUsed, NoticeRecoveryReview)
}

// RecoveryCode is one of the one-time codes a person keeps (printed, in a
// password manager) to sign in without their second factor. Only a keyed
// digest of it is stored.
type RecoveryCode struct {
	ID     string
	UserID string
	// Hash is the keyed digest (HMAC under a key of the key ring) of the
	// code, bound to the user.
	Hash      []byte
	CreatedAt time.Time
}

// RecoveryState is where a request to replace a lost factor stands.
type RecoveryState string

// Recovery request states. A pending or approved request past its expiry
// is expired, whatever its stored state.
const (
	RecoveryPending   RecoveryState = "pending"   // waiting for an admin
	RecoveryApproved  RecoveryState = "approved"  // the person may enrol a new factor after an e-mailed code
	RecoveryRejected  RecoveryState = "rejected"  // an admin refused
	RecoveryExpired   RecoveryState = "expired"   // nobody decided, or the person did not enrol, in time
	RecoveryCompleted RecoveryState = "completed" // the person enrolled a new factor
)

// RecoveryRequest is a person's request to replace a lost second factor:
// an admin checks who they are out of band and approves it; the person
// then enrols a new factor after an e-mailed code.
type RecoveryRequest struct {
	ID        string
	UserID    string
	State     RecoveryState
	CreatedAt time.Time
	// ExpiresAt is when a pending request lapses, or, once approved, when
	// the approval does.
	ExpiresAt time.Time
	// DecidedBy is the admin who approved or rejected it; empty before.
	DecidedBy string
	DecidedAt time.Time
	// UpdatedAt is the last change of state.
	UpdatedAt time.Time
}

// StateAt returns the state of r at now: a pending or approved request
// past its expiry is expired.
func (r *RecoveryRequest) StateAt(now time.Time) RecoveryState {
	if (r.State == RecoveryPending || r.State == RecoveryApproved) && !now.Before(r.ExpiresAt) {
		return RecoveryExpired
	}
	return r.State
}

// RecoveryFilter selects recovery requests.
type RecoveryFilter struct {
	UserID  string          // only this person's
	CourtID string          // only those of people of this court
	States  []RecoveryState // only in these stored states; all if empty
	Since   time.Time       // only those created at or after
	Limit   int             // at most this many (0: 100)
}

// RecoveryStore is a metadata store that keeps recovery codes and the
// requests to replace a lost second factor.
type RecoveryStore interface {
	// SetRecoveryCodes replaces every recovery code of userID with codes
	// (none: the user has none left), with events. Returns ENOTFOUND if
	// the user does not exist, EINVALID if a code has no digest, or is
	// another user's.
	SetRecoveryCodes(ctx context.Context, userID string, codes []*RecoveryCode, events ...Event) error
	// RecoveryCodes returns the user's unused recovery codes, oldest first.
	RecoveryCodes(ctx context.Context, userID string) ([]*RecoveryCode, error)
	// UseRecoveryCode removes the code id of userID, so that it serves
	// once, with events that fn returns given how many codes are left.
	// Returns ENOTFOUND if the user has no such code (used already).
	UseRecoveryCode(ctx context.Context, userID, id string, fn func(left int) []Event) error

	// CreateRecoveryRequest adds r, with events. Returns ECONFLICT if its
	// id exists, ENOTFOUND if its user does not, EINVALID if its state is
	// unknown or it has no creation time or expiry.
	CreateRecoveryRequest(ctx context.Context, r *RecoveryRequest, events ...Event) error
	// RecoveryRequest returns the request id. Returns ENOTFOUND if none.
	RecoveryRequest(ctx context.Context, id string) (*RecoveryRequest, error)
	// RecoveryRequests returns the requests f selects, newest first.
	RecoveryRequests(ctx context.Context, f RecoveryFilter) ([]*RecoveryRequest, error)
	// UpdateRecoveryRequest loads the request, locks it, and calls fn; if
	// fn succeeds its changes (state, expiry, decision, update time) are
	// written with the events fn returns. Returns ENOTFOUND if there is no
	// such request.
	UpdateRecoveryRequest(ctx context.Context, id string, fn func(r *RecoveryRequest) ([]Event, error)) error
	// CompleteRecovery completes the approved recovery request
	// c.RequestID of c.UserID in one transaction: the request becomes
	// completed, the user's TOTP secret becomes c.TOTP (zero: none),
	// their passkeys but c.KeepPasskey, their recovery codes and sessions
	// are removed, and events are written with one EventPasskeyRemoved
	// (actor c.UserID, Detail the passkey's id) per passkey removed.
	// Either all of it is done or nothing. Returns ENOTFOUND if there is
	// no such request, ECONFLICT if it is another user's, or not approved
	// or expired at c.At.
	CompleteRecovery(ctx context.Context, c *RecoveryCompletion, events ...Event) error
}

// RecoveryCompletion is what completing an approved recovery request
// changes (RecoveryStore.CompleteRecovery).
type RecoveryCompletion struct {
	RequestID string
	UserID    string
	At        time.Time
	// TOTP and TOTPStep are the person's new TOTP secret, if the new
	// factor is one; zero if it is a passkey.
	TOTP     WrappedKey
	TOTPStep int64
	// KeepPasskey is the new passkey's id, if the new factor is one: it
	// alone of the person's passkeys is kept.
	KeepPasskey string
}

// Valid reports whether s is a known state.
func (s RecoveryState) Valid() bool {
	switch s {
	case RecoveryPending, RecoveryApproved, RecoveryRejected, RecoveryExpired, RecoveryCompleted:
		return true
	}
	return false
}

// ActorEventStore is a journal that finds the events a person caused, for
// the users page.
type ActorEventStore interface {
	// EventsByActor returns the last limit events (0: 20) whose actor is
	// actorID, newest first.
	EventsByActor(ctx context.Context, actorID string, limit int) ([]Event, error)
}
