package navette

import (
	"context"
	"time"
)

// ProofKind names what a piece of evidence (a claims document, a receipt)
// attests.
type ProofKind string

// Proof kinds, after the evidence events of ETSI EN 319 522.
const (
	ProofDeposited  ProofKind = "deposited"  // the sender submitted the deposit
	ProofAvailable  ProofKind = "available"  // it was made available to its recipients
	ProofNotified   ProofKind = "notified"   // the mail server accepted a notice to a recipient
	ProofOpened     ProofKind = "opened"     // a recipient first opened it
	ProofDownloaded ProofKind = "downloaded" // someone fetched every byte of a file
	ProofUnclaimed  ProofKind = "unclaimed"  // it expired with recipients who never fetched it
	ProofRevoked    ProofKind = "revoked"    // the sender withdrew it
	ProofPurged     ProofKind = "purged"     // its keys and contents were destroyed
	ProofExtended   ProofKind = "extended"   // the sender extended its retention
)

// ProofKinds lists every kind, in the order of a deposit's life.
var ProofKinds = []ProofKind{ProofDeposited, ProofAvailable, ProofNotified, ProofOpened, ProofDownloaded, ProofUnclaimed, ProofRevoked, ProofExtended, ProofPurged}

// ProofKind returns the kind of evidence an event of type t gives, or ""
// if it gives none.
func (t EventType) ProofKind() ProofKind {
	switch t {
	case EventDepositSubmitted:
		return ProofDeposited
	case EventDepositAvailable:
		return ProofAvailable
	case EventNoticeSent:
		return ProofNotified
	case EventDepositOpened:
		return ProofOpened
	case EventFileDownloaded:
		return ProofDownloaded
	case EventDepositExpired:
		return ProofUnclaimed
	case EventDepositRevoked:
		return ProofRevoked
	case EventDepositPurged:
		return ProofPurged
	case EventDepositExtended:
		return ProofExtended
	}
	return ""
}

// Evidence is the sealed claims document of one journal event: what the
// proofs of a deposit need that must not be in clear in the journal
// (reference, file names, people). Storage writes it from the event that
// carries it (Event.SealedClaims) and keeps it past the purge of the
// deposit, until its proof retention ends.
type Evidence struct {
	Digest    []byte // SHA-256 of the claims document: its event's Claims
	DepositID string
	Kind      ProofKind
	Sealed    []byte    // the claims document sealed under the deposit's proof key
	CreatedAt time.Time // the event's time
}

// EvidenceStore keeps the evidence of deposits. A MetaStore that keeps
// evidence implements it; every method that appends events writes the
// evidence they carry (Event.SealedClaims), in the same transaction, and
// returns EINVALID for evidence without a 32-byte digest, a deposit or a
// proof kind, ECONFLICT if its digest is known already.
type EvidenceStore interface {
	// Evidence returns the evidence whose claims digest is digest. Returns
	// ENOTFOUND if there is none: never written, or deleted at the end of
	// its proof retention.
	Evidence(ctx context.Context, digest []byte) (*Evidence, error)
	// DepositEvidence returns the evidence of a deposit, oldest first; none
	// (an unknown deposit included) is not an error.
	DepositEvidence(ctx context.Context, depositID string) ([]*Evidence, error)
	// SearchEvidence returns the evidence matching f, the newest first.
	// Returns EINVALID for a negative limit.
	SearchEvidence(ctx context.Context, f EvidenceFilter) ([]*Evidence, error)
	// DueEvidence returns the ids of deposits whose proof retention ended
	// at or before now (ProofUntil) and that still hold a proof key or
	// evidence, the earliest end first; at most limit, which must be
	// positive.
	DueEvidence(ctx context.Context, now time.Time, limit int) ([]string, error)
	// DeleteEvidence ends the proof retention of a deposit whose
	// ProofUntil is at or before now: its proof key is destroyed, its
	// evidence deleted, and the keys and payloads of its notices never sent
	// (dead or pending) destroyed, with events, in one transaction, and it
	// returns true. A deposit not due, or whose evidence is gone already, is left
	// as it is, its events are not appended, and it returns false.
	// Returns ENOTFOUND if there is no such deposit.
	DeleteEvidence(ctx context.Context, depositID string, now time.Time, events ...Event) (bool, error)
}

// EvidenceFilter selects evidence for SearchEvidence.
type EvidenceFilter struct {
	Kind  ProofKind // if set, only evidence of this kind
	Since time.Time // if set, only evidence of events at or after it
	Until time.Time // if set, only evidence of events before it
	// Before and BeforeDigest, if set, keep only evidence older than the
	// evidence of that time and digest: a cursor for the next page.
	Before       time.Time
	BeforeDigest []byte
	Limit        int // at most this many; 0 means 1000
}
