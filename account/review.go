package account

import (
	"bytes"
	"context"
	"time"

	"navette"
	"navette/notify"
)

// Approve approves the request id as reviewer and, but for a directory
// request (which its requester then uses, ClaimForceDirectory), executes
// it at once on its requester's authority, with the parameters approved.
// hash, if not empty, is the SHA-256 of the parameters the reviewer read:
// a request whose parameters differ is refused. Returns the request as it
// ends. Returns ENOTFOUND if there is no such request or reviewer may not
// see it, EFORBIDDEN if reviewer made it or may not review it, ECONFLICT
// if it was reviewed already (a second execution) or its parameters
// changed, EGONE if it expired, and what the action returns.
func (s *Service) Approve(ctx context.Context, reviewer *navette.User, id string, hash []byte) (*navette.AdminRequest, error) {
	rs, err := s.requestStore()
	if err != nil {
		return nil, err
	}
	gone := navette.Errorf(navette.EGONE, "This request expired before it was approved.")
	r, err := s.decide(ctx, rs, id, reviewer, reviewable, gone, func(x *navette.AdminRequest, now time.Time) ([]navette.Event, error) {
		if x.State != navette.RequestPending {
			return nil, navette.Errorf(navette.ECONFLICT, "This request was %s already: a request is reviewed and executed once.", x.State)
		}
		if len(hash) > 0 && !bytes.Equal(hash, x.ParamsHash) {
			return nil, navette.Errorf(navette.ECONFLICT, "This request's parameters are not those you reviewed.")
		}
		x.State, x.ReviewerID, x.ReviewedAt = navette.RequestApproved, reviewer.ID, now
		return s.decided(x, reviewer, named{}, navette.Event{Time: now, Type: navette.EventRequestApproved, ActorID: reviewer.ID, Detail: requestDetail(x)})
	})
	if err != nil {
		return nil, err
	}
	if r.Action == navette.ActionForceDirectory {
		s.queued()
		return r, nil
	}
	return s.execute(ctx, rs, r.ID)
}

// decide records, in one update of the request id, actor's decision on
// it: may (reviewable, withdrawable) refuses an actor who may not decide
// it; a request past its expiry that no sweep expired yet is then marked
// expired instead, its requester told, and the answer is gone (EGONE); otherwise end records the decision and returns
// its events. Returns the request as end left it.
func (s *Service) decide(ctx context.Context, rs navette.RequestStore, id string, actor *navette.User, may func(*navette.User, *navette.AdminRequest) error,
	gone error, end func(x *navette.AdminRequest, now time.Time) ([]navette.Event, error)) (*navette.AdminRequest, error) {
	var (
		r       *navette.AdminRequest
		expired bool
	)
	now := s.Clock.Now()
	nm := s.expiryNames(ctx, rs, id, now)
	err := rs.UpdateRequest(ctx, id, func(x *navette.AdminRequest) ([]navette.Event, error) {
		if err := may(actor, x); err != nil {
			return nil, err
		}
		evs, ok, err := s.expire(x, now, actor.ID, nm)
		if ok || err != nil {
			expired = ok
			return evs, err
		}
		r = x
		return end(x, now)
	})
	if err != nil {
		return nil, err
	}
	if expired {
		s.queued()
		return nil, gone
	}
	return r, nil
}

// visible reports whether u may see r: platform admins every request,
// court admins their court's and their own.
func visible(u *navette.User, r *navette.AdminRequest) bool {
	return u != nil && (u.Role == navette.RoleAdmin || u.ID == r.RequesterID ||
		(u.Role == navette.RoleCourtAdmin && r.CourtID != "" && u.CourtID == r.CourtID))
}

// reviewable returns nil if reviewer may review r: never its requester,
// nor the person it acts on (an admin whose colleague asked to give them
// access would otherwise approve it for themself), and only someone whose
// role reviews such requests (mayReview).
func reviewable(reviewer *navette.User, r *navette.AdminRequest) error {
	switch {
	case !visible(reviewer, r):
		return navette.Errorf(navette.ENOTFOUND, "No such request.")
	case reviewer.ID == r.RequesterID:
		return navette.Errorf(navette.EFORBIDDEN, "You cannot review your own request: another administrator must.")
	case reviewer.ID == actsOn(r):
		return navette.Errorf(navette.EFORBIDDEN, "You cannot review a request that gives you access: another administrator must.")
	case !mayReview(reviewer, r):
		return navette.Errorf(navette.EFORBIDDEN, "Only a platform administrator may review this request.")
	}
	return nil
}

// actsOn returns the id of the person r gives access to (a membership, a
// role, access restored), or "" if it names nobody.
func actsOn(r *navette.AdminRequest) string {
	var p struct {
		UserID string `json:"user_id"`
	}
	if DecodeParams(r, &p) != nil {
		return ""
	}
	return p.UserID
}

