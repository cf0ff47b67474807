// Package deposit is navette's core: the life of a deposit from creation
// through upload, submission, download, revocation and expiry to purge.
// It owns the encryption of contents and metadata, and works only through
// the storage interfaces navette.MetaStore and navette.BlobStore, so storage
// backends can be added without touching it.
package deposit

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"navette"
	"navette/notify"
	"navette/seal"
)

// Store is what the deposit service needs of the metadata store, by role;
// navette.MetaStore has them all.
type Store interface {
	navette.DepositStore
	navette.FileStore
	navette.UserStore
	navette.MailboxStore
	navette.CourtStore  // statistics per court
	navette.OutboxStore // the notices of a deposit, for its sender
	navette.SettingsStore
	navette.JournalStore
}

// Service runs deposits. Its fields are set once before use.
type Service struct {
	Meta  Store
	Blobs navette.BlobStore
	Keys  navette.KeyWrapper
	Clock navette.Clock
	// Limits are the configuration's bounds on deposits; admins' settings
	// (SaveSettings) take precedence over them.
	Limits navette.Limits
	// DefaultRetentionDays applies when a sender chooses none; it is capped
	// by Limits.MaxRetentionDays.
	DefaultRetentionDays int
	// AbandonAfter is how long a draft may wait for submission before it
	// and its uploads are purged.
	AbandonAfter time.Duration
	// RemindBefore is how long before expiry the recipients who have not
	// downloaded get a reminder; 0 sends none.
	RemindBefore time.Duration
	// MailNames lets notices carry file names and the deposit's message;
	// off, they carry neither.
	MailNames bool
	// NoticesQueued, if set, is called after a change that queued e-mail
	// notices is committed, so that delivery starts at once
	// (notify.Worker.Kick).
	NoticesQueued func()
	Log           *slog.Logger
	// Internal is the internal mode: partners can be neither senders nor
	// recipients.
	Internal bool
	// PartnersToAgents lets partners send deposits to agents in person; by
	// default they may send only to service mailboxes.
	PartnersToAgents bool
	// ForwardToPartners lets agents forward the deposits they received to
	// partners; by default a forward stays within the ministry (agents and
	// service mailboxes). Never in internal mode.
	ForwardToPartners bool
	// ProofRetention is how long a deposit's evidence is kept after its
	// purge (DefaultProofRetention if zero).
	ProofRetention time.Duration
	// Evidence reads and ends the evidence of deposits; if nil, Meta is
	// used if it keeps evidence.
	Evidence navette.EvidenceStore
	// Deliveries keeps the bytes of each file delivered to each person, so
	// that a download spread over several requests is recorded once they
	// cover the file. If nil, Meta's own is used if it has one; without
	// any, only a whole file sent in one answer is recorded.
	Deliveries navette.DeliveryStore

	// Antivirus scans every file as it arrives (see CheckFiles); nil, files
	// are offered marked unscanned.
	Antivirus navette.Antivirus
	// AntivirusBypassed, if set, reports whether the security policy
	// offers files unscanned although Antivirus is set (an approved
	// policy.antivirus request); it is asked at each file.
	AntivirusBypassed func() bool
	// AntivirusVersion, if set, names the antivirus and its version
	// ("ClamAV 1.4.6/27000/…"), or "" if unknown, for the claims of the
	// deposits whose files it scanned.
	AntivirusVersion func(context.Context) string
	// DeliverMarked offers, marked, the files the antivirus could not
	// fully scan (over its limits, encrypted, scan errors); by default they
	// are refused.
	DeliverMarked bool
	// RefusedTypes are the types of content refused, told by their first
	// bytes whatever the file's name (see ParseRefusedTypes).
	RefusedTypes []string
	// Room, if set, refuses uploads the blob storage cannot hold above its
	// reserve of free space (a local disk; an object store has none).
	Room *Room
	// ChecksQueued, if set, is called when a stored file waits for the
	// background checker (CheckFiles) with nothing to wait for, so that it
	// runs at once.
	ChecksQueued func()
	// Scrubbed, if set, is told of each file the scrubber verified whole
	// and of the sealed bytes it read: the scrubber's progress.
	Scrubbed func(sealedBytes int64)
	// CommitBytes and CommitEvery bound what a crash loses of an upload
	// whose request body is still arriving: the bytes received are made
	// durable and the upload's offset moved once CommitBytes have arrived
	// since the last commit (DefaultCommitBytes when zero), or at the end
	// of the first segment after CommitEvery has passed since it
	// (DefaultCommitEvery when zero). Where a commit writes an object of
	// its own (S3), a crash may lose up to twice as much: see markEvery.
	CommitBytes int64
	CommitEvery time.Duration
	// CaseKeys, if set, names the cases deposits join (see Cases); nil,
	// deposits join none.
	CaseKeys CaseMAC

	denied  denials
	scans   scans
	commits groupCommit
	stats   statsCache
	jobs    memJobs

	// creating holds the actor id and idempotency key of each creation
	// under way with a key (see once).
	creating sync.Map
}

