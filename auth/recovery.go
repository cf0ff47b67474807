package auth

import (
	"context"
	"crypto/rand"
	"math/big"
	"strconv"
	"strings"
	"time"

	"navette"
	"navette/account"
	"navette/notify"
)

// Recovery codes and requests.
const (
	// RecoveryCodeCount is how many recovery codes a person gets at once.
	RecoveryCodeCount = 10
	// RecoveryMethod is the sign-in method of a session whose second
	// factor was a recovery code.
	RecoveryMethod = "code+recovery"
	// recoveryAlphabet has no letters easily confused (i, l, o) nor 0, 1.
	recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"
	recoveryLen      = 12 // characters of a code: about 59 bits
	// RecoveryPendingTTL is how long a request waits for an admin,
	// RecoveryApprovalTTL how long an approval lets the person enrol.
	RecoveryPendingTTL  = 7 * 24 * time.Hour
	RecoveryApprovalTTL = 24 * time.Hour
	// RecoveryPerDay is how many requests one address may make a day;
	// more get the usual answer and nothing else.
	RecoveryPerDay = 3
)

// RecoveryAvailable reports whether recovery codes and requests are
// available: the store keeps them.
func (s *Service) RecoveryAvailable() bool {
	_, ok := s.Meta.(navette.RecoveryStore)
	return ok
}

func (s *Service) recoveryStore() (navette.RecoveryStore, error) {
	rs, ok := s.Meta.(navette.RecoveryStore)
	if !ok {
		return nil, navette.Errorf(navette.EUNAVAILABLE, "Recovery is not available on this platform.")
	}
	return rs, nil
}

// recoveryMessage is what the stored digest of a recovery code is made of:
// bound to its user, so that a digest copied to another row matches
// nothing.
func recoveryMessage(userID, code string) []byte {
	return []byte("navette recovery code v1\x00" + userID + "\x00" + code)
}

// newRecoveryCode returns recoveryLen characters of recoveryAlphabet,
// uniformly drawn.
func newRecoveryCode() string {
	b := make([]byte, recoveryLen)
	max := big.NewInt(int64(len(recoveryAlphabet)))
	for i := range b {
		n, err := rand.Int(rand.Reader, max)
		if err != nil {
			panic(err)
		}
		b[i] = recoveryAlphabet[n.Int64()]
	}
	return string(b)
}

// FormatRecoveryCode groups a code's characters by four, as pages show it.
func FormatRecoveryCode(code string) string {
	if len(code) != recoveryLen {
		return code
	}
	return code[:4] + "-" + code[4:8] + "-" + code[8:]
}

// NormalizeRecoveryCode returns the code a person typed, in lower case
// without spaces or dashes, or "" if it cannot be a recovery code.
func NormalizeRecoveryCode(code string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(code) {
		switch {
		case r == ' ' || r == '-':
		case strings.ContainsRune(recoveryAlphabet, r):
			b.WriteRune(r)
		default:
			return ""
		}
	}
	if b.Len() != recoveryLen {
		return ""
	}
	return b.String()
}

// makeRecoveryCodes replaces the recovery codes of u with
// RecoveryCodeCount new ones and returns them, formatted: the only time
// they exist in clear. Returns nil if the store keeps no codes.
func (s *Service) makeRecoveryCodes(ctx context.Context, u *navette.User) ([]string, error) {
	rs, ok := s.Meta.(navette.RecoveryStore)
	if !ok {
		return nil, nil
	}
	now := s.Clock.Now()
	out := make([]string, 0, RecoveryCodeCount)
	codes := make([]*navette.RecoveryCode, 0, RecoveryCodeCount)
	for range RecoveryCodeCount {
		code := newRecoveryCode()
		out = append(out, FormatRecoveryCode(code))
		codes = append(codes, &navette.RecoveryCode{ID: navette.NewID(), UserID: u.ID, Hash: s.Codes.Sum(recoveryMessage(u.ID, code)), CreatedAt: now})
	}
	ev := navette.Event{Time: now, Type: navette.EventRecoveryCodesMade, ActorID: u.ID, Detail: strconv.Itoa(len(codes))}
	if err := rs.SetRecoveryCodes(ctx, u.ID, codes, ev); err != nil {
		return nil, err
	}
	return out, nil
}

