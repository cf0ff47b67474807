// Package evidence gives people the proofs of their deposits: the list of
// a deposit's receipts, each receipt as a self-contained JSON document
// (package receipt) or as a PDF attestation with that JSON attached
// (package pdf), and the evidence bundle of a deposit, one ZIP with every
// receipt, the checkpoints they rest on and the journal's public keys.
//
// A receipt is made when asked for, from the journal event it attests, the
// event's claims document (opened with the deposit's proof key, and left
// out for callers who may not see it), an inclusion proof of the event in
// the journal's tree and a signed checkpoint of that tree (issued on
// demand if none covers the event yet) with its time-stamp token if it has
// one.
package evidence

import (
	"context"
	"crypto/x509"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"navette"
	"navette/deposit"
)

// Checkpoints gives signed checkpoints of the journal's tree
// (proof.Checkpointer).
type Checkpoints interface {
	// CheckpointFor returns a checkpoint of a tree that contains leaf,
	// issuing one if none does. Returns ENOTFOUND if there is no such
	// leaf.
	CheckpointFor(ctx context.Context, leaf int64) (*navette.Checkpoint, error)
}

// Store is what the evidence service needs of the metadata store, by role;
// navette.MetaStore has them all.
type Store interface {
	navette.DepositStore
	navette.MailboxStore
	navette.JournalStore
	navette.UserStore
}

