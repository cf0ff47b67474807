package account

import (
	"context"
	"time"

	"navette"
)

// A pending request expires at its time, not when someone next touches
// it: the node's sweep (ExpireRequests) marks it expired, journals it and
// tells its requester (request_expired), who may then ask again. The
// admins who were asked to review it are not told: the notice that asked
// them gave its expiry, and the requests page shows it expired; a mail to
// each of them for a request nobody took up would only add noise. An
// approved directory request that its requester did not use before the
// same expiry (they were told it on approval) expires likewise, by the
// sweep or by their late use of it, which is refused: it can no longer be
// used, and it no longer reads as approved.

// expirePage is how many due requests one read of ExpireRequests takes.
const expirePage = 100

// ExpireRequests marks expired each pending request, and each approved
// directory request not used, past its expiry at the clock's time,
// journals it (request.expired, with no actor) and tells its requester;
// then ends the requests stranded before their time (stranded.go): it
// refuses each pending one nobody may approve any more and marks failed
// each approved one its node did not run. It returns how many requests it
// ended. With several nodes on one store, one sweeps at a time (the
// store's Exclusive), and each change is conditional (the request must
// still be in the state the sweep read), so a request is ended and its
// requester told once. Returns ENOTIMPLEMENTED if the store keeps no
// requests.
func (s *Service) ExpireRequests(ctx context.Context) (int, error) {
	rs, err := s.requestStore()
	if err != nil {
		return 0, err
	}
	n := 0
	sweep := func(ctx context.Context) error {
		var err error
		n, err = s.expireDue(ctx, rs)
		return err
	}
	if ex, ok := s.Meta.(interface {
		Exclusive(context.Context, func(context.Context) error) (bool, error)
	}); ok {
		_, err = ex.Exclusive(ctx, sweep)
	} else {
		err = sweep(ctx)
	}
	if n > 0 {
		s.queued()
	}
	return n, err
}

// expireDue expires the requests of rs due at the clock's time, pending
// then approved, then ends those stranded (endStranded), and returns how
// many it ended.
func (s *Service) expireDue(ctx context.Context, rs navette.RequestStore) (int, error) {
	now := s.Clock.Now()
	n := 0
	for _, f := range []navette.RequestFilter{
		{State: navette.RequestPending},
		{State: navette.RequestApproved, Action: navette.ActionForceDirectory},
	} {
		k, err := s.expireIn(ctx, rs, f, now)
		n += k
		if err != nil {
			return n, err
		}
	}
	k, err := s.endStranded(ctx, rs, now)
	return n + k, err
}

// expireIn expires the requests of rs that f selects and that expire
// (expires) at now, a page at a time, and returns how many it expired.
// It stops at a page it expired none of (another node changed them). f
// selects, of the approved requests, only those of a directory flow: an
// approved request of another action runs at once, or, if its node
// stopped before, is marked failed by failInterrupted; a page of those
// read first would end the sweep before the directory requests behind it.
func (s *Service) expireIn(ctx context.Context, rs navette.RequestStore, f navette.RequestFilter, now time.Time) (int, error) {
	n := 0
	f.ExpiredBy, f.Limit = now, expirePage
	for {
		due, err := rs.Requests(ctx, f)
		if err != nil {
			return n, err
		}
		k := 0
		for _, r := range due {
			done, err := s.expireOne(ctx, rs, r, now)
			if err != nil {
				return n + k, err
			}
			if done {
				k++
			}
		}
		n += k
		if len(due) < expirePage || k == 0 {
			return n, nil
		}
	}
}

// expires reports whether r is due to expire at now: pending, or an
// approved directory request waiting to be used, past its expiry.
func expires(r *navette.AdminRequest, now time.Time) bool {
	waits := r.State == navette.RequestPending || (r.State == navette.RequestApproved && r.Action == navette.ActionForceDirectory)
	return waits && !now.Before(r.ExpiresAt)
}

// expireOne expires r at now if it still expires then (expires), and
// reports whether it did.
func (s *Service) expireOne(ctx context.Context, rs navette.RequestStore, r *navette.AdminRequest, now time.Time) (bool, error) {
	nm := s.namedBy(ctx, r)
	done := false
	err := rs.UpdateRequest(ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
		evs, ok, err := s.expire(x, now, "", nm)
		done = ok
		return evs, err
	})
	return done, err
}

// expire marks x expired, if it expires at now (expires), and returns the
// event that journals it (by actor, the admin who found it expired; "" for
// the sweep) with the notice that tells its requester, naming what x names
// (nm) and, for an approved request not used, who approved it.
func (s *Service) expire(x *navette.AdminRequest, now time.Time, actor string, nm named) ([]navette.Event, bool, error) {
	if !expires(x, now) {
		return nil, false, nil
	}
	d := outcomeData(x, nil, nil, nm, x.ExpiresAt)
	if x.State == navette.RequestApproved {
		d.Request.ToUse, d.Request.Reviewer = true, personOf(nm.reviewer)
	}
	x.State = navette.RequestExpired
	ev := navette.Event{Time: now, Type: navette.EventRequestExpired, ActorID: actor, Detail: x.ID + " " + string(x.Action)}
	if err := s.tellRequester(&ev, navette.NoticeRequestExpired, x, nm.requester, now, d); err != nil {
		return nil, false, err
	}
	return []navette.Event{ev}, true, nil
}

// expiryNames returns what the request id names if it expires at now
// (decide or ClaimForceDirectory then expires it and tells its
// requester); nothing otherwise.
func (s *Service) expiryNames(ctx context.Context, rs navette.RequestStore, id string, now time.Time) named {
	r, err := rs.Request(ctx, id)
	if err != nil || !expires(r, now) {
		return named{}
	}
	return s.namedBy(ctx, r)
}