// RegenerateRecoveryCodes replaces the recovery codes of the person of a
// full session with new ones and returns them, to show once. Returns
// ESTEPUP if the session is not Fresh.
func (s *Service) RegenerateRecoveryCodes(ctx context.Context, sess *navette.Session, u *navette.User) ([]string, error) {
	if _, err := s.recoveryStore(); err != nil {
		return nil, err
	}
	if sess == nil || sess.Stage != navette.StageFull || sess.UserID != u.ID {
		return nil, navette.Errorf(navette.EFORBIDDEN, "Sign in first.")
	}
	if err := s.RequireFresh(sess); err != nil {
		return nil, err
	}
	return s.makeRecoveryCodes(ctx, u)
}

// RecoveryCodesLeft returns how many unused recovery codes u has.
func (s *Service) RecoveryCodesLeft(ctx context.Context, u *navette.User) (int, error) {
	rs, err := s.recoveryStore()
	if err != nil {
		return 0, nil
	}
	codes, err := rs.RecoveryCodes(ctx, u.ID)
	return len(codes), err
}

// NewRecoveryCodes returns, once, the recovery codes made as the person of
// a full session enrolled their second factor, and forgets them; nil if
// there are none (shown already).
func (s *Service) NewRecoveryCodes(ctx context.Context, sess *navette.Session) ([]string, error) {
	if sess == nil || sess.Stage != navette.StageFull || len(sess.Pending) == 0 {
		return nil, nil
	}
	p, err := s.loadPending(sess)
	if err != nil {
		return nil, err
	}
	codes := p.Codes
	err = s.Meta.UpdateSession(ctx, sess.ID, func(x *navette.Session) ([]navette.Event, error) {
		x.Pending = nil
		return nil, nil
	})
	if err != nil {
		return nil, err
	}
	sess.Pending = nil
	return codes, nil
}

// RecoverySignIn checks a recovery code given instead of the second factor
// of a session at StageSecondFactor and, if it is one of the user's
// unused codes, uses it up and replaces the session with a full one
// (method RecoveryMethod); Issued.RecoveryLeft tells how many codes are
// left. A wrong code counts as a wrong second factor. Returns EFORBIDDEN
// if the session is not at that stage, EUNAUTHORIZED if the code is wrong.
func (s *Service) RecoverySignIn(ctx context.Context, sess *navette.Session, u *navette.User, code string) (*Issued, error) {
	rs, err := s.recoveryStore()
	if err != nil {
		return nil, err
	}
	p, err := s.secondFactorPending(sess, u)
	if err != nil {
		return nil, err
	}
	codes, err := rs.RecoveryCodes(ctx, u.ID)
	if err != nil {
		return nil, err
	}
	match := s.matchRecoveryCode(codes, recoveryMessage(u.ID, NormalizeRecoveryCode(code)))
	if match == "" || NormalizeRecoveryCode(code) == "" {
		return nil, s.wrongRecovery(ctx, sess, p)
	}
	now, left := s.Clock.Now(), 0
	err = rs.UseRecoveryCode(ctx, u.ID, match, func(n int) []navette.Event {
		left = n
		return []navette.Event{s.recoveryCodeUsed(u.ID, n, now)}
	})
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, s.wrongRecovery(ctx, sess, p)
	} else if err != nil {
		return nil, err
	}
	s.queued()
	is, err := s.issue(ctx, u, navette.StageFull, RecoveryMethod, nil, sess)
	if err != nil {
		return nil, err
	}
	is.RecoveryLeft = left
	return is, nil
}

// recoveryCodeUsed returns the event journaling that userID used a
// recovery code at now, left more remaining, with a notice telling them
// if one can be made.
func (s *Service) recoveryCodeUsed(userID string, left int, now time.Time) navette.Event {
	ev := navette.Event{Time: now, Type: navette.EventRecoveryCodeUsed, ActorID: userID, Detail: "left=" + strconv.Itoa(left)}
	if nt, err := notify.NewNotice(s.Keys, navette.NoticeRecoveryCodeUsed, userID, "", now, &notify.Data{}); err == nil {
		ev.Notices = []navette.Notice{nt}
	}
	return ev
}

// matchRecoveryCode returns the id of the code of codes whose digest is
// that of msg, "" if none. Every stored digest is checked, in constant time
// each, whether or not one matched already.
func (s *Service) matchRecoveryCode(codes []*navette.RecoveryCode, msg []byte) string {
	match := ""
	for _, c := range codes {
		if s.Codes.Verify(msg, c.Hash) && match == "" {
			match = c.ID
		}
	}
	return match
}

