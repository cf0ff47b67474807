package deposit

import (
	"context"
	"time"

	"navette"
	"navette/notify"
	"navette/seal"
)

// Onward is what an agent gives to forward a deposit they received.
type Onward struct {
	Recipients    []string // e-mail addresses of agents or service mailboxes
	Message       string   // the forwarder's own message; the original's is not passed on
	RetentionDays int      // 0: the default
	// IdempotencyKey, if set, makes the forward happen once, as
	// Draft.IdempotencyKey does a creation.
	IdempotencyKey string
}

// Forward passes deposit id, which actor received (in person or as a
// member of a recipient mailbox), on to colleagues or service mailboxes of
// the ministry, without copying any data: the forward is a new deposit,
// available at once, whose files share the sealed blobs of the original's
// available files, each with its data key wrapped anew. It has its own
// recipients, notices, receipts and retention (within the operator's
// ceiling, counted from now), the same reference, sealed anew, and joins
// the original's case. The original's sender is told (NoticeForwarded) and
// the original's journal records it (EventDepositForwarded).
//
// A forward outlives the original: the original's purge or withdrawal
// leaves it whole until its own expiry, the blobs being deleted only when
// their last holder goes. Partners are refused as recipients unless
// ForwardToPartners is set (never in internal mode).
//
// Returns ENOTFOUND as Get does (a deposit actor did not receive is a
// miss), EFORBIDDEN for its sender or anyone but an agent, EINVALID for a
// bad field or recipient, EGONE once the original ended, ECONFLICT if it
// has no available file. With an idempotency key, it is made once (see
// once).
func (s *Service) Forward(ctx context.Context, actor *navette.User, id string, in Onward) (*View, error) {
	key := in.IdempotencyKey
	in.IdempotencyKey = ""
	return onceOn(ctx, s, actor, "forward", id, key, in, s.forward)
}

// forward makes actor's forward in of deposit id as Forward does, holding
// the idempotency key key with the digest of its request if key is set.
func (s *Service) forward(ctx context.Context, actor *navette.User, id string, in Onward, key string, digest []byte) (*View, error) {
	d, err := s.forwardable(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	to, err := s.forwardTargets(ctx, actor, in.Recipients)
	if err != nil {
		return nil, err
	}
	fw, err := s.newForward(ctx, actor, d, to, in, key, digest)
	if err != nil {
		return nil, err
	}
	files, err := s.forwardFiles(ctx, d, fw)
	if err != nil {
		return nil, err
	}
	evs, err := s.forwardEvents(ctx, actor, d, fw, files, to)
	if err != nil {
		return nil, err
	}
	store, ok := s.Meta.(navette.ForwardStore)
	if !ok {
		return nil, navette.Errorf(navette.EINTERNAL, "This storage cannot forward deposits.")
	}
	if err := store.ForwardDeposit(ctx, fw, files, evs...); err != nil {
		return nil, err
	}
	s.kick()
	if err := s.forwardCase(ctx, actor, d, fw.ID); err != nil {
		return nil, err
	}
	return s.Get(ctx, actor, fw.ID)
}

// forwardable returns deposit id if actor may forward it: an agent who
// received it, while it is available.
func (s *Service) forwardable(ctx context.Context, actor *navette.User, id string) (*navette.DepositRecord, error) {
	d, err := s.lookup(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if d.SenderID == actor.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "You sent this deposit: send a new deposit instead of forwarding it.")
	}
	if actor.Role != navette.RoleAgent && actor.Role != navette.RoleCourtAdmin {
		s.deny(ctx, actor, id, "not_agent")
		return nil, navette.Errorf(navette.EFORBIDDEN, "Only ministry agents may forward a deposit.")
	}
	if Expired(d, s.Clock.Now()) || d.Key.IsZero() || d.State != navette.DepositAvailable {
		return nil, gone(d)
	}
	return d, nil
}

