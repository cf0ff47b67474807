package navette

import (
	"context"
	"time"
)

// A forward passes a deposit on: an agent who received it makes a new
// deposit of its files for colleagues or other service mailboxes, under the
// same reference and in the same case, without copying any data. The
// forward's files share the sealed blobs of the original's (FileRecord.BlobID),
// each with its data key wrapped anew for the new file: a blob lives as long
// as one file row holding it does, and is deleted, with the last wrapped key,
// when the last holder goes.

// Event types of forwards.
const (
	// EventDepositForwarded records, on the original deposit, that a
	// recipient forwarded it; Detail is the id of the forward.
	EventDepositForwarded EventType = "deposit.forwarded"
)

// NoticeForwarded tells the sender of a deposit that a recipient
// forwarded it, by whom and to whom.
const NoticeForwarded NoticeKind = "forwarded"

func init() { NoticeKinds = append(NoticeKinds, NoticeForwarded) }

// Blob returns the key of the sealed blob of f in the BlobStore, which is
// also the file id its segments are sealed with: BlobID for a forwarded
// file, its own id otherwise.
func (f *FileRecord) Blob() string {
	if f.BlobID != "" {
		return f.BlobID
	}
	return f.ID
}

// ForwardStore creates forwards and lists them. The SQLite and PostgreSQL
// stores implement it; the suite storetest.TestForwardStore pins its
// semantics.
type ForwardStore interface {
	// ForwardDeposit adds d, the forward of the deposit d.ForwardedFrom,
	// with its recipients, and its files, whose BlobID names the blob of a
	// file of another deposit, with events, in one transaction. Each blob
	// must still be held: a file with that blob (its own or shared) in
	// state stored or available, with its key, is checked and locked in
	// the same transaction, so that a purge either happens before (and the
	// forward is refused) or keeps the blob for the forward. Returns
	// EINVALID for a file without BlobID or of another deposit, or a d
	// without ForwardedFrom, EGONE if a blob is no longer held, ECONFLICT
	// if an id exists or d's IdempotencyKey is held (as by
	// DepositStore.CreateDeposit), ENOTFOUND if the original, the sender
	// or a recipient does not exist.
	ForwardDeposit(ctx context.Context, d *DepositRecord, files []*FileRecord, events ...Event) error

	// DepositForwards returns the forwards of deposit id (those whose
	// ForwardedFrom is id, not the forwards of its forwards), oldest first
	// (by creation time, then id), each with its forwarder and recipients,
	// in one read whatever the size of the deposit's journal. A deposit
	// never forwarded, or that does not exist, has none: no error.
	DepositForwards(ctx context.Context, id string) ([]ForwardRecord, error)
}

// ForwardRecord is a forward as the deposit it forwards lists it: who made
// it, to whom, when and in what state, nothing of its content.
type ForwardRecord struct {
	ID        string
	Forwarder *User
	// Recipients are whom it was forwarded to, people or service
	// mailboxes, with their names, e-mail addresses and roles, by e-mail
	// address.
	Recipients []Recipient
	CreatedAt  time.Time // when it was forwarded
	State      DepositState
	ExpiresAt  time.Time
}
