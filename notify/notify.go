// Package notify is navette's e-mail: what a notice says (templates in
// French and English, plain text and HTML) and how it reaches its addressee
// (a Worker that claims due notices from the durable outbox of the metadata
// store, renders them and hands them to a Mailer, with retries, exponential
// backoff and dead letters). The SMTP Mailer is in package navette/smtp; the
// local Outbox, for when no mail server is configured, is here.
//
// Notices are made by the services whose events cause them (NewNotice) and
// written in the same transaction as those events (navette.Event.Notices).
// What a message needs that a purge may destroy travels in the notice's
// payload, sealed with a key of its own: a report at expiry can still name
// who never fetched after the deposit's keys are gone, and the database
// never holds it in clear.
package notify

import (
	"context"
	"encoding/json"
	"time"

	"navette"
	"navette/seal"
)

// Person names someone a message mentions.
type Person struct {
	Name  string `json:"name,omitempty"`
	Email string `json:"email"`
}

// Data is what a notice's message says beyond its addressee and kind: the
// sealed payload of a notice. Fields a kind does not use stay empty. File
// names and the deposit's message are set only when the operator lets mails
// carry them.
type Data struct {
	Reference string    `json:"reference,omitempty"` // the deposit's case reference
	Files     int       `json:"files,omitempty"`     // number of files
	ExpiresAt time.Time `json:"expires_at,omitzero"` // when the deposit expires (or expired)
	Sender    Person    `json:"sender,omitzero"`     // who deposited
	// FromSpace is the service mailbox the deposit was sent on behalf of,
	// in the notices to its recipients that name its sender: the court's
	// office they know, beside the clerk who sent it. Empty when sent in
	// person.
	FromSpace Person `json:"from_space,omitzero"`
	// Recipient is who downloaded, in a receipt.
	Recipient Person `json:"recipient,omitzero"`
	// DownloadedAt is when, in a receipt.
	DownloadedAt time.Time `json:"downloaded_at,omitzero"`
	// Limit is the deposit's cap on complete downloads of a file by a
	// person, in a download_limit notice.
	Limit int `json:"limit,omitempty"`
	// NeverFetched are the recipients who never downloaded, in an expiry
	// report.
	NeverFetched []Person `json:"never_fetched,omitempty"`
	FileNames    []string `json:"file_names,omitempty"` // only if the operator enables names in mails
	Message      string   `json:"message,omitempty"`    // only if the operator enables it
	Code         string   `json:"code,omitempty"`       // a sign-in code
	// CodeExpiresAt is when a sign-in code stops working.
	CodeExpiresAt time.Time `json:"code_expires_at,omitzero"`
	// Unscanned tells that files of the deposit were not (fully) scanned
	// by an antivirus: the message says "non analysé par un antivirus".
	Unscanned bool `json:"unscanned,omitempty"`
	// Reason is why the sender withdrew the deposit, in a withdrawal
	// notice; empty if none was given. Never in a subject.
	Reason string `json:"reason,omitempty"`
	// Alert is what a content alert to admins reports.
	Alert *Alert `json:"alert,omitempty"`
	// Forwarder is who forwarded the deposit, and ForwardedTo to whom
	// (people or service mailboxes), in a forwarded notice to its sender.
	Forwarder   Person   `json:"forwarder,omitzero"`
	ForwardedTo []Person `json:"forwarded_to,omitempty"`
	// Request is the admin request an approval notice asks to review;
	// Sender is its requester, Reason its reason, ExpiresAt its expiry. In
	// a member_added or role_granted notice no request caused (an admin
	// acted by hand: Admin names them), it has no ID and says only the
	// mailbox or the role, and when. In a recovery_review notice it has
	// only the ID of the recovery request to decide.
	Request *Request `json:"request,omitempty"`
	// Waiting are the deposits still waiting for the addressee, in an
	// access_restored notice: those a reminder (or their very notice) may
	// have skipped while their access was withdrawn.
	Waiting []Waiting `json:"waiting,omitempty"`
	// NoReviewer tells, in a recovery_requested notice, that no
	// administrator whose access is active may decide the request now: the
	// message says so and whom to ask, rather than that one will.
	NoReviewer bool `json:"no_reviewer,omitempty"`
	// Admin is the administrator who changed the addressee's access by
	// hand, in an access_revoked, access_restored, member_added or
	// role_granted notice no request caused: name and e-mail empty for the
	// local operator. Nil when a directory sync did it.
	Admin *Person `json:"admin,omitempty"`
}