// deliveries returns the DeliveryStore in use, or nil.
func (s *Service) deliveries() navette.DeliveryStore {
	if s.Deliveries != nil {
		return s.Deliveries
	}
	ds, _ := s.Meta.(navette.DeliveryStore)
	return ds
}

// CanDeposit reports whether a user with role r may send deposits.
func CanDeposit(r navette.Role) bool {
	return r == navette.RoleAgent || r == navette.RoleCourtAdmin || r == navette.RolePartner
}

// services returns the ids of the service mailboxes actor is a member of.
func (s *Service) services(ctx context.Context, actor *navette.User) (map[string]bool, error) {
	if actor.Role != navette.RoleAgent && actor.Role != navette.RoleCourtAdmin {
		return nil, nil
	}
	ms, err := s.Meta.Memberships(ctx, actor.ID)
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ms))
	for _, m := range ms {
		out[m.ServiceID] = true
	}
	return out, nil
}

// View is a deposit with its sealed fields opened, as its sender or a
// recipient may see it.
type View struct {
	*navette.DepositRecord
	Sender    *navette.User
	Reference string
	Message   string
	Files     []FileView
	// CaseID is the case the deposit belongs to, "" if none.
	CaseID string
	// FromSpace is the service mailbox the deposit was sent on behalf of,
	// nil if it was sent in person.
	FromSpace *navette.User
	// Sending is set when the person it is shown to sent it or is a member
	// of the mailbox it was sent from.
	Sending bool
	// Forwards are the deposit's forwards, oldest first, filled by Get for
	// those who see them: the sending side and the agents who received it
	// (see ForwardView); nil for a partner who received it, and in lists.
	Forwards []ForwardView
}

// FileView is a file with its name opened.
type FileView struct {
	*navette.FileRecord
	Name string
}

// PurgedUnfinished reports whether f was purged before its upload finished
// (it has no SHA-256): such a file was never part of the deposit, and no
// list shows or counts it.
func (f FileView) PurgedUnfinished() bool {
	return f.State == navette.FilePurged && f.SHA256 == nil
}

// Expired reports whether the deposit is past its expiry at now, even if the
// sweeper has not yet marked it.
func Expired(d *navette.DepositRecord, now time.Time) bool {
	switch d.State {
	case navette.DepositExpired, navette.DepositRevoked:
		return true
	case navette.DepositAvailable:
		return !now.Before(d.ExpiresAt)
	}
	return !d.PurgedAt.IsZero()
}

func (s *Service) proofRetention() time.Duration {
	if s.ProofRetention <= 0 {
		return DefaultProofRetention
	}
	return s.ProofRetention
}

// evidence returns the store of evidence, or nil if there is none.
func (s *Service) evidence() navette.EvidenceStore {
	if s.Evidence != nil {
		return s.Evidence
	}
	es, _ := s.Meta.(navette.EvidenceStore)
	return es
}

func (s *Service) log() *slog.Logger {
	if s.Log == nil {
		return slog.Default()
	}
	return s.Log
}

// notFound is the single answer for a deposit or file the caller may not
// know about: it does not tell a missing id from a refused one.
func notFound() error {
	return navette.Errorf(navette.ENOTFOUND, "No such deposit.")
}

// ErrRevoked is wrapped by the EGONE errors about a deposit its sender
// withdrew, to tell them from those about a deposit that expired.
var ErrRevoked = errors.New("deposit revoked")

func gone(d *navette.DepositRecord) error {
	if d.State == navette.DepositRevoked {
		return &navette.Error{Code: navette.EGONE, Message: "This deposit was withdrawn by its sender.", Err: ErrRevoked}
	}
	return navette.Errorf(navette.EGONE, "This deposit has expired; its files are no longer available.")
}

// depositKey opens the deposit's own key, which seals its reference, message
// and file names.
func (s *Service) depositKey(d *navette.DepositRecord) (*seal.Key, error) {
	raw, err := s.Keys.Unwrap(d.Key, "deposit:"+d.ID)
	if err != nil {
		return nil, err
	}
	return seal.NewKey(raw)
}

