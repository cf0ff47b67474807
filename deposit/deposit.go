package deposit

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"navette"
	"navette/notify"
	"navette/seal"
)

// Draft is what a sender asks for when creating a deposit.
type Draft struct {
	Recipients    []string // e-mail addresses
	Reference     string
	Message       string
	RetentionDays int // 0: the default
	// NoReceipts turns off the e-mail the sender gets as each recipient
	// first downloads.
	NoReceipts bool
	// MaxDownloads caps the complete downloads of each file by each
	// recipient person, from 1 to MaxDownloadCap; 0 means no cap.
	MaxDownloads int
	// FromSpace, if set, is the e-mail address of a service mailbox actor
	// is a member of, on behalf of which the deposit is sent.
	FromSpace string
	// IdempotencyKey, if set, makes the creation happen once: a repeat
	// with the same key and the same draft, within
	// navette.IdempotencyKeyLifetime, returns the draft the first made.
	IdempotencyKey string
}

// MaxDownloadCap is the largest cap of downloads a sender may set.
const MaxDownloadCap = 100

// Limits on the text a sender may give.
const (
	MaxReferenceLen = 200
	MaxMessageLen   = 10000
	MaxNameLen      = 255
	MaxReasonLen    = 500
)

// Create makes a draft deposit from actor to the given recipients. Returns
// EINVALID for a bad field or an unknown, disabled or forbidden recipient.
// With an idempotency key, it is made once (see once).
func (s *Service) Create(ctx context.Context, actor *navette.User, in Draft) (*View, error) {
	if err := s.maySend(actor); err != nil {
		return nil, err
	}
	key := in.IdempotencyKey
	in.IdempotencyKey = ""
	digest := requestDigest("draft", in)
	in.IdempotencyKey = key
	return s.once(ctx, actor, key, digest, func() (*View, error) { return s.create(ctx, actor, in, digest) })
}

// create makes the draft in as Create does, holding its idempotency key
// with the digest of its draft if it has one.
func (s *Service) create(ctx context.Context, actor *navette.User, in Draft, digest []byte) (*View, error) {
	lim, err := s.CurrentLimits(ctx)
	if err != nil {
		return nil, err
	}
	ref, msg, err := checkDraft(in)
	if err != nil {
		return nil, err
	}
	days, err := s.checkDraftLimits(in, lim)
	if err != nil {
		return nil, err
	}
	from, err := s.fromSpace(ctx, actor, in.FromSpace)
	if err != nil {
		return nil, err
	}
	recipients, err := s.resolveRecipients(ctx, actor, from, in.Recipients)
	if err != nil {
		return nil, err
	}
	d := &navette.DepositRecord{
		ID:            navette.NewID(),
		SenderID:      actor.ID,
		FromSpaceID:   from,
		State:         navette.DepositDraft,
		RetentionDays: days,
		CreatedAt:     s.Clock.Now(),
		NotifySender:  !in.NoReceipts,
		MaxDownloads:  in.MaxDownloads,
		Recipients:    recipients,
	}
	if err := s.sealDraft(d, ref, msg, in.IdempotencyKey, digest); err != nil {
		return nil, err
	}
	ev := navette.Event{Time: d.CreatedAt, Type: navette.EventDepositCreated, ActorID: actor.ID, DepositID: d.ID}
	if err := s.Meta.CreateDeposit(ctx, d, ev); err != nil {
		return nil, err
	}
	return s.Get(ctx, actor, d.ID)
}