// withdrawable returns nil if actor may reject r: its requester, who
// withdraws it, or someone whose role reviews such requests (mayReview).
func withdrawable(actor *navette.User, r *navette.AdminRequest) error {
	switch {
	case !visible(actor, r):
		return navette.Errorf(navette.ENOTFOUND, "No such request.")
	case actor.ID != r.RequesterID && !mayReview(actor, r):
		return navette.Errorf(navette.EFORBIDDEN, "Only a platform administrator may review this request.")
	}
	return nil
}

// execute runs the approved request id on its requester's authority, if
// its parameters still hash to what was approved, and marks it executed.
func (s *Service) execute(ctx context.Context, rs navette.RequestStore, id string) (*navette.AdminRequest, error) {
	r, err := rs.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if r.State != navette.RequestApproved {
		return nil, navette.Errorf(navette.ECONFLICT, "This request was %s already: a request is executed once.", r.State)
	}
	if !paramsIntact(r) {
		err := navette.Errorf(navette.ECONFLICT, "This request's parameters changed after they were approved: it is refused.")
		s.refuseChanged(ctx, rs, r, err)
		return nil, err
	}
	requester, err := s.Meta.User(ctx, r.RequesterID)
	if err != nil {
		return nil, err
	}
	reviewer := s.userOrNil(ctx, r.ReviewerID)
	if requester.Disabled {
		err := navette.Errorf(navette.EFORBIDDEN, "The administrator who made this request has lost their access.")
		s.fail(ctx, rs, r.ID, requester, reviewer, err)
		return nil, err
	}
	if err := s.run(ctx, requester, r); err != nil {
		s.fail(ctx, rs, r.ID, requester, reviewer, err)
		return nil, err
	}
	now := s.Clock.Now()
	notices, err := s.executedNotices(ctx, r, requester, reviewer, now)
	if err != nil {
		s.log().ErrorContext(ctx, "account: the notices of an executed request cannot be made: none is sent", "request", id, "err", err)
	}
	err = rs.UpdateRequest(ctx, id, func(x *navette.AdminRequest) ([]navette.Event, error) {
		if x.State != navette.RequestApproved {
			return nil, navette.Errorf(navette.ECONFLICT, "This request was %s already: a request is executed once.", x.State)
		}
		x.State, x.ExecutedAt = navette.RequestExecuted, now
		r = x
		return []navette.Event{{Time: now, Type: navette.EventRequestExecuted, ActorID: requester.ID, Detail: requestDetail(x), Notices: notices}}, nil
	})
	if err != nil {
		return nil, err
	}
	s.queued()
	return r, nil
}

// decided returns ev, the event of reviewer's decision on x, with the
// notice that tells x's requester, if any (decisionNotices).
func (s *Service) decided(x *navette.AdminRequest, reviewer *navette.User, nm named, ev navette.Event) ([]navette.Event, error) {
	var err error
	if ev.Notices, err = s.decisionNotices(x, reviewer, nm, ev.Time); err != nil {
		return nil, err
	}
	return []navette.Event{ev}, nil
}

// fail marks the approved request id failed with err's public message,
// journals it and tells its requester, naming who approved it (reviewer),
// so that the request does not stay approved with nothing to run it: a
// new request may be made. It is written even if ctx was cancelled
// meanwhile.
func (s *Service) fail(ctx context.Context, rs navette.RequestStore, id string, requester, reviewer *navette.User, cause error) {
	ctx = context.WithoutCancel(ctx)
	approved := func(x *navette.AdminRequest) bool { return x.State == navette.RequestApproved }
	if _, err := s.failAt(ctx, rs, id, requester, reviewer, cause, navette.ErrorCode(cause), approved); err != nil {
		s.log().ErrorContext(ctx, "account: a failed request could not be marked failed", "request", id, "err", err)
	}
}

// failAt marks the request id failed with cause's public message, if
// still reports that it is due to, journals it (request.failed, by its
// requester, or by nobody for code interrupted, Detail "ID ACTION CODE"
// with code) and tells requester,
// naming who approved it (reviewer), and, for code interrupted, that its
// execution was never recorded; and reports whether it did.
func (s *Service) failAt(ctx context.Context, rs navette.RequestStore, id string, requester, reviewer *navette.User, cause error, code string, still func(x *navette.AdminRequest) bool) (bool, error) {
	now := s.Clock.Now()
	msg := navette.ErrorMessage(cause)
	done := false
	err := rs.UpdateRequest(ctx, id, func(x *navette.AdminRequest) ([]navette.Event, error) {
		if !still(x) {
			return nil, nil
		}
		x.State, x.ExecutedAt, x.Error, done = navette.RequestFailed, now, msg, true
		// A failure of the execution is the requester's act (the request
		// runs on their authority); an interrupted one is closed by the
		// sweep, nobody's act.
		actor := x.RequesterID
		if code == reasonInterrupted {
			actor = ""
		}
		ev := navette.Event{Time: now, Type: navette.EventRequestFailed, ActorID: actor, Detail: x.ID + " " + string(x.Action) + " " + code}
		d := &notify.Data{Reason: x.Reason, Request: &notify.Request{ID: x.ID, Action: string(x.Action), Error: msg, Reviewer: personOf(reviewer),
			Interrupted: code == reasonInterrupted}}
		return []navette.Event{ev}, s.tellRequester(&ev, navette.NoticeRequestFailed, x, requester, now, d)
	})
	if err != nil {
		return false, err
	}
	if done {
		s.queued()
	}
	return done, nil
}

