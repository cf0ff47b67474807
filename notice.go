package navette

import "time"

// NoticeKind names what an e-mail notice tells its addressee.
type NoticeKind string

// Notice kinds.
const (
	NoticeDeposit       NoticeKind = "deposit"        // to each recipient: a deposit waits for them
	NoticeReminder      NoticeKind = "reminder"       // to recipients who have not downloaded, days before expiry
	NoticeReceipt       NoticeKind = "receipt"        // to the sender: a recipient downloaded for the first time
	NoticeExpiryReport  NoticeKind = "expiry_report"  // to the sender at expiry: who never fetched
	NoticeSignInCode    NoticeKind = "sign_in_code"   // a one-time code to sign in (auth)
	NoticeAccessRevoked NoticeKind = "access_revoked" // the addressee lost access to the platform (a directory sync, or an admin)
	NoticeWithdrawn     NoticeKind = "withdrawn"      // to each recipient notified: the sender withdrew the deposit
	NoticeDownloadLimit NoticeKind = "download_limit" // to the sender: a recipient downloaded a file as many times as the deposit allows
)

// NoticeKinds lists every kind, for templates and tests.
var NoticeKinds = []NoticeKind{NoticeDeposit, NoticeReminder, NoticeReceipt, NoticeExpiryReport, NoticeSignInCode, NoticeAccessRevoked, NoticeContentAlert, NoticeWithdrawn, NoticeApproval, NoticeDownloadLimit}

// Valid reports whether k is a known kind.
func (k NoticeKind) Valid() bool {
	for _, x := range NoticeKinds {
		if k == x {
			return true
		}
	}
	return false
}

// NoticeState is where a notice is in its delivery.
type NoticeState string

// Notice states. A notice is pending until the mail server accepts it
// (sent), or until it fails for good or too often (dead: a dead letter an
// admin can see and replay).
const (
	NoticePending NoticeState = "pending"
	NoticeSent    NoticeState = "sent"
	NoticeDead    NoticeState = "dead"
)

// Valid reports whether s is a known state.
func (s NoticeState) Valid() bool {
	return s == NoticePending || s == NoticeSent || s == NoticeDead
}

// Notice is an e-mail to deliver, kept in the durable outbox of the metadata
// store. It is written in the same transaction as the event that causes it
// (see Event.Notices), so a notice is never lost nor made for a change that
// did not happen. What the message needs that a purge may destroy (the
// reference, counts, names) is in Payload, sealed with the notice's own key,
// which is wrapped by a key-encryption key: storage never holds it in
// clear. Key and Payload are cleared once the notice is sent.
type Notice struct {
	ID        string
	Kind      NoticeKind
	UserID    string // the addressee
	DepositID string // the deposit it is about; empty for none
	State     NoticeState
	// Attempts counts the deliveries started, including one in progress.
	Attempts int
	// NextAttemptAt is when a pending notice is next due; while a delivery
	// is in progress it is the end of that delivery's lease.
	NextAttemptAt time.Time
	LastError     string // why the last attempt failed; never holds content
	CreatedAt     time.Time
	SentAt        time.Time  // zero until sent
	Key           WrappedKey // seals Payload; zero once sent
	Payload       []byte     // sealed; empty once sent
}

// NoticeFilter selects notices for MetaStore.Notices.
type NoticeFilter struct {
	State     NoticeState // if set, only notices in this state
	DepositID string      // if set, only notices about this deposit
	UserID    string      // if set, only notices to this user
	Limit     int         // at most this many; 0 means 100
}