// forwardTargets returns the users emails name, each an agent or a service
// mailboxes actor may send to, or a partner if ForwardToPartners allows
// it. Returns EINVALID otherwise.
func (s *Service) forwardTargets(ctx context.Context, actor *navette.User, emails []string) ([]*navette.User, error) {
	lim, err := s.CurrentLimits(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkRecipientCount(len(emails), lim); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []*navette.User
	for _, e := range emails {
		u, err := s.forwardTarget(ctx, actor, e)
		if err != nil {
			return nil, err
		}
		if !seen[u.ID] {
			seen[u.ID] = true
			out = append(out, u)
		}
	}
	return out, nil
}

// forwardTarget returns the user email names if actor may forward to them.
func (s *Service) forwardTarget(ctx context.Context, actor *navette.User, email string) (*navette.User, error) {
	email = navette.NormalizeEmail(email)
	u, err := s.knownUser(ctx, email)
	if err != nil {
		return nil, err
	}
	switch {
	case u.ID == actor.ID:
		return nil, navette.Errorf(navette.EINVALID, "You cannot forward a deposit to yourself.")
	case u.Role == navette.RolePartner && !s.ForwardToPartners: // and never in internal mode (mayReceive)
		return nil, navette.Errorf(navette.EINVALID, "%q is a partner: a deposit is forwarded only within the ministry, to agents and service mailboxes.", email)
	}
	if err := s.mayReceive(actor, u); err != nil {
		return nil, err
	}
	return u, nil
}

// newForward returns the forward of d by actor to to, available from now,
// under d's reference sealed with a key of its own, holding the
// idempotency key key with its request's digest if key is set, not yet
// stored.
func (s *Service) newForward(ctx context.Context, actor *navette.User, d *navette.DepositRecord, to []*navette.User, in Onward, key string, digest []byte) (*navette.DepositRecord, error) {
	_, ref, err := s.openReference(d)
	if err != nil {
		return nil, err
	}
	_, msg, err := checkDraft(Draft{Reference: ref, Message: in.Message})
	if err != nil {
		return nil, err
	}
	days, err := s.forwardRetention(ctx, in.RetentionDays)
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	fw := &navette.DepositRecord{ID: navette.NewID(), SenderID: actor.ID, ForwardedFrom: d.ID, State: navette.DepositDraft,
		RetentionDays: days, CreatedAt: now, SubmittedAt: now, NotifySender: true}
	for _, u := range to {
		fw.Recipients = append(fw.Recipients, navette.Recipient{UserID: u.ID})
	}
	if err := s.sealDraft(fw, ref, msg, key, digest); err != nil {
		return nil, err
	}
	return fw, nil
}

// forwardRetention returns the retention of a forward: days, or the
// default if 0, within the operator's ceiling.
func (s *Service) forwardRetention(ctx context.Context, days int) (int, error) {
	lim, err := s.CurrentLimits(ctx)
	if err != nil {
		return 0, err
	}
	return s.retentionDays(days, lim)
}

// forwardFiles returns the files of the forward fw: one for each available
// file of d, sharing its blob, its data key wrapped anew and its name
// sealed with fw's key. Returns ECONFLICT if d has none.
func (s *Service) forwardFiles(ctx context.Context, d, fw *navette.DepositRecord) ([]*navette.FileRecord, error) {
	orig, err := s.Meta.Files(ctx, d.ID)
	if err != nil {
		return nil, err
	}
	dk, err := s.depositKey(d)
	if err != nil {
		return nil, err
	}
	fk, err := s.depositKey(fw)
	if err != nil {
		return nil, err
	}
	var out []*navette.FileRecord
	for _, f := range orig {
		if f.State != navette.FileAvailable {
			continue
		}
		g, err := s.forwardFile(dk, fk, f, fw)
		if err != nil {
			return nil, err
		}
		// Files come in the order of their creation, then of their ids:
		// a microsecond apart, the forward's keep the original's order.
		g.CreatedAt = g.CreatedAt.Add(time.Duration(len(out)) * time.Microsecond)
		out = append(out, g)
	}
	if len(out) == 0 {
		return nil, navette.Errorf(navette.ECONFLICT, "This deposit has no file left to forward.")
	}
	return out, nil
}

// forwardFile returns the file of fw that shares the blob of f, a file of
// the deposit whose key is dk; fk is fw's key.
func (s *Service) forwardFile(dk, fk *seal.Key, f *navette.FileRecord, fw *navette.DepositRecord) (*navette.FileRecord, error) {
	name, err := dk.OpenValue("filename", f.ID, f.Name)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	raw, err := s.Keys.Unwrap(f.Key, "file:"+f.ID)
	if err != nil {
		return nil, err
	}
	g := &navette.FileRecord{ID: navette.NewID(), DepositID: fw.ID, BlobID: f.Blob(), Size: f.Size, Offset: f.Size,
		State: navette.FileStored, SHA256: f.SHA256, CreatedAt: fw.CreatedAt, StoredAt: fw.CreatedAt,
		Check: f.Check, CheckDetail: f.CheckDetail}
	if g.Key, err = s.Keys.Wrap(raw, "file:"+g.ID); err != nil {
		return nil, err
	}
	g.Name = fk.SealValue("filename", g.ID, name)
	return g, nil
}

// forwardEvents returns the events of the forward fw of d by actor to to:
// its creation, naming d, its files, its submission and availability with
// the recipients' notices, and on d the forward with the notice to d's
// sender unless they lost access since (the worker would refuse it, a
// dead letter for the admins); the claims of the forward's events attached.
func (s *Service) forwardEvents(ctx context.Context, actor *navette.User, d, fw *navette.DepositRecord, files []*navette.FileRecord, to []*navette.User) ([]navette.Event, error) {
	now := fw.CreatedAt
	evs := []navette.Event{{Time: now, Type: navette.EventDepositCreated, ActorID: actor.ID, DepositID: fw.ID, Detail: d.ID}}
	for _, f := range files {
		evs = append(evs, navette.Event{Time: now, Type: navette.EventFileStored, ActorID: actor.ID, DepositID: fw.ID, FileID: f.ID, Size: f.Size, SHA256: f.SHA256})
	}
	evs = append(evs, navette.Event{Time: now, Type: navette.EventDepositSubmitted, ActorID: actor.ID, DepositID: fw.ID})
	available, err := s.makeAvailable(ctx, fw, files, actor, now)
	if err != nil {
		return nil, err
	}
	forwarded := navette.Event{Time: now, Type: navette.EventDepositForwarded, ActorID: actor.ID, DepositID: d.ID, Detail: fw.ID}
	if !d.SenderDisabled {
		told, err := s.forwardedNotice(d, actor, to, now)
		if err != nil {
			return nil, err
		}
		forwarded.Notices = []navette.Notice{told}
	}
	evs = append(evs, available, forwarded)
	return s.withClaims(ctx, fw, files, actor, nil, evs)
}

// forwardedNotice returns the notice that tells d's sender that actor
// forwarded it to to.
func (s *Service) forwardedNotice(d *navette.DepositRecord, actor *navette.User, to []*navette.User, now time.Time) (navette.Notice, error) {
	nd, err := s.noticeData(d, nil, nil)
	if err != nil {
		return navette.Notice{}, err
	}
	nd.Files, nd.FileNames, nd.Message, nd.Unscanned = 0, nil, "", false
	nd.Forwarder = notify.Person{Name: actor.Name, Email: actor.Email}
	for _, u := range to {
		nd.ForwardedTo = append(nd.ForwardedTo, notify.Person{Name: u.Name, Email: u.Email})
	}
	return notify.NewNotice(s.Keys, navette.NoticeForwarded, d.SenderID, d.ID, now, nd)
}

// forwardCase puts the forward fwID of d in d's case, making d join its
// case first if it is in none yet.
func (s *Service) forwardCase(ctx context.Context, actor *navette.User, d *navette.DepositRecord, fwID string) error {
	cs := s.cases()
	if cs == nil {
		return nil
	}
	caseID, err := s.caseOf(ctx, d.ID)
	if err != nil {
		return err
	}
	if caseID == "" {
		if caseID, err = s.joinCase(ctx, nil, d); err != nil || caseID == "" {
			return err
		}
	}
	now := s.Clock.Now()
	_, err = cs.JoinCase(ctx, caseID, fwID, now, caseEvent(actor, fwID, caseID, now))
	return err
}