func (s *Service) wrongRecovery(ctx context.Context, sess *navette.Session, p *pending) error {
	err := s.wrong(ctx, sess, p)
	if navette.IsCode(err, navette.EUNAUTHORIZED) && !s.Ended(ctx, sess) {
		return navette.Errorf(navette.EUNAUTHORIZED, "This recovery code is wrong or was used already.")
	}
	return err
}

func (s *Service) queued() {
	if s.NoticesQueued != nil {
		s.NoticesQueued()
	}
}

// recoveryEvent returns an event of type typ by actor about userID's
// recovery, with a notice of kind to them.
func (s *Service) recoveryEvent(typ navette.EventType, actor, detail string, kind navette.NoticeKind, userID string, now time.Time) (navette.Event, error) {
	return s.recoveryEventData(typ, actor, detail, kind, userID, now, &notify.Data{})
}

// recoveryEventData is recoveryEvent with d as the notice's data.
func (s *Service) recoveryEventData(typ navette.EventType, actor, detail string, kind navette.NoticeKind, userID string, now time.Time, d *notify.Data) (navette.Event, error) {
	ev := navette.Event{Time: now, Type: typ, ActorID: actor, Detail: detail}
	n, err := notify.NewNotice(s.Keys, kind, userID, "", now, d)
	if err != nil {
		return ev, err
	}
	ev.Notices = []navette.Notice{n}
	return ev, nil
}

// RequestRecovery records that the person of email lost their second
// factor and asks for it to be replaced, and tells them by e-mail. The
// answer, and the time it takes, are the same whether or not the address
// is known, may sign in, has a request under way already or spent its
// daily allowance (RecoveryPerDay). Returns EINVALID for a malformed
// address and ETOOMANY if the client address made too many requests.
func (s *Service) RequestRecovery(ctx context.Context, email, ip string) error {
	defer s.answerAfter(ctx, time.Now())
	now := s.Clock.Now()
	email, err := s.admitEmailed("recovery", ip, email, now,
		navette.Errorf(navette.ETOOMANY, "Too many requests from your network: try again in an hour."))
	if err != nil {
		return err
	}
	rs, err := s.recoveryStore()
	if err != nil {
		return err
	}
	u, err := s.codeUser(ctx, email)
	if err != nil || u == nil {
		return err
	}
	if ok, err := s.mayAskRecovery(ctx, rs, u.ID, now); err != nil || !ok {
		return err
	}
	r := &navette.RecoveryRequest{ID: navette.NewID(), UserID: u.ID, State: navette.RecoveryPending, CreatedAt: now, ExpiresAt: now.Add(RecoveryPendingTTL)}
	review, err := s.reviewNotices(ctx, u, r.ID, now)
	if err != nil {
		return err
	}
	ev, err := s.recoveryEventData(navette.EventRecoveryRequested, u.ID, r.ID, navette.NoticeRecoveryRequested, u.ID, now, &notify.Data{NoReviewer: len(review) == 0})
	if err != nil {
		return err
	}
	ev.Notices = append(ev.Notices, review...)
	if err := rs.CreateRecoveryRequest(ctx, r, ev); err != nil {
		return err
	}
	s.queued()
	return nil
}

