package navette

import (
	"context"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

// A case groups the deposits exchanged about one matter: those whose
// normalised reference (NormalizeReference), court and parties'
// organisations are the same. Storage never sees a reference in clear: a
// case is found by keyed digests of what identifies it (one per MAC key of
// the key ring, so that keys can rotate), and a deposit joins it when it is
// submitted, or at its creation when it answers a deposit of the case.

// Event types of cases.
const (
	// EventDepositCase records that a deposit joined a case; Detail is
	// the case id.
	EventDepositCase EventType = "deposit.case"
	// EventDepositExtended records that a deposit's sender extended its
	// retention; Detail is the new expiry (RFC 3339).
	EventDepositExtended EventType = "deposit.extended"
	// EventDepositReply records that a deposit answers another; Detail
	// is the id of the deposit answered.
	EventDepositReply EventType = "deposit.reply"
)

// NoticeExtended tells each recipient of a deposit that its sender
// extended it, and until when.
const NoticeExtended NoticeKind = "extended"

func init() { NoticeKinds = append(NoticeKinds, NoticeExtended) }

// CaseStore keeps cases: which digests name each one, and which deposits
// belong to it. The SQLite and PostgreSQL stores implement it; the suite
// storetest.TestCaseStore pins its semantics.
type CaseStore interface {
	// CaseByDigest returns the id of the case that one of digests names,
	// and makes digests[0] (the digest under the active key) name it too.
	// If none does, a case with id newID is created, named by digests[0],
	// at the given time. Concurrent calls with the same digest return the
	// same case. Returns EINVALID if digests is empty or holds an empty
	// digest, or if newID is not a valid id.
	CaseByDigest(ctx context.Context, digests [][]byte, newID string, at time.Time) (string, error)
	// JoinCase puts the deposit in the case, at the given time, with
	// events. A deposit belongs to one case for good: joining a deposit
	// that belongs to a case (this one or another) changes nothing,
	// appends nothing and returns the case it belongs to. Returns
	// ENOTFOUND if the case or the deposit does not exist.
	JoinCase(ctx context.Context, caseID, depositID string, at time.Time, events ...Event) (string, error)
	// CaseOf returns the id of the case of the deposit. Returns ENOTFOUND
	// if it belongs to none.
	CaseOf(ctx context.Context, depositID string) (string, error)
	// CasesOf returns the case of each of the deposits that belongs to
	// one, by deposit id, in one read.
	CasesOf(ctx context.Context, depositIDs []string) (map[string]string, error)
	// CaseDeposits returns the deposits in cases that f.UserID may see
	// and know of (as CaseList decides: sent by them or, once submitted,
	// from a service mailbox they are a member of; once past its checks,
	// addressed to them or to a service mailbox they are a member of),
	// each with its case, newest first (by creation time, then id; oldest
	// first with f.Oldest), past the cursor f.After, f.AfterID, at most
	// f.Limit. With f.CaseID, a case none of whose deposits has the user
	// as a party (sender, recipient, or a member of a mailbox that sent or
	// received it) answers nil at the same cost as a case that does not
	// exist: none of its deposits is read.
	CaseDeposits(ctx context.Context, f CaseFilter) ([]CaseDeposit, error)
	// CaseList returns a page of the cases of which f.UserID may see a
	// deposit (as CaseDeposits decides), each with the creation time of the
	// newest such deposit, most recent first (ties by id, descending),
	// strictly after the cursor f.Before, f.BeforeID in that order, at
	// most f.Limit (0 means 100).
	CaseList(ctx context.Context, f CaseListFilter) ([]CaseRef, error)
	// CaseDepositIDs returns the ids of every deposit of the case, whoever
	// may see them, oldest first (by creation time, then id): what an
	// auditor's evidence of the case covers. Returns nil for a case that
	// does not exist.
	CaseDepositIDs(ctx context.Context, caseID string) ([]string, error)
}

// CaseListFilter selects a page of cases for CaseStore.CaseList.
type CaseListFilter struct {
	UserID string
	// Before, if not zero, keeps cases whose newest deposit the user may
	// see was made strictly before it, ties broken by BeforeID (the cursor
	// of the previous page's last case).
	Before   time.Time
	BeforeID string
	Limit    int
}

// CaseRef is a case of CaseStore.CaseList: its id, and when the newest of
// its deposits the person may see was made.
type CaseRef struct {
	ID     string
	LastAt time.Time
}

// CaseFilter selects deposits for CaseStore.CaseDeposits.
type CaseFilter struct {
	UserID string
	CaseID string // if set, only this case's deposits
	Limit  int    // at most this many; 0 means 1000
	// Oldest lists the deposits oldest first rather than newest first.
	Oldest bool
	// After, if not zero, keeps the deposits that come strictly after
	// it in the list's order, ties broken by AfterID (the cursor of the
	// previous page's last deposit: its creation time and id).
	After   time.Time
	AfterID string
}

// CaseDeposit is a deposit with the case it belongs to.
type CaseDeposit struct {
	CaseID  string
	Deposit *DepositRecord
}

// referenceFold folds case the Unicode way (ß and ss alike).
var referenceFold = cases.Fold()

// NormalizeReference returns the form of a case reference that decides
// whether two references name the same case: case folded, accents
// removed, and everything but letters and digits dropped (spaces, dashes,
// slashes, dots, underscores…), so that "Parquet 26/12345",
// "PARQUET-26 12345" and "parquet 26.12345" are one. Invalid UTF-8 is
// dropped. It is idempotent.
func NormalizeReference(ref string) string {
	ref = strings.ToValidUTF8(ref, "")
	for range 4 { // to a fixed point: folding and decomposing may feed each other
		n := normalizeOnce(ref)
		if n == ref {
			break
		}
		ref = n
	}
	return ref
}

// normalizeOnce decomposes, folds case, keeps letters and digits, and
// maps each to the smallest rune of its simple case-folding orbit.
func normalizeOnce(ref string) string {
	ref = norm.NFKD.String(referenceFold.String(norm.NFKD.String(ref)))
	var b strings.Builder
	for _, r := range ref {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			continue
		}
		low := r
		for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
			low = min(low, f)
		}
		b.WriteRune(unicode.ToLower(low))
	}
	return b.String()
}