// maySend returns EUNAUTHORIZED without an actor, EFORBIDDEN unless actor's
// role may send deposits on this platform.
func (s *Service) maySend(actor *navette.User) error {
	if actor == nil {
		return navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if !CanDeposit(actor.Role) || (s.Internal && actor.Role == navette.RolePartner) {
		return navette.Errorf(navette.EFORBIDDEN, "Your role does not allow sending deposits.")
	}
	return nil
}

// checkDraftLimits returns the retention in days of in (the default if 0),
// or EINVALID if it or the number of recipients is outside lim.
func (s *Service) checkDraftLimits(in Draft, lim navette.Limits) (int, error) {
	days, err := s.retentionDays(in.RetentionDays, lim)
	if err != nil {
		return 0, err
	}
	if err := checkRecipientCount(len(in.Recipients), lim); err != nil {
		return 0, err
	}
	return days, nil
}

// retentionDays returns the retention of a deposit kept days, or the
// default if 0. Returns EINVALID outside lim.
func (s *Service) retentionDays(days int, lim navette.Limits) (int, error) {
	if days == 0 {
		days = s.DefaultRetention(lim)
	}
	if days < 1 || days > lim.MaxRetentionDays {
		return 0, navette.Errorf(navette.EINVALID, "The retention must be between 1 and %d days.", lim.MaxRetentionDays)
	}
	return days, nil
}

// checkRecipientCount returns EINVALID unless a deposit to n recipients
// is within lim: at least one.
func checkRecipientCount(n int, lim navette.Limits) error {
	if n == 0 {
		return navette.Errorf(navette.EINVALID, "At least one recipient is required.")
	}
	if n > lim.MaxRecipients {
		return navette.Errorf(navette.EINVALID, "At most %d recipients are allowed.", lim.MaxRecipients)
	}
	return nil
}

// resolveRecipients returns the recipients of a deposit actor sends (from
// the mailbox from, if not empty) to the given addresses, once each.
// Returns EINVALID for a bad, unknown, disabled or forbidden address.
func (s *Service) resolveRecipients(ctx context.Context, actor *navette.User, from string, emails []string) ([]navette.Recipient, error) {
	seen := map[string]bool{}
	var recipients []navette.Recipient
	for _, e := range emails {
		email := navette.NormalizeEmail(e)
		if email == "" || len(email) > 254 || !printable(email, false) {
			return nil, navette.Errorf(navette.EINVALID, "A recipient's e-mail address is empty, too long or holds control characters.")
		}
		if seen[email] {
			continue
		}
		seen[email] = true
		u, err := s.recipient(ctx, actor, from, email)
		if err != nil {
			return nil, err
		}
		recipients = append(recipients, navette.Recipient{UserID: u.ID})
	}
	return recipients, nil
}

// recipient returns the user of email, to whom actor sends a deposit from
// the mailbox from. Returns EINVALID unless that user may receive it: for
// staff, saying why; for a partner, in words that do not tell an unknown
// address from another's (partnerRefusal).
func (s *Service) recipient(ctx context.Context, actor *navette.User, from, email string) (*navette.User, error) {
	u, err := s.knownUser(ctx, email)
	if err != nil {
		return nil, partnerRefusal(actor, email, err)
	}
	if u.ID == actor.ID || u.ID == from {
		return nil, navette.Errorf(navette.EINVALID, "You cannot send a deposit to yourself or to the mailbox it is sent from.")
	}
	if err := s.mayReceive(actor, u); err != nil {
		return nil, partnerRefusal(actor, email, err)
	}
	return u, nil
}

// partnerRefusal returns err, the refusal of email as a recipient of a
// deposit actor sends, as actor is told it: staff as it is, a partner in
// one message whatever the reason (no such user, a disabled one, a partner,
// an agent in person), so that partners cannot learn from it who is on the
// platform and in what role.
func partnerRefusal(actor *navette.User, email string, err error) error {
	if actor.Role != navette.RolePartner || !navette.IsCode(err, navette.EINVALID) {
		return err
	}
	return navette.Errorf(navette.EINVALID, "You cannot send a deposit to %q.", email)
}

// knownUser returns the user of email, a normalised address, if one may
// be sent to. Returns EINVALID for an unknown user, or a disabled one (a
// lawyer struck off, a former agent), saying so: a clerk who reads "not
// known" takes it for a typo.
func (s *Service) knownUser(ctx context.Context, email string) (*navette.User, error) {
	u, err := s.Meta.UserByEmail(ctx, email)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, navette.Errorf(navette.EINVALID, "%q is not a recipient known to the platform.", email)
	}
	if err == nil && u.Disabled {
		return nil, navette.Errorf(navette.EINVALID, "%q no longer has access to the platform and cannot receive deposits.", email)
	}
	return u, err
}

// sealDraft gives d, a new deposit, its wrapped key and proof key, its
// reference and message (if any) sealed under that key, and the
// idempotency key of its creation with its request's digest, sealed too,
// if it has one.
func (s *Service) sealDraft(d *navette.DepositRecord, ref, msg, idemKey string, digest []byte) error {
	raw := seal.GenerateKey()
	k, err := seal.NewKey(raw)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	if d.Key, err = s.Keys.Wrap(raw, "deposit:"+d.ID); err != nil {
		return err
	}
	if err := s.newProofKey(d); err != nil {
		return err
	}
	d.Reference = k.SealValue("reference", d.ID, []byte(ref))
	if msg != "" {
		d.Message = k.SealValue("message", d.ID, []byte(msg))
	}
	if idemKey != "" {
		d.IdempotencyKey = idemKey
		d.RequestDigest = k.SealValue("request", d.ID, digest)
	}
	return nil
}