// fileKey opens a file's data key.
func (s *Service) fileKey(f *navette.FileRecord) (*seal.Key, error) {
	raw, err := s.Keys.Unwrap(f.Key, "file:"+f.ID)
	if err != nil {
		return nil, err
	}
	return seal.NewKey(raw)
}

// openText opens the text sealed under k as the value what of id (a
// deposit's reference or message, a file's name). Returns EINTERNAL if it
// does not open.
func openText(k *seal.Key, what, id string, sealed []byte) (string, error) {
	b, err := k.OpenValue(what, id, sealed)
	if err != nil {
		return "", navette.WrapError(navette.EINTERNAL, err, "")
	}
	return string(b), nil
}

// openReference returns the key of d, which must still have it, and its
// reference opened.
func (s *Service) openReference(d *navette.DepositRecord) (*seal.Key, string, error) {
	return s.openSealed(d, "reference", d.ID, d.Reference)
}

// openSealed returns the key of d, which must still have it, and the text
// sealed under it as the value what of id (openText).
func (s *Service) openSealed(d *navette.DepositRecord, what, id string, sealed []byte) (*seal.Key, string, error) {
	k, err := s.depositKey(d)
	if err != nil {
		return nil, "", err
	}
	text, err := openText(k, what, id, sealed)
	if err != nil {
		return nil, "", err
	}
	return k, text, nil
}

// view opens a deposit's sealed fields for display.
func (s *Service) view(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord) (*View, error) {
	return s.viewIn(ctx, d, files, nil)
}

// viewIn is view for a deposit of the page pg, whose reads it shares (nil:
// a deposit alone).
func (s *Service) viewIn(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, pg *page) (*View, error) {
	v := &View{DepositRecord: d}
	if err := s.viewParties(ctx, v, pg); err != nil {
		return nil, err
	}
	var err error
	if d.Key.IsZero() { // purged: the tombstone, and what the proofs keep
		err = s.tombstoneView(ctx, v, files)
	} else {
		err = s.openView(v, files)
	}
	if err != nil {
		return nil, err
	}
	return v, nil
}

// viewParties sets the sender, the mailbox it was sent from and the case
// of v's deposit, reading them through pg.
func (s *Service) viewParties(ctx context.Context, v *View, pg *page) error {
	d := v.DepositRecord
	var err error
	if v.Sender, err = pg.user(ctx, s, d.SenderID); err != nil {
		return err
	}
	if d.FromSpaceID != "" {
		if v.FromSpace, err = pg.user(ctx, s, d.FromSpaceID); err != nil {
			return err
		}
	}
	v.CaseID, err = pg.caseOf(ctx, s, d.ID)
	return err
}

// tombstoneView sets the reference and file names of v, a purged deposit
// with the given files, to what its proofs keep.
func (s *Service) tombstoneView(ctx context.Context, v *View, files []*navette.FileRecord) error {
	ref, names, err := s.provenFacts(ctx, v.DepositRecord)
	if err != nil {
		return err
	}
	v.Reference = ref
	for _, f := range files {
		v.Files = append(v.Files, FileView{FileRecord: f, Name: names[f.ID]})
	}
	return nil
}

// openView sets the reference, message and file names of v, a deposit
// with its key and the given files, opened.
func (s *Service) openView(v *View, files []*navette.FileRecord) error {
	d := v.DepositRecord
	k, ref, err := s.openReference(d)
	if err != nil {
		return err
	}
	v.Reference = ref
	if v.Message, err = openMessage(k, d); err != nil {
		return err
	}
	for _, f := range files {
		fv := FileView{FileRecord: f}
		if fv.Name, err = openFileName(k, f); err != nil {
			return err
		}
		v.Files = append(v.Files, fv)
	}
	return nil
}

// openMessage returns the message of deposit d, opened with d's key k;
// "" for none.
func openMessage(k *seal.Key, d *navette.DepositRecord) (string, error) {
	if len(d.Message) == 0 {
		return "", nil
	}
	return openText(k, "message", d.ID, d.Message)
}

// openFileName returns the name of file f, opened with its deposit's key
// k; "" for none (a purged file).
func openFileName(k *seal.Key, f *navette.FileRecord) (string, error) {
	if len(f.Name) == 0 {
		return "", nil
	}
	return openText(k, "filename", f.ID, f.Name)
}