// refuseChanged marks the approved request r rejected because its
// parameters no longer hash to what was approved (cause), and tells its
// requester why, naming nobody its changed parameters name.
func (s *Service) refuseChanged(ctx context.Context, rs navette.RequestStore, r *navette.AdminRequest, cause error) {
	nm := named{requester: s.userOrNil(ctx, r.RequesterID)}
	if _, err := s.refuse(ctx, rs, r, navette.RequestApproved, "params_changed", cause, nm); err != nil {
		s.log().ErrorContext(ctx, "account: a changed request could not be marked rejected", "request", r.ID, "err", err)
	}
}

// byRequest is how an approved request's change is made: its execution
// tells the person (executedNotices), and a change that would change
// nothing fails the request, so that nobody is told of it.
var byRequest = change{strict: true}

// run makes the change r asks for, with requester as its actor.
func (s *Service) run(ctx context.Context, requester *navette.User, r *navette.AdminRequest) error {
	switch r.Action {
	case navette.ActionAddMember:
		var p navette.MemberParams
		if err := DecodeParams(r, &p); err != nil {
			return err
		}
		return s.addMember(ctx, requester, p.ServiceID, func() (*navette.User, error) { return s.Meta.User(ctx, p.UserID) }, byRequest)
	case navette.ActionGrantRole:
		var p navette.RoleParams
		if err := DecodeParams(r, &p); err != nil {
			return err
		}
		_, err := s.setRole(ctx, requester, p.UserID, p.Role, byRequest)
		return err
	case navette.ActionRestoreUser:
		var p navette.UserParams
		if err := DecodeParams(r, &p); err != nil {
			return err
		}
		_, err := s.setDisabled(ctx, requester, p.UserID, false, byRequest)
		return err
	case navette.ActionPolicyAssurance, navette.ActionPolicyAntivirus:
		return s.applyPolicy(ctx, requester, r)
	case navette.ActionKeysRotate:
		return s.rotateKey(ctx, requester, r)
	}
	return navette.Errorf(navette.EINVALID, "Requests of action %q are not executed on approval.", r.Action)
}

// Reject rejects the pending request id: a reviewer refuses it, or its
// requester withdraws it. Returns ENOTFOUND if there is no such request or
// actor may not see it, EFORBIDDEN if actor may not review it, ECONFLICT if
// it was reviewed already, EGONE if it expired.
func (s *Service) Reject(ctx context.Context, actor *navette.User, id string) (*navette.AdminRequest, error) {
	rs, err := s.requestStore()
	if err != nil {
		return nil, err
	}
	var nm named
	if r, err := rs.Request(ctx, id); err == nil && r.RequesterID != actor.ID {
		nm = s.namedBy(ctx, r)
	}
	gone := navette.Errorf(navette.EGONE, "This request expired.")
	r, err := s.decide(ctx, rs, id, actor, withdrawable, gone, func(x *navette.AdminRequest, now time.Time) ([]navette.Event, error) {
		if x.State != navette.RequestPending {
			return nil, navette.Errorf(navette.ECONFLICT, "This request was %s already.", x.State)
		}
		x.State, x.ReviewerID, x.ReviewedAt = navette.RequestRejected, actor.ID, now
		return s.decided(x, actor, nm, navette.Event{Time: now, Type: navette.EventRequestRejected, ActorID: actor.ID, Detail: x.ID + " " + string(x.Action)})
	})
	if err != nil {
		return nil, err
	}
	s.queued()
	return r, nil
}

// Request returns the request id, for someone who may see it. Returns
// ENOTFOUND if there is none or actor may not see it.
func (s *Service) Request(ctx context.Context, actor *navette.User, id string) (*navette.AdminRequest, error) {
	rs, err := s.requestStore()
	if err != nil {
		return nil, err
	}
	r, err := rs.Request(ctx, id)
	if err != nil {
		return nil, err
	}
	if !visible(actor, r) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such request.")
	}
	showExpiry(r, s.Clock.Now())
	return r, nil
}
