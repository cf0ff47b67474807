package navette

import "time"

// EventType names what happened.
type EventType string

// Event types recorded in the journal.
const (
	EventUserCreated      EventType = "user.created"
	EventTokenCreated     EventType = "token.created"
	EventDepositCreated   EventType = "deposit.created"
	EventFileStored       EventType = "file.stored"
	EventFileRemoved      EventType = "file.removed"
	EventDepositSubmitted EventType = "deposit.submitted"
	EventDepositAvailable EventType = "deposit.available"
	EventFileDownloaded   EventType = "file.downloaded"
	EventDepositRevoked   EventType = "deposit.revoked"
	EventDepositExpired   EventType = "deposit.expired"
	EventDepositPurged    EventType = "deposit.purged"
	EventAccessDenied     EventType = "access.denied"
)

// Event is one entry of the journal. Events are only ever appended, and never
// carry a file name, a reference or a message.
type Event struct {
	Seq       int64 // assigned by storage, increasing
	Time      time.Time
	Type      EventType
	ActorID   string // user who acted; empty for the system
	DepositID string
	FileID    string
	Size      int64
	SHA256    []byte
	Detail    string // short machine-readable detail, never user content
}