// lookup returns the deposit if actor may know it exists, denying every
// miss (deny) so that misses and refusals cost the same.
func (s *Service) lookup(ctx context.Context, actor *navette.User, id string) (*navette.DepositRecord, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	var d *navette.DepositRecord
	var err error
	if navette.ValidID(id) {
		d, err = s.Meta.DepositFor(ctx, id, actor.ID)
	} else {
		err = notFound()
	}
	if navette.IsCode(err, navette.ENOTFOUND) {
		s.deny(ctx, actor, id, "not_found")
		return nil, notFound()
	} else if err != nil {
		return nil, err
	}
	hidden, err := s.hiddenFrom(ctx, actor, d)
	if err != nil {
		return nil, err
	}
	if d.SenderID != actor.ID && hidden {
		s.deny(ctx, actor, id, "not_found")
		return nil, notFound()
	}
	return d, nil
}

// hiddenFrom reports whether actor, unless d's sender, may not know of d
// yet: recipients learn of a deposit only once it is available, members of
// the mailbox it is sent from once it is submitted.
func (s *Service) hiddenFrom(ctx context.Context, actor *navette.User, d *navette.DepositRecord) (bool, error) {
	if d.State != navette.DepositChecking {
		return d.State == navette.DepositDraft, nil
	}
	sending, err := s.sending(ctx, actor, d)
	if err != nil {
		return false, err
	}
	return !sending, nil
}

// lookupSide is lookup, and reports whether actor is on the sending side
// of the deposit (sending).
func (s *Service) lookupSide(ctx context.Context, actor *navette.User, id string) (*navette.DepositRecord, bool, error) {
	d, err := s.lookup(ctx, actor, id)
	if err != nil {
		return nil, false, err
	}
	sending, err := s.sending(ctx, actor, d)
	if err != nil {
		return nil, false, err
	}
	return d, sending, nil
}

// lookupSent is lookup for what only a deposit's sender may do: anyone
// else who may know the deposit gets EFORBIDDEN saying refusal, and the
// denial is journaled.
func (s *Service) lookupSent(ctx context.Context, actor *navette.User, id, refusal string) (*navette.DepositRecord, error) {
	d, sending, err := s.lookupSide(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if !sending {
		s.deny(ctx, actor, id, "not_sender")
		return nil, navette.Errorf(navette.EFORBIDDEN, "%s", refusal)
	}
	return d, nil
}

// kick tells the delivery worker that notices were queued.
func (s *Service) kick() {
	if s.NoticesQueued != nil {
		s.NoticesQueued()
	}
}

// noticeData returns what the notices about deposit d say: its reference
// and number of available files, its expiry, its sender, and, if the
// operator lets mails carry them, its file names and message. d must still
// have its key.
func (s *Service) noticeData(d *navette.DepositRecord, files []*navette.FileRecord, sender *navette.User) (*notify.Data, error) {
	k, ref, err := s.openReference(d)
	if err != nil {
		return nil, err
	}
	nd := &notify.Data{Reference: ref, ExpiresAt: d.ExpiresAt, Unscanned: s.scanner() == nil}
	if sender != nil {
		nd.Sender = notify.Person{Name: sender.Name, Email: sender.Email}
	}
	if err := s.addFiles(nd, k, files); err != nil {
		return nil, err
	}
	if s.MailNames {
		if nd.Message, err = openMessage(k, d); err != nil {
			return nil, err
		}
	}
	return nd, nil
}

// senderNoticeData is noticeData for the notices to d's recipients that
// name who sent, extended or withdrew it (sender): with the service
// mailbox d was sent on behalf of, if any, as the deposit's page names it,
// the court's office a lawyer knows where the clerk's name alone may tell
// them nothing.
func (s *Service) senderNoticeData(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, sender *navette.User) (*notify.Data, error) {
	nd, err := s.noticeData(d, files, sender)
	if err != nil || d.FromSpaceID == "" {
		return nd, err
	}
	u, err := s.Meta.User(ctx, d.FromSpaceID)
	if err != nil {
		return nil, err
	}
	nd.FromSpace = notify.Person{Name: u.Name, Email: u.Email}
	return nd, nil
}

// addFiles adds to nd what its notices say of the available files of
// files, whose deposit's key is k: how many there are, whether one is
// unscanned, and, if the operator lets mails carry them, their names.
func (s *Service) addFiles(nd *notify.Data, k *seal.Key, files []*navette.FileRecord) error {
	for _, f := range files {
		if f.State != navette.FileAvailable {
			continue
		}
		nd.Files++
		if f.Check.Marked() {
			nd.Unscanned = true
		}
		if s.MailNames && len(f.Name) > 0 {
			name, err := openText(k, "filename", f.ID, f.Name)
			if err != nil {
				return err
			}
			nd.FileNames = append(nd.FileNames, name)
		}
	}
	return nil
}
