package account

import (
	"context"
	"time"

	"navette"
	"navette/notify"
)

// The outcome of a request is told by e-mail, in the transaction that
// records it: its requester learns that it was approved (and ran, or
// waits for them to use it) or refused, and by whom; the person an
// executed request acts on learns what changed about them, by whose
// request and approval, unless they made it. A requester who withdraws
// their own request is not told; one whose request expires is
// (expiry.go); one who lost their access since is told nothing
// (tellRequester).
// No change a request makes is a secret from the person it acts on.

// named are the people and mailbox a request's parameters name, and its
// requester, looked up: nil where it names none, or they cannot be found.
type named struct {
	subject, mailbox, requester, reviewer *navette.User
	role                                  navette.Role
}

// namedBy returns what r's parameters name, its requester and its
// reviewer.
func (s *Service) namedBy(ctx context.Context, r *navette.AdminRequest) named {
	var p struct {
		ServiceID string       `json:"service_id"`
		UserID    string       `json:"user_id"`
		Role      navette.Role `json:"role"`
	}
	nm := named{requester: s.userOrNil(ctx, r.RequesterID), reviewer: s.userOrNil(ctx, r.ReviewerID)}
	if DecodeParams(r, &p) != nil {
		return nm
	}
	nm.subject, nm.mailbox, nm.role = s.userOrNil(ctx, p.UserID), s.userOrNil(ctx, p.ServiceID), p.Role
	return nm
}

// userOrNil returns the user id, or nil if id is empty or they cannot be
// found.
func (s *Service) userOrNil(ctx context.Context, id string) *navette.User {
	if id == "" {
		return nil
	}
	u, err := s.Meta.User(ctx, id)
	if err != nil {
		return nil
	}
	return u
}

// personOf returns u as a message names them; nobody for nil.
func personOf(u *navette.User) notify.Person {
	if u == nil {
		return notify.Person{}
	}
	return notify.Person{Name: u.Name, Email: u.Email}
}

// outcomeData returns what the notices of r's outcome say: its requester,
// reason and reviewer, what it names, and when it ran or was refused.
func outcomeData(r *navette.AdminRequest, requester, reviewer *navette.User, nm named, at time.Time) *notify.Data {
	return &notify.Data{Sender: personOf(requester), Reason: r.Reason, ExpiresAt: r.ExpiresAt, Request: &notify.Request{
		ID: r.ID, Action: string(r.Action), Reviewer: personOf(reviewer), At: at,
		Subject: personOf(nm.subject), Mailbox: personOf(nm.mailbox), Role: string(nm.role),
	}}
}

// personKinds are the notices telling the person a request acts on what
// it changed about them, by action.
var personKinds = map[navette.RequestAction]navette.NoticeKind{
	navette.ActionAddMember:   navette.NoticeMemberAdded,
	navette.ActionGrantRole:   navette.NoticeRoleGranted,
	navette.ActionRestoreUser: navette.NoticeAccessRestored,
}

// executedNotices returns the notices of r's execution at now, approved
// by reviewer: to its requester, that it was approved and ran; to the
// person it acted on, if any and not the requester, what changed.
func (s *Service) executedNotices(ctx context.Context, r *navette.AdminRequest, requester, reviewer *navette.User, now time.Time) ([]navette.Notice, error) {
	if s.Keys == nil {
		return nil, nil
	}
	nm := s.namedBy(ctx, r)
	d := outcomeData(r, requester, reviewer, nm, now)
	n, err := notify.NewNotice(s.Keys, navette.NoticeRequestApproved, requester.ID, "", now, d)
	if err != nil {
		return nil, err
	}
	out := []navette.Notice{n}
	kind, ok := personKinds[r.Action]
	if !ok || nm.subject == nil || nm.subject.ID == requester.ID || nm.subject.Disabled {
		return out, nil
	}
	if kind == navette.NoticeAccessRestored {
		pd := *d
		if pd.Waiting, err = s.waiting(ctx, nm.subject.ID); err != nil {
			return nil, err
		}
		d = &pd
	}
	if n, err = notify.NewNotice(s.Keys, kind, nm.subject.ID, "", now, d); err != nil {
		return nil, err
	}
	return append(out, n), nil
}

// decisionNotices returns the notice telling x's requester of reviewer's
// decision at now, with what x names (nm): refused, or approved and
// waiting for them to use it (a directory flow). None if the requester
// decided it (a withdrawal) or lost their access (tellRequester), or for a
// decision that tells nothing (an approval that runs at once: its
// execution tells).
func (s *Service) decisionNotices(x *navette.AdminRequest, reviewer *navette.User, nm named, now time.Time) ([]navette.Notice, error) {
	if s.Keys == nil || reviewer.ID == x.RequesterID || lostAccess(x, nm.requester) {
		return nil, nil
	}
	d := outcomeData(x, nil, reviewer, nm, now)
	kind := navette.NoticeRequestRejected
	switch {
	case x.State == navette.RequestApproved && x.Action == navette.ActionForceDirectory:
		kind, d.Request.ToUse = navette.NoticeRequestApproved, true
	case x.State != navette.RequestRejected:
		return nil, nil
	}
	n, err := notify.NewNotice(s.Keys, kind, x.RequesterID, "", now, d)
	if err != nil {
		return nil, err
	}
	return []navette.Notice{n}, nil
}

// tell adds to ev the notice of kind to the user to, made at now from d,
// unless the service has no keys to seal notices with (then nobody is
// told, as nothing could be sent).
func (s *Service) tell(ev *navette.Event, kind navette.NoticeKind, to string, now time.Time, d *notify.Data) error {
	if s.Keys == nil {
		return nil
	}
	n, err := notify.NewNotice(s.Keys, kind, to, "", now, d)
	if err != nil {
		return err
	}
	ev.Notices = append(ev.Notices, n)
	return nil
}

// tellRequester adds to ev the notice of kind to x's requester, as tell
// does, unless requester, x's requester as read before (nil: unknown), has
// lost their access since they made it: they can no longer sign in, and
// the worker refuses to mail them (the notice would only become a dead
// letter in the admins' list). What ev journals stays true: the request
// expired or failed whoever is told.
func (s *Service) tellRequester(ev *navette.Event, kind navette.NoticeKind, x *navette.AdminRequest, requester *navette.User, now time.Time, d *notify.Data) error {
	if lostAccess(x, requester) {
		return nil
	}
	return s.tell(ev, kind, x.RequesterID, now, d)
}

// lostAccess reports whether requester, x's requester as read (nil:
// unknown), has lost their access.
func lostAccess(x *navette.AdminRequest, requester *navette.User) bool {
	return requester != nil && requester.ID == x.RequesterID && requester.Disabled
}

// waiting returns the deposits waiting for the user id, whose access is
// restored, if the service can list them (Waiting); none otherwise.
func (s *Service) waiting(ctx context.Context, id string) ([]notify.Waiting, error) {
	if s.Waiting == nil {
		return nil, nil
	}
	return s.Waiting(ctx, id)
}

// queued wakes the mail worker, if set, once notices were written.
func (s *Service) queued() {
	if s.NoticesQueued != nil {
		s.NoticesQueued()
	}
}