// reviewNotices returns the notices telling each admin who may decide
// about the recovery request id of u (account.Manages) that it waits; they
// name it, so that the mail worker drops one to an admin who may no longer
// decide it (account.Service.NoticeHolds).
func (s *Service) reviewNotices(ctx context.Context, u *navette.User, id string, now time.Time) ([]navette.Notice, error) {
	f := navette.UserFilter{Roles: []navette.Role{navette.RoleAdmin}, Enabled: true, Limit: 1000}
	admins, err := s.Meta.SearchUsers(ctx, f)
	if err != nil {
		return nil, err
	}
	if u.CourtID != "" {
		f.Roles, f.CourtID = []navette.Role{navette.RoleCourtAdmin}, u.CourtID
		more, err := s.Meta.SearchUsers(ctx, f)
		if err != nil {
			return nil, err
		}
		admins = append(admins, more...)
	}
	d := &notify.Data{Sender: notify.Person{Name: u.Name, Email: u.Email}, Request: &notify.Request{ID: id}}
	var out []navette.Notice
	for _, a := range admins {
		if a.ID == u.ID || a.Disabled || !account.Manages(a, u) {
			continue
		}
		n, err := notify.NewNotice(s.Keys, navette.NoticeRecoveryReview, a.ID, "", now, d)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// mayAskRecovery reports whether userID may make a recovery request at
// now: they made fewer than RecoveryPerDay in the last day and have none
// under way.
func (s *Service) mayAskRecovery(ctx context.Context, rs navette.RecoveryStore, userID string, now time.Time) (bool, error) {
	recent, err := rs.RecoveryRequests(ctx, navette.RecoveryFilter{UserID: userID, Since: now.Add(-24 * time.Hour), Limit: RecoveryPerDay + 1})
	if err != nil || len(recent) >= RecoveryPerDay {
		return false, err
	}
	open, err := s.openRecovery(ctx, rs, userID)
	return err == nil && open == nil, err
}

// openRecovery returns the request of userID that is pending or approved
// and not expired, or nil.
func (s *Service) openRecovery(ctx context.Context, rs navette.RecoveryStore, userID string) (*navette.RecoveryRequest, error) {
	rr, err := rs.RecoveryRequests(ctx, navette.RecoveryFilter{UserID: userID, States: []navette.RecoveryState{navette.RecoveryPending, navette.RecoveryApproved}, Limit: 5})
	if err != nil {
		return nil, err
	}
	now := s.Clock.Now()
	for _, r := range rr {
		if st := r.StateAt(now); st == navette.RecoveryPending || st == navette.RecoveryApproved {
			return r, nil
		}
	}
	return nil, nil
}

// approvedRecovery returns the id of the approved, unexpired recovery
// request of u, or "".
func (s *Service) approvedRecovery(ctx context.Context, u *navette.User) (string, error) {
	rs, ok := s.Meta.(navette.RecoveryStore)
	if !ok {
		return "", nil
	}
	r, err := s.openRecovery(ctx, rs, u.ID)
	if err != nil || r == nil || r.StateAt(s.Clock.Now()) != navette.RecoveryApproved {
		return "", err
	}
	return r.ID, nil
}

// RecoveryRequests returns the recovery requests actor may decide: all for
// a platform admin, those of their court's people for a court admin;
// only the open ones (pending or approved, not expired) if open is set.
// Returns EFORBIDDEN for other roles.
func (s *Service) RecoveryRequests(ctx context.Context, actor *navette.User, userID string, open bool) ([]*navette.RecoveryRequest, error) {
	rs, err := s.recoveryStore()
	if err != nil {
		return nil, err
	}
	f, err := recoveryFilter(actor, userID, open)
	if err != nil {
		return nil, err
	}
	rr, err := rs.RecoveryRequests(ctx, f)
	if err != nil {
		return nil, err
	}
	now, out := s.Clock.Now(), rr[:0]
	for _, r := range rr {
		if st := r.StateAt(now); !open || st == navette.RecoveryPending || st == navette.RecoveryApproved {
			out = append(out, r)
		}
	}
	return out, nil
}

// recoveryFilter returns the filter of the recovery requests of userID
// ("" for all) that actor may decide, only those pending or approved if
// open. Returns EFORBIDDEN unless actor is a platform admin or a court
// admin with a court.
func recoveryFilter(actor *navette.User, userID string, open bool) (navette.RecoveryFilter, error) {
	f := navette.RecoveryFilter{UserID: userID}
	switch {
	case actor.Role == navette.RoleAdmin:
	case actor.Role == navette.RoleCourtAdmin && actor.CourtID != "":
		f.CourtID = actor.CourtID
	default:
		return f, navette.Errorf(navette.EFORBIDDEN, "Only admins see recovery requests.")
	}
	if open {
		f.States = []navette.RecoveryState{navette.RecoveryPending, navette.RecoveryApproved}
	}
	return f, nil
}

// DecideRecovery approves or rejects the pending recovery request id, as
// actor, whose session sess must be Fresh; the person is told by e-mail.
// An approval lets them, within RecoveryApprovalTTL, enrol a new factor
// after an e-mailed code. Returns ESTEPUP if sess is not Fresh, ENOTFOUND
// if there is no such request or actor may not manage its person,
// EFORBIDDEN for actor's own request, ECONFLICT if it is not pending (any
// more).
func (s *Service) DecideRecovery(ctx context.Context, actor *navette.User, sess *navette.Session, id string, approve bool) error {
	rs, err := s.recoveryStore()
	if err != nil {
		return err
	}
	if err := s.RequireFresh(sess); err != nil {
		return err
	}
	if err := s.mayDecide(ctx, rs, actor, id); err != nil {
		return err
	}
	typ, kind, state := navette.EventRecoveryRejected, navette.NoticeRecoveryRejected, navette.RecoveryRejected
	if approve {
		typ, kind, state = navette.EventRecoveryApproved, navette.NoticeRecoveryApproved, navette.RecoveryApproved
	}
	err = rs.UpdateRecoveryRequest(ctx, id, func(x *navette.RecoveryRequest) ([]navette.Event, error) {
		now := s.Clock.Now()
		if x.StateAt(now) != navette.RecoveryPending {
			return nil, navette.Errorf(navette.ECONFLICT, "This recovery request was decided already, or expired.")
		}
		x.State, x.DecidedBy, x.DecidedAt, x.UpdatedAt = state, actor.ID, now, now
		if approve {
			x.ExpiresAt = now.Add(RecoveryApprovalTTL)
		}
		ev, err := s.recoveryEvent(typ, actor.ID, x.ID+" "+x.UserID, kind, x.UserID, now)
		return []navette.Event{ev}, err
	})
	if err != nil {
		return err
	}
	s.queued()
	return nil
}

// mayDecide returns ENOTFOUND unless the recovery request id is there and
// actor manages its person, EFORBIDDEN if it is actor's own.
func (s *Service) mayDecide(ctx context.Context, rs navette.RecoveryStore, actor *navette.User, id string) error {
	notFound := navette.Errorf(navette.ENOTFOUND, "No such recovery request.")
	r, err := rs.RecoveryRequest(ctx, id)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return notFound
	} else if err != nil {
		return err
	}
	target, err := s.Meta.User(ctx, r.UserID)
	if err != nil {
		return err
	}
	if !account.Manages(actor, target) {
		return notFound
	}
	if target.ID == actor.ID {
		return navette.Errorf(navette.EFORBIDDEN, "Another admin must decide about your own recovery request.")
	}
	return nil
}

// completeRecovery closes the approved recovery request c.RequestID of
// u, as u enrolled a new factor (c.TOTP, or the passkey c.KeepPasskey),
// and, in the same transaction, removes u's other factors (TOTP, other
// passkeys, recovery codes) and sessions, with events. Returns
// EFORBIDDEN if the request is no longer approved.
func (s *Service) completeRecovery(ctx context.Context, u *navette.User, c *navette.RecoveryCompletion, events ...navette.Event) error {
	rs, err := s.recoveryStore()
	if err != nil {
		return err
	}
	c.UserID, c.At = u.ID, s.Clock.Now()
	ev, err := s.recoveryEvent(navette.EventRecoveryCompleted, u.ID, c.RequestID, navette.NoticeRecoveryCompleted, u.ID, c.At)
	if err != nil {
		return err
	}
	err = rs.CompleteRecovery(ctx, c, append([]navette.Event{ev}, events...)...)
	if navette.IsCode(err, navette.ECONFLICT) || navette.IsCode(err, navette.ENOTFOUND) {
		return navette.Errorf(navette.EFORBIDDEN, "Your recovery request is no longer approved: ask again.")
	} else if err != nil {
		return err
	}
	s.queued()
	u.TOTP, u.TOTPStep = c.TOTP, c.TOTPStep
	return nil
}

// enrolled ends an enrolment at StageEnrol whose new factor is stored:
// it makes the person's recovery codes and issues the full session, which
// keeps them, sealed, for NewRecoveryCodes to show once.
func (s *Service) enrolled(ctx context.Context, sess *navette.Session, u *navette.User, method string) (*Issued, error) {
	codes, err := s.makeRecoveryCodes(ctx, u)
	if err != nil {
		return nil, err
	}
	is, err := s.issue(ctx, u, navette.StageFull, method, nil, sess)
	if err != nil || len(codes) == 0 {
		return is, err
	}
	if err := s.savePending(ctx, is.Session, &pending{Codes: codes}); err != nil {
		return nil, err
	}
	is.ShowCodes = true
	return is, nil
}

// EndSessions ends every session of the person userID, as actor, who must
// manage them (account.Manages). Returns ENOTFOUND otherwise.
func (s *Service) EndSessions(ctx context.Context, actor *navette.User, userID string) (int, error) {
	target, err := s.Meta.User(ctx, userID)
	if err != nil || !account.Manages(actor, target) {
		return 0, navette.Errorf(navette.ENOTFOUND, "No such user.")
	}
	ev := navette.Event{Time: s.Clock.Now(), Type: navette.EventSignOut, ActorID: actor.ID, Detail: "revoked " + userID}
	return s.Meta.DeleteSessions(ctx, userID, ev)
}
