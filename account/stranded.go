package account

import (
	"context"
	"time"

	"navette"
)

// A request can be stranded before its expiry: nobody may approve it any
// more, or its node stopped before running it (interrupted.go). The node's
// sweep (ExpireRequests) ends both, rather than each place that could
// cause them: it sees every cause at once (an admin's access revoked or
// their role changed by hand, a directory sync that revokes them, moves
// them to another court or changes their role, a node that stopped).
//
// A pending request that nobody may approve any more (every admin who
// could has lost their access, their role or their court since it was
// made) is refused, with no reviewer and that reason: it would otherwise
// wait for nobody until it expired. Its requester is told at once
// (request_rejected) and may ask again once a second admin may approve
// it. It is refused, not expired: it did not wait out its time; nor
// failed: nobody approved it.

// strandedPage bounds the pending and the approved requests one sweep
// looks at for strands: the newest, as there are few of either (a pending
// one beyond them still expires at its time, an approved one is ended by a
// later sweep).
const strandedPage = 500

// reasonNoReviewer is, in the journal (the last word of the
// request.rejected event's Detail), why a request was refused when nobody
// may approve it any more.
const reasonNoReviewer = "no_reviewer"

// errNoReviewer is why a pending request nobody may approve any more is
// refused.
func errNoReviewer() error {
	return navette.Errorf(navette.EFORBIDDEN, "Nobody may approve this request any more: every administrator who could has since lost their access, their role or their court. Make a new request once a second administrator may approve it.")
}

// endStranded ends, at now, the pending requests of rs that nobody may
// approve any more and the approved ones their node did not run, and
// returns how many it ended.
func (s *Service) endStranded(ctx context.Context, rs navette.RequestStore, now time.Time) (int, error) {
	n, err := s.refuseUnreviewable(ctx, rs, now)
	if err != nil {
		return n, err
	}
	k, err := s.failInterrupted(ctx, rs, now)
	return n + k, err
}

// refuseUnreviewable refuses each pending request of rs, not due to expire
// at now, that nobody may approve (approvers), and returns how many it
// refused.
func (s *Service) refuseUnreviewable(ctx context.Context, rs navette.RequestStore, now time.Time) (int, error) {
	pending, err := rs.Requests(ctx, navette.RequestFilter{State: navette.RequestPending, Limit: strandedPage})
	if err != nil {
		return 0, err
	}
	byCourt := map[string][]*navette.User{}
	n := 0
	for _, r := range pending {
		if expires(r, now) {
			continue
		}
		all, ok := byCourt[r.CourtID]
		if !ok {
			if all, err = s.reviewersOf(ctx, r); err != nil {
				return n, err
			}
			byCourt[r.CourtID] = all
		}
		if len(approversAmong(all, r)) > 0 {
			continue
		}
		done, err := s.refuse(ctx, rs, r, navette.RequestPending, reasonNoReviewer, errNoReviewer(), s.namedBy(ctx, r))
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// refuse marks r, if it is still in state from and not due to expire,
// rejected with no reviewer for cause, journals it (request.rejected, no
// actor, Detail "ID ACTION WHY") and tells its requester why, naming what
// nm names; and reports whether it did. The request keeps cause's public message as its Error.
func (s *Service) refuse(ctx context.Context, rs navette.RequestStore, r *navette.AdminRequest, from navette.RequestState, why string, cause error, nm named) (bool, error) {
	now := s.Clock.Now()
	msg := navette.ErrorMessage(cause)
	done := false
	err := rs.UpdateRequest(ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
		if x.State != from || expires(x, now) {
			return nil, nil
		}
		x.State, x.Error, done = navette.RequestRejected, msg, true
		ev := navette.Event{Time: now, Type: navette.EventRequestRejected, Detail: x.ID + " " + string(x.Action) + " " + why}
		d := outcomeData(x, nil, nil, nm, now)
		d.Request.Error = msg
		return []navette.Event{ev}, s.tellRequester(&ev, navette.NoticeRequestRejected, x, nm.requester, now, d)
	})
	if err != nil {
		return false, err
	}
	if done {
		s.queued()
	}
	return done, nil
}

// approversAmong returns those of all who may approve r (reviewable).
func approversAmong(all []*navette.User, r *navette.AdminRequest) []*navette.User {
	var out []*navette.User
	for _, u := range all {
		if reviewable(u, r) == nil {
			out = append(out, u)
		}
	}
	return out
}
