package account

import (
	"context"
	"time"

	"navette"
)

// An approved request of another action than a directory flow runs on
// approval, on the node that approved it; if that node stopped in between,
// the request would stay approved for good. Once RunGrace has passed since
// its approval, the sweep (ExpireRequests) marks it failed, with a reason
// saying so, and its requester is told (request_failed) to check whether
// the change was made and ask again if not. It is not run by the sweep:
// the approval was given for a change made then, by a node that may have
// made it before it stopped (the journal then shows the change, by the
// requester, right after the approval); running it again could make it
// twice, or make it again after an admin undid it, and marking it
// executed could claim a change it did not make. Failed records only what
// is known: its execution did not end.

// RunGrace is how long after its approval a request of another action than
// a directory flow may stay approved before the sweep marks it failed: its
// execution, on the node that approved it, takes a moment; one still
// running after this long is not, and the sweep never races it.
const RunGrace = 10 * time.Minute

// reasonInterrupted is, in the journal (the last word of the
// request.failed event's Detail, where the error's code is otherwise),
// why an approved request its node did not run was marked failed.
const reasonInterrupted = "interrupted"

// errInterrupted is why an approved request its node did not run is
// marked failed.
func errInterrupted() error {
	return navette.Errorf(navette.EUNAVAILABLE, "This request was approved, but its execution was never recorded (the server that approved it stopped, or could not record it), and it will not be run now. Check whether the change was made; if not, make a new request.")
}

// failInterrupted marks failed each approved request of rs, but a
// directory flow's, approved RunGrace or more before now, and returns how
// many it marked.
func (s *Service) failInterrupted(ctx context.Context, rs navette.RequestStore, now time.Time) (int, error) {
	approved, err := rs.Requests(ctx, navette.RequestFilter{State: navette.RequestApproved, Limit: strandedPage})
	if err != nil {
		return 0, err
	}
	n := 0
	for _, r := range approved {
		if !interrupted(r, now) {
			continue
		}
		requester, reviewer := s.userOrNil(ctx, r.RequesterID), s.userOrNil(ctx, r.ReviewerID)
		done, err := s.failAt(ctx, rs, r.ID, requester, reviewer, errInterrupted(), reasonInterrupted, func(x *navette.AdminRequest) bool { return interrupted(x, now) })
		if err != nil {
			return n, err
		}
		if done {
			n++
		}
	}
	return n, nil
}

// interrupted reports whether r is an approved request, run on approval,
// that its node did not run: approved RunGrace or more before now.
func interrupted(r *navette.AdminRequest, now time.Time) bool {
	return r.State == navette.RequestApproved && r.Action != navette.ActionForceDirectory && !now.Before(r.ReviewedAt.Add(RunGrace))
}