// Waiting is a deposit waiting for someone, as a notice lists it.
type Waiting struct {
	DepositID string    `json:"deposit_id"`
	Reference string    `json:"reference"`
	ExpiresAt time.Time `json:"expires_at"`
}

// WaitingFor returns the deposits waiting for the user userID
// (deposit.Service.WaitingFor): the services that restore someone's access
// list them in the notice that tells them.
type WaitingFor func(ctx context.Context, userID string) ([]Waiting, error)

// Request is an admin request of the two-person rule, as the notices about
// it tell it: waiting for a second admin, failed, approved, refused, or
// what it changed about a person. The notices of its outcome name its
// requester in Data.Sender and its reason in Data.Reason.
type Request struct {
	ID     string `json:"id"`
	Action string `json:"action"` // a navette.RequestAction
	// Error is why the approved action failed, in a request_failed notice,
	// or why it was refused without a reviewer, in a request_rejected one.
	Error string `json:"error,omitempty"`
	// Reviewer is who approved or refused it.
	Reviewer Person `json:"reviewer,omitzero"`
	// Subject is the person it acts on, Mailbox the service mailbox they
	// are added to, Role (a navette.Role) the role they are given.
	Subject Person `json:"subject,omitzero"`
	Mailbox Person `json:"mailbox,omitzero"`
	Role    string `json:"role,omitempty"`
	// At is when it ran, or was refused.
	At time.Time `json:"at,omitzero"`
	// ToUse is set when it was approved but waits for its requester to use
	// it (a directory flow forced: they post it again); Data.ExpiresAt is
	// then when it expires.
	ToUse bool `json:"to_use,omitempty"`
	// Interrupted is set, in a request_failed notice, when its execution
	// was never recorded (the node that approved it stopped first): the
	// message says so, and that the change may have been made, rather than
	// that it failed.
	Interrupted bool `json:"interrupted,omitempty"`
}

// Alert is a file the content checks rejected, or found corrupt at rest,
// as a content alert to admins tells it: nothing of its content or name.
type Alert struct {
	FileID string `json:"file_id"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256,omitempty"`
	Check  string `json:"check"`            // a navette.FileCheck
	Detail string `json:"detail,omitempty"` // the signature's name, the type…
}

// Purposes and associated data of what notify seals.
const (
	noticeKeyAD   = "notice:" // + notice id: the wrapped key of a notice
	noticePurpose = "notice"  // the sealed payload, id = notice id
)

// NewNotice returns a pending notice of kind to userID about depositID (""
// for none), created and due at now, with d sealed in its payload under a
// new key wrapped by keys.
func NewNotice(keys navette.KeyWrapper, kind navette.NoticeKind, userID, depositID string, now time.Time, d *Data) (navette.Notice, error) {
	n := navette.Notice{
		ID:            navette.NewID(),
		Kind:          kind,
		UserID:        userID,
		DepositID:     depositID,
		State:         navette.NoticePending,
		NextAttemptAt: now,
		CreatedAt:     now,
	}
	if d == nil {
		d = &Data{}
	}
	plain, err := json.Marshal(d)
	if err != nil {
		return n, navette.WrapError(navette.EINTERNAL, err, "")
	}
	raw := seal.GenerateKey()
	k, err := seal.NewKey(raw)
	if err != nil {
		return n, navette.WrapError(navette.EINTERNAL, err, "")
	}
	if n.Key, err = keys.Wrap(raw, noticeKeyAD+n.ID); err != nil {
		return n, err
	}
	n.Payload = k.SealValue(noticePurpose, n.ID, plain)
	return n, nil
}

// Open returns the data sealed in n's payload. Returns EINTERNAL if the
// payload is gone (the notice was sent) or does not authenticate.
func Open(keys navette.KeyWrapper, n *navette.Notice) (*Data, error) {
	if n.Key.IsZero() || len(n.Payload) == 0 {
		return nil, navette.Errorf(navette.EINTERNAL, "The notice %s has no payload.", n.ID)
	}
	raw, err := keys.Unwrap(n.Key, noticeKeyAD+n.ID)
	if err != nil {
		return nil, err
	}
	k, err := seal.NewKey(raw)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	plain, err := k.OpenValue(noticePurpose, n.ID, n.Payload)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	var d Data
	if err := json.Unmarshal(plain, &d); err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return &d, nil
}