// checkDraft returns the reference and message of in, trimmed, or EINVALID
// for a bad reference, message or download limit.
func checkDraft(in Draft) (ref, msg string, err error) {
	ref = strings.TrimSpace(in.Reference)
	if ref == "" || len(ref) > MaxReferenceLen || !printable(ref, false) {
		return "", "", navette.Errorf(navette.EINVALID, "A case reference of 1 to %d printable characters is required.", MaxReferenceLen)
	}
	msg = strings.TrimSpace(in.Message)
	if len(msg) > MaxMessageLen || !printable(msg, true) {
		return "", "", navette.Errorf(navette.EINVALID, "The message must be printable text of at most %d bytes.", MaxMessageLen)
	}
	if in.MaxDownloads < 0 || in.MaxDownloads > MaxDownloadCap {
		return "", "", navette.Errorf(navette.EINVALID, "The download limit must be from 1 to %d, or 0 for none.", MaxDownloadCap)
	}
	return ref, msg, nil
}

// mayReceive returns EINVALID unless actor may send a deposit to u.
func (s *Service) mayReceive(actor, u *navette.User) error {
	switch u.Role {
	case navette.RoleService:
		return nil
	case navette.RolePartner:
		return s.partnerMayReceive(actor, u)
	case navette.RoleAgent, navette.RoleCourtAdmin:
		return s.personMayReceive(actor, u)
	}
	return navette.Errorf(navette.EINVALID, "%q is not a recipient known to the platform.", u.Email)
}

// partnerMayReceive is mayReceive for u, a partner: partners receive from
// the ministry only, and not at all on an internal platform.
func (s *Service) partnerMayReceive(actor, u *navette.User) error {
	if s.Internal {
		return navette.Errorf(navette.EINVALID, "%q is a partner: partners cannot receive deposits on this platform.", u.Email)
	}
	if actor.Role == navette.RolePartner {
		return navette.Errorf(navette.EINVALID, "Partners may send deposits only to the ministry; %q is a partner.", u.Email)
	}
	return nil
}

// personMayReceive is mayReceive for u, an agent or a court admin in
// person: partners may send to them only under PartnersToAgents.
func (s *Service) personMayReceive(actor, u *navette.User) error {
	if actor.Role == navette.RolePartner && !s.PartnersToAgents {
		return navette.Errorf(navette.EINVALID, "Partners may send deposits only to a court's service mailboxes, not to %q in person.", u.Email)
	}
	return nil
}

// noOpeningKey marks a context in which Get records no opening.
type noOpeningKey struct{}

// WithoutOpening returns a copy of ctx in which Get shows a deposit to
// its recipient without recording that they opened it: for a request
// that shows them nothing of it (HEAD).
func WithoutOpening(ctx context.Context) context.Context {
	return context.WithValue(ctx, noOpeningKey{}, true)
}

// unaskedKey marks a context in which nothing is recorded of the person.
type unaskedKey struct{}

// Unasked returns a copy of ctx for a request the person may not have made
// (one another site started, which navette asks them to confirm): Get and
// CaseAt record neither an opening nor a refused access in their name.
func Unasked(ctx context.Context) context.Context {
	return WithoutOpening(context.WithValue(ctx, unaskedKey{}, true))
}