// Service issues receipts and evidence bundles. Set its fields before use.
type Service struct {
	Meta     Store
	Evidence navette.EvidenceStore
	// Deposits opens the claims of a deposit's evidence.
	Deposits    *deposit.Service
	Checkpoints Checkpoints
	// Verifiers returns the journal's published key list, one line a
	// string: its verifier keys, current and past, in note verifier-key
	// form, each retired one followed by its retirement line
	// (receipt.RetiredLine).
	Verifiers func() []string
	// TSARoots, if set, are the roots the time-stamping authority's
	// certificate is checked against when an attestation is made (serve
	// --tsa-ca), so that it says the authority was verified; without
	// them, it says only the token's signature was.
	TSARoots *x509.CertPool
	Clock    navette.Clock
	Log      *slog.Logger
	// Operator names who runs the platform on attestations, PublicURL
	// where its journal keys are published (PUBLIC_URL/api/v1/journal/keys).
	Operator  string
	PublicURL string
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// Entry is a receipt of a deposit, as a list shows it.
type Entry struct {
	ID    string // the receipt's id: "DEPOSITID-LEAF"
	Kind  navette.ProofKind
	Time  time.Time
	Event navette.Event
	// Who and File, when the caller may see the claims: the person the
	// receipt is about (who acted, or the recipient notified, "Name
	// <address>") and the file downloaded.
	Who, File string
}

// access is what a caller may see of a deposit.
type access struct {
	d *navette.DepositRecord
	// all: the sender, auditors and admins see every receipt, claims
	// included.
	all bool
	// ids are the caller and the recipients (service mailboxes) the
	// caller stands for: recipients see the receipts about the deposit as
	// a whole and those about them.
	ids map[string]bool
}

func notFound() error { return navette.Errorf(navette.ENOTFOUND, "No such deposit.") }

// Auditor reports whether a user with role r sees the evidence of every
// deposit, whose claims name its reference and file names: auditors only.
// Platform admins see the proofs of the deposits they are party to, like
// anyone (issue 18: admins never read content by role).
func Auditor(r navette.Role) bool { return r == navette.RoleAuditor }

// JournalReader reports whether a user with role r may read the journal's
// events and proofs, which hold no reference, name nor content: auditors
// and platform admins.
func JournalReader(r navette.Role) bool { return r == navette.RoleAuditor || r == navette.RoleAdmin }

// access returns what actor may see of deposit id: everything for its
// sender, the members of the mailbox it was sent from and auditors, their share for its recipients and the members
// of a recipient mailbox once it was submitted, and for anyone else the
// same ENOTFOUND as for an unknown deposit, journaled.
func (s *Service) access(ctx context.Context, actor *navette.User, id string) (*access, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	d, err := s.visibleDeposit(ctx, actor, id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		s.deny(ctx, actor, id)
		return nil, notFound()
	} else if err != nil {
		return nil, err
	}
	a := &access{d: d, all: d.SenderID == actor.ID || Auditor(actor.Role), ids: map[string]bool{actor.ID: true}}
	if !a.all {
		if err := s.addMemberships(ctx, actor, a); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// visibleDeposit returns deposit id if actor may see something of it: any
// deposit for an auditor, else one actor takes part in and, unless actor
// sent it, that was submitted; ENOTFOUND otherwise.
func (s *Service) visibleDeposit(ctx context.Context, actor *navette.User, id string) (*navette.DepositRecord, error) {
	var (
		d   *navette.DepositRecord
		err error
	)
	switch {
	case !navette.ValidID(id):
		return nil, notFound()
	case Auditor(actor.Role):
		d, err = s.Meta.Deposit(ctx, id)
	default:
		d, err = s.Meta.DepositFor(ctx, id, actor.ID)
	}
	if err == nil && d.SenderID != actor.ID && !Auditor(actor.Role) && (d.State == navette.DepositDraft || d.State == navette.DepositChecking) {
		return nil, notFound()
	}
	return d, err
}

// addMemberships adds to a the mailboxes actor is a member of, and gives
// actor everything if one of them is the mailbox the deposit was sent
// from.
func (s *Service) addMemberships(ctx context.Context, actor *navette.User, a *access) error {
	ms, err := s.Meta.Memberships(ctx, actor.ID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		a.ids[m.ServiceID] = true
	}
	a.all = a.d.FromSpaceID != "" && a.ids[a.d.FromSpaceID]
	return nil
}

// deny journals a refused access.
func (s *Service) deny(ctx context.Context, actor *navette.User, id string) {
	if !navette.ValidID(id) {
		id = ""
	}
	ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventAccessDenied, ActorID: actor.ID, DepositID: id, Detail: "not_found"}
	if err := s.Meta.AppendEvents(context.WithoutCancel(ctx), ev); err != nil {
		s.log().ErrorContext(ctx, "recording a denied access", "err", err)
	}
}

// ReceiptID returns the id of the receipt of the event that is leaf leaf
// of the journal, about deposit depositID.
func ReceiptID(depositID string, leaf int64) string {
	return depositID + "-" + strconv.FormatInt(leaf, 10)
}

// parseReceiptID splits a receipt id; ok is false if it is not one.
func parseReceiptID(rid string) (depositID string, leaf int64, ok bool) {
	id, n, found := strings.Cut(rid, "-")
	if !found || !navette.ValidID(id) || !canonicalLeaf(n) {
		return "", 0, false
	}
	leaf, err := strconv.ParseInt(n, 10, 64)
	if err != nil {
		return "", 0, false
	}
	return id, leaf, true
}

// canonicalLeaf reports whether n is a leaf index as ReceiptID writes it:
// decimal digits, no leading zero, at most 19 of them.
func canonicalLeaf(n string) bool {
	return n != "" && len(n) <= 19 && strings.TrimLeft(n, "0123456789") == "" && (len(n) == 1 || n[0] != '0')
}

// proofsEnded reports whether d's proof retention ended: its evidence is
// deleted, and its receipts with it.
func proofsEnded(d *navette.DepositRecord, now time.Time) bool {
	return !d.ProofUntil.IsZero() && !now.Before(d.ProofUntil) && d.ProofKey.IsZero()
}

// liveReceiptEvents returns receiptEvents of d, or EGONE once its proof
// retention ended at now.
func (s *Service) liveReceiptEvents(ctx context.Context, d *navette.DepositRecord, now time.Time) ([]navette.Event, error) {
	if proofsEnded(d, now) {
		return nil, gone()
	}
	return s.receiptEvents(ctx, d)
}

// receiptEvents returns the events of deposit d that have a receipt, in
// journal order: the events of a ProofKind, except notices that do not
// tell a recipient of the deposit, an expiry without claims (nobody left
// it unclaimed, or it is older than the evidence) and, of the purge's one
// event per file, all but the one with claims (or the first).
func (s *Service) receiptEvents(ctx context.Context, d *navette.DepositRecord) ([]navette.Event, error) {
	l := receiptList{purged: -1}
	var after int64
	for {
		evs, err := s.Meta.Events(ctx, navette.EventFilter{DepositID: d.ID, AfterSeq: after, Limit: 1000})
		if err != nil {
			return nil, err
		}
		for _, e := range evs {
			after = e.Seq
			l.add(e)
		}
		if len(evs) < 1000 {
			return l.out, nil
		}
	}
}

// receiptList gathers the events that have a receipt, in order.
type receiptList struct {
	out    []navette.Event
	purged int // the index in out of the purge's event; -1 before it
}

// add adds e if it has a receipt: of the purge's events, the first is
// kept, or the first with claims.
func (l *receiptList) add(e navette.Event) {
	if e.Type.ProofKind() == "" || e.Leaf < 0 || !ownReceipt(e) {
		return
	}
	if e.Type == navette.EventDepositPurged {
		switch {
		case l.purged < 0:
			l.purged = len(l.out)
		case len(e.Claims) > 0 && len(l.out[l.purged].Claims) == 0:
			l.out[l.purged] = e
			return
		default:
			return
		}
	}
	l.out = append(l.out, e)
}

// ownReceipt reports whether the event e of a ProofKind, purges aside, has
// a receipt: not a notice that does not tell a recipient of the deposit,
// nor an expiry without claims.
func ownReceipt(e navette.Event) bool {
	switch e.Type {
	case navette.EventNoticeSent:
		kind, _, _ := strings.Cut(e.Detail, " ")
		return kind == string(navette.NoticeDeposit) || kind == string(navette.NoticeReminder)
	case navette.EventDepositExpired:
		return len(e.Claims) > 0
	}
	return true
}

// claims returns the claims document of event e of deposit d, opened, or
// nil if it has none or they were deleted.
func (s *Service) claims(ctx context.Context, d *navette.DepositRecord, e *navette.Event) ([]byte, error) {
	if len(e.Claims) == 0 || s.Evidence == nil {
		return nil, nil
	}
	ev, err := s.Evidence.Evidence(ctx, e.Claims)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, nil
	} else if err != nil {
		return nil, err
	}
	b, err := s.Deposits.OpenClaims(d, ev)
	if navette.IsCode(err, navette.EGONE) {
		return nil, nil
	}
	return b, err
}

// visible reports whether a caller with access a may have the receipt of
// e, and whether with its claims. Recipients have the receipts about the
// deposit as a whole, and the notices, openings and downloads that count
// for them or for a mailbox they are a member of; an expiry's claims name
// the other recipients who never fetched, so theirs leaves them out.
func (s *Service) visible(ctx context.Context, a *access, e *navette.Event) (ok, withClaims bool, err error) {
	if a.all {
		return true, true, nil
	}
	switch e.Type {
	case navette.EventDepositExpired:
		return true, false, nil
	case navette.EventNoticeSent:
		_, rest, _ := strings.Cut(e.Detail, " ")
		user, _, _ := strings.Cut(rest, " ")
		return a.ids[user], true, nil
	case navette.EventDepositOpened:
		return a.ids[e.Detail] || a.ids[e.ActorID], true, nil
	case navette.EventFileDownloaded:
		if a.ids[e.ActorID] {
			return true, true, nil
		}
		ok, err := s.downloadedFor(ctx, a, e)
		return ok, ok, err
	}
	return true, true, nil
}

// downloadedFor reports whether the claims of the download e say it counts
// for the caller with access a, or a mailbox they are a member of.
func (s *Service) downloadedFor(ctx context.Context, a *access, e *navette.Event) (bool, error) {
	b, err := s.claims(ctx, a.d, e)
	if err != nil || b == nil {
		return false, err
	}
	c, err := deposit.ParseClaims(b)
	if err != nil {
		return false, err
	}
	return c.For != nil && a.ids[c.For.ID], nil
}

// List returns the receipts of deposit id that actor may have, in the
// order of their events. Returns ENOTFOUND unless actor sent the deposit,
// is one of its recipients (or a member of a recipient mailbox) and it was
// submitted, or is an auditor; EGONE once its proof retention ended.
func (s *Service) List(ctx context.Context, actor *navette.User, id string) ([]Entry, error) {
	a, err := s.access(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	evs, err := s.liveReceiptEvents(ctx, a.d, s.Clock.Now())
	if err != nil {
		return nil, err
	}
	var out []Entry
	for i := range evs {
		e := &evs[i]
		ok, withClaims, err := s.visible(ctx, a, e)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		en := Entry{ID: ReceiptID(id, e.Leaf), Kind: e.Type.ProofKind(), Time: e.Time, Event: *e}
		if withClaims {
			if err := s.describe(ctx, a.d, e, &en); err != nil {
				return nil, err
			}
		}
		out = append(out, en)
	}
	return out, nil
}

// describe fills in who acted and on which file, as the claims of event e
// of deposit d tell, when they can be read.
func (s *Service) describe(ctx context.Context, d *navette.DepositRecord, e *navette.Event, en *Entry) error {
	b, err := s.claims(ctx, d, e)
	if err != nil {
		return err
	}
	c, err := deposit.ParseClaims(b)
	if b == nil || err != nil {
		return nil
	}
	en.Who = actingParty(c)
	if c.File != nil {
		en.File = c.File.Name
	}
	return nil
}

func gone() error {
	return navette.Errorf(navette.EGONE, "The proofs of this deposit were deleted at the end of their retention.")
}

// kindName is what a receipt of each kind attests, in French, for file
// names in bundles.
var kindName = map[navette.ProofKind]string{
	navette.ProofDeposited:  "depot",
	navette.ProofAvailable:  "mise-a-disposition",
	navette.ProofNotified:   "avis",
	navette.ProofOpened:     "ouverture",
	navette.ProofDownloaded: "telechargement",
	navette.ProofUnclaimed:  "non-retrait",
	navette.ProofRevoked:    "retrait",
	navette.ProofExtended:   "prolongation",
	navette.ProofPurged:     "effacement",
}