// Get returns a deposit as actor may see it, with its forwards for those
// who see them (View.Forwards). Returns ENOTFOUND unless actor sent it or
// received it (and it is available), EGONE for a recipient once it expired
// or was revoked.
func (s *Service) Get(ctx context.Context, actor *navette.User, id string) (*View, error) {
	d, sending, err := s.lookupLive(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	files, err := s.Meta.Files(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	fws, err := s.forwards(ctx, actor, d, sending)
	if err != nil {
		return nil, err
	}
	if d.State == navette.DepositAvailable && Expired(d, s.Clock.Now()) {
		d.State = navette.DepositExpired // the sweeper will record it; show the truth now
	}
	if !sending && ctx.Value(noOpeningKey{}) == nil {
		s.recordOpened(ctx, actor, d)
	}
	v, err := s.view(ctx, d, files)
	if err != nil {
		return nil, err
	}
	v.Sending, v.Forwards = sending, fws
	return v, nil
}

// lookupLive is lookupSide, and returns EGONE (journaled) to a recipient
// once the deposit expired or was revoked.
func (s *Service) lookupLive(ctx context.Context, actor *navette.User, id string) (*navette.DepositRecord, bool, error) {
	d, sending, err := s.lookupSide(ctx, actor, id)
	if err != nil {
		return nil, false, err
	}
	if !sending {
		if err := s.notEnded(ctx, actor, d, id); err != nil {
			return nil, false, err
		}
	}
	return d, sending, nil
}

// notEnded returns EGONE once deposit d, asked for by actor as id, expired
// or was revoked, the refusal journaled (deny).
func (s *Service) notEnded(ctx context.Context, actor *navette.User, d *navette.DepositRecord, id string) error {
	if Expired(d, s.Clock.Now()) {
		s.deny(ctx, actor, id, "gone")
		return gone(d)
	}
	return nil
}

// recordOpened notes that actor opened d now, on each recipient of d that
// stands for actor (actor in person, or a service mailbox actor is a member
// of) and was not opened before, with a deposit.opened event each. A
// failure is logged: it does not keep the recipient from the deposit.
func (s *Service) recordOpened(ctx context.Context, actor *navette.User, d *navette.DepositRecord) {
	if !awaitsOpening(d, actor) {
		return
	}
	svcs, err := s.services(ctx, actor)
	if err == nil {
		err = s.Meta.UpdateDeposit(context.WithoutCancel(ctx), d.ID, func(dep *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
			return s.withClaims(ctx, dep, files, actor, svcs, markOpened(dep, actor, svcs, s.Clock.Now()))
		})
	}
	if err != nil {
		s.log().ErrorContext(ctx, "recording an opening", "deposit", d.ID, "err", err)
		return
	}
	markOpened(d, actor, svcs, s.Clock.Now())
}

// awaitsOpening reports whether a recipient of d that may stand for actor
// (actor in person, or a service mailbox) was not opened yet.
func awaitsOpening(d *navette.DepositRecord, actor *navette.User) bool {
	return slices.ContainsFunc(d.Recipients, func(r navette.Recipient) bool {
		return r.FirstOpenedAt.IsZero() && (r.UserID == actor.ID || r.Role == navette.RoleService)
	})
}

// markOpened sets the first opening of the recipients of d that stand for
// actor and were not opened yet, and returns a deposit.opened event for
// each.
func markOpened(d *navette.DepositRecord, actor *navette.User, services map[string]bool, now time.Time) []navette.Event {
	var evs []navette.Event
	for i := range d.Recipients {
		r := &d.Recipients[i]
		if (r.UserID != actor.ID && !services[r.UserID]) || !r.FirstOpenedAt.IsZero() {
			continue
		}
		r.FirstOpenedAt, r.FirstOpenedBy = now, actor.ID
		evs = append(evs, navette.Event{Time: now, Type: navette.EventDepositOpened, ActorID: actor.ID, DepositID: d.ID, Detail: r.UserID})
	}
	return evs
}

// List returns a page of the actor's inbox or sent deposits, newest first,
// and the cursor of the next page ("" on the last).
func (s *Service) List(ctx context.Context, actor *navette.User, box navette.Box, before string, limit int) ([]*View, string, error) {
	if actor == nil {
		return nil, "", navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	if box != navette.BoxInbox && box != navette.BoxSent {
		return nil, "", navette.Errorf(navette.EINVALID, "box must be inbox or sent.")
	}
	limit = pageLimit(limit)
	f := navette.DepositFilter{UserID: actor.ID, Box: box, Limit: limit + 1}
	var err error
	if f.Before, f.BeforeID, err = pageCursor(before); err != nil {
		return nil, "", err
	}
	recs, err := s.Meta.ListDeposits(ctx, f)
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(recs) > limit {
		recs = recs[:limit]
		last := recs[limit-1]
		next = formatCursor(last.CreatedAt, last.ID)
	}
	now := s.Clock.Now()
	if box == navette.BoxInbox {
		recs = slices.DeleteFunc(recs, func(d *navette.DepositRecord) bool { return Expired(d, now) })
	}
	views, err := s.listViews(ctx, recs, box == navette.BoxSent, now)
	if err != nil {
		return nil, "", err
	}
	return views, next, nil
}

// listViews returns the views of recs, a page of a box (sent or not), as
// they stand at now.
func (s *Service) listViews(ctx context.Context, recs []*navette.DepositRecord, sent bool, now time.Time) ([]*View, error) {
	pg, err := s.readPage(ctx, recs)
	if err != nil {
		return nil, err
	}
	views := make([]*View, 0, len(recs))
	for _, d := range recs {
		if d.State == navette.DepositAvailable && Expired(d, now) {
			d.State = navette.DepositExpired
		}
		v, err := s.viewIn(ctx, d, pg.files[d.ID], pg)
		if err != nil {
			return nil, err
		}
		v.Sending = sent
		views = append(views, v)
	}
	return views, nil
}

// Submit makes a draft available to its recipients once every file is
// stored and has passed its content checks; a deposit whose files are still
// checking becomes checking, and available with their last verdict.
// Returns ECONFLICT if it is not a draft, has no file, a file is still
// uploading, or a file was rejected (naming it and why); EINVALID if it is
// sent on behalf of a service mailbox actor may no longer send for.
func (s *Service) Submit(ctx context.Context, actor *navette.User, id string) (*View, error) {
	d, err := s.lookupSent(ctx, actor, id, "Only the sender may submit a deposit.")
	if err != nil {
		return nil, err
	}
	if d.State == navette.DepositDraft {
		if err := s.stillFromSpace(ctx, actor, d); err != nil {
			return nil, err
		}
		if _, err := s.joinCase(ctx, actor, d); err != nil {
			return nil, err
		}
	}
	if err := s.completeWritten(ctx, id); err != nil {
		return nil, err
	}
	err = s.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		return s.submitDraft(ctx, actor, d, files)
	})
	if err != nil {
		return nil, err
	}
	s.kick()
	return s.Get(ctx, actor, id)
}

// completeWritten marks stored the files of deposit id whose last write
// finished but were not yet marked stored (a crash between the two).
func (s *Service) completeWritten(ctx context.Context, id string) error {
	files, err := s.Meta.Files(ctx, id)
	if err != nil {
		return err
	}
	for _, f := range files {
		if written(f) {
			if err := s.completeStored(ctx, f.ID, false); err != nil {
				return err
			}
		}
	}
	return nil
}

// submitDraft submits d, a draft of actor with the given files: checking
// while a file is, else available. Returns the events that say so, or
// ECONFLICT if d is not a draft or its files are not ready.
func (s *Service) submitDraft(ctx context.Context, actor *navette.User, d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
	if d.State != navette.DepositDraft {
		return nil, navette.Errorf(navette.ECONFLICT, "Only a draft can be submitted; this deposit is %s.", d.State)
	}
	checking, err := s.submittable(d, files)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	d.SubmittedAt = now
	evs := []navette.Event{{Time: now, Type: navette.EventDepositSubmitted, ActorID: actor.ID, DepositID: d.ID}}
	if checking {
		// Offered with its last file's verdict (decide).
		d.State = navette.DepositChecking
		return s.withClaims(ctx, d, files, actor, nil, evs)
	}
	available, err := s.makeAvailable(ctx, d, files, actor, now)
	if err != nil {
		return nil, err
	}
	return s.withClaims(ctx, d, files, actor, nil, append(evs, available))
}

// submittable reports whether a file of d is still checking. Returns
// ECONFLICT if a file is uploading or was rejected, or d has no file.
func (s *Service) submittable(d *navette.DepositRecord, files []*navette.FileRecord) (checking bool, err error) {
	live := 0
	for _, f := range files {
		switch f.State {
		case navette.FileUploading:
			return false, navette.Errorf(navette.ECONFLICT, "A file is still uploading (%d of %d bytes received).", f.Offset, f.Size)
		case navette.FileRejected:
			return false, s.rejectedError(d, f)
		case navette.FileChecking:
			checking = true
			live++
		case navette.FileStored:
			live++
		}
	}
	if live == 0 {
		return false, navette.Errorf(navette.ECONFLICT, "A deposit needs at least one file.")
	}
	return checking, nil
}

// makeAvailable offers d, whose files have all passed their checks, to its
// recipients from now, and returns the event that says so, carrying each
// recipient's notice: one never goes without the other.
func (s *Service) makeAvailable(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, sender *navette.User, now time.Time) (navette.Event, error) {
	for _, f := range files {
		if f.State == navette.FileStored {
			f.State = navette.FileAvailable
		}
	}
	d.State = navette.DepositAvailable
	d.AvailableAt = now
	d.ExpiresAt = now.Add(time.Duration(d.RetentionDays) * 24 * time.Hour)
	available := navette.Event{Time: now, Type: navette.EventDepositAvailable, DepositID: d.ID, Detail: d.ExpiresAt.Format(time.RFC3339)}
	nd, err := s.senderNoticeData(ctx, d, files, sender)
	if err != nil {
		return available, err
	}
	available.Notices, err = s.recipientNotices(navette.NoticeDeposit, d, now, nd)
	return available, err
}

// recipientNotices returns a notice of kind with nd, about d, for each
// recipient of d whose access is not revoked (struck off the directory,
// revoked by an admin): they cannot sign in, and the worker refuses to
// mail them, which made each such notice a dead letter.
func (s *Service) recipientNotices(kind navette.NoticeKind, d *navette.DepositRecord, now time.Time, nd *notify.Data) ([]navette.Notice, error) {
	var out []navette.Notice
	for _, r := range d.Recipients {
		if r.Disabled {
			continue // revoked: cannot sign in, and the notice would be a dead letter
		}
		n, err := notify.NewNotice(s.Keys, kind, r.UserID, d.ID, now, nd)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// Revoke withdraws a deposit without giving a reason (see RevokeWithReason).
func (s *Service) Revoke(ctx context.Context, actor *navette.User, id string) error {
	return s.RevokeWithReason(ctx, actor, id, "")
}

// RevokeWithReason withdraws a deposit: recipients get EGONE at once and
// the sweeper purges it. The recipients it was offered to are told by a
// notice, with reason if not empty: one line of printable text of at most
// MaxReasonLen bytes, kept only sealed in the notices. Only the sender may
// revoke. Returns EINVALID for a bad reason, EGONE if it already ended.
func (s *Service) RevokeWithReason(ctx context.Context, actor *navette.User, id, reason string) error {
	reason = strings.TrimSpace(reason)
	if len(reason) > MaxReasonLen || !printable(reason, false) {
		return navette.Errorf(navette.EINVALID, "The reason must be one line of printable text of at most %d bytes.", MaxReasonLen)
	}
	if _, err := s.lookupSent(ctx, actor, id, "Only the sender may withdraw a deposit."); err != nil {
		return err
	}
	err := s.Meta.UpdateDeposit(ctx, id, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		now := s.Clock.Now()
		if Expired(d, now) {
			return nil, gone(d)
		}
		ev := navette.Event{Time: now, Type: navette.EventDepositRevoked, ActorID: actor.ID, DepositID: d.ID}
		if d.State == navette.DepositAvailable {
			var err error
			if ev.Notices, err = s.withdrawnNotices(ctx, d, files, actor, reason, now); err != nil {
				return nil, err
			}
		}
		d.State = navette.DepositRevoked
		d.RevokedAt = now
		return s.withClaims(ctx, d, files, actor, nil, []navette.Event{ev})
	})
	if err == nil {
		s.kick()
	}
	return err
}

// withdrawnNotices returns the notices that tell each recipient of d, an
// available deposit, that its sender withdrew it, and why.
func (s *Service) withdrawnNotices(ctx context.Context, d *navette.DepositRecord, files []*navette.FileRecord, sender *navette.User, reason string, now time.Time) ([]navette.Notice, error) {
	nd, err := s.senderNoticeData(ctx, d, files, sender)
	if err != nil {
		return nil, err
	}
	nd.FileNames, nd.Message, nd.Reason = nil, "", reason
	return s.recipientNotices(navette.NoticeWithdrawn, d, now, nd)
}

// printable reports whether s is valid UTF-8 without control characters
// (newlines and tabs allowed when multiline).
func printable(s string, multiline bool) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if multiline && lineSpace(r) {
			continue
		}
		if forbidden(r) {
			return false
		}
	}
	return true
}

// lineSpace reports whether r is a newline, carriage return or tab, which
// a multiline text may hold.
func lineSpace(r rune) bool {
	return r == '\n' || r == '\t' || r == '\r'
}

// forbidden reports whether r may not appear in a printable text: a
// control character, a line or paragraph separator, or a bidirectional
// control.
func forbidden(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || unicode.Is(unicode.Bidi_Control, r)
}

// CleanFileName returns the name a file is kept under: the last element of
// what the client sent (browsers and tools may send paths), checked to be
// printable UTF-8 of at most MaxNameLen bytes. Storage paths never derive
// from it. Returns EINVALID for an unusable name.
func CleanFileName(name string) (string, error) {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(name)
	if name == "" || name == "." || name == ".." || len(name) > MaxNameLen || !printable(name, false) {
		return "", navette.Errorf(navette.EINVALID, "A file name must be 1 to %d printable characters.", MaxNameLen)
	}
	return name, nil
}
