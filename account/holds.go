package account

import (
	"context"

	"navette"
	"navette/notify"
)

// NoticeHolds reports, at sending, whether the notice n of data d still
// holds for its addressee to: nil, or, for a notice asking to review an
// admin request (approval_request) or a recovery request
// (recovery_review) that to may no longer review (their role, court or
// access changed since), an error of code EINVALID saying so, which drops
// it as a dead letter; another error if that cannot be told now. The mail
// worker calls it (notify.Worker.Holds) so that the request's details go
// to nobody who may no longer act on them.
func (s *Service) NoticeHolds(ctx context.Context, n *navette.Notice, to *navette.User, d *notify.Data) error {
	switch n.Kind {
	case navette.NoticeApproval:
		return s.mayStillReview(ctx, to, d)
	case navette.NoticeRecoveryReview:
		return s.mayStillDecide(ctx, to, d)
	}
	return nil
}

// mayStillReview returns nil if to may review the admin request d names.
func (s *Service) mayStillReview(ctx context.Context, to *navette.User, d *notify.Data) error {
	rs, err := s.requestStore()
	if err != nil || d.Request == nil {
		return err
	}
	r, err := rs.Request(ctx, d.Request.ID)
	switch {
	case navette.IsCode(err, navette.ENOTFOUND):
		return navette.Errorf(navette.EINVALID, "The request this notice asks to review does not exist.")
	case err != nil:
		return err
	case reviewable(to, r) != nil:
		return navette.Errorf(navette.EINVALID, "The addressee may no longer review this request.")
	}
	return nil
}

// mayStillDecide returns nil if to may decide about the recovery request
// d names (d.Request.ID), or, for a notice that names none (queued before
// they did), about a recovery of the person d.Sender names.
func (s *Service) mayStillDecide(ctx context.Context, to *navette.User, d *notify.Data) error {
	var (
		person *navette.User
		err    error
	)
	if rs, ok := s.Meta.(navette.RecoveryStore); ok && d.Request != nil && d.Request.ID != "" {
		var r *navette.RecoveryRequest
		if r, err = rs.RecoveryRequest(ctx, d.Request.ID); err == nil {
			person, err = s.Meta.User(ctx, r.UserID)
		}
	} else {
		person, err = s.Meta.UserByEmail(ctx, navette.NormalizeEmail(d.Sender.Email))
	}
	switch {
	case navette.IsCode(err, navette.ENOTFOUND):
		return navette.Errorf(navette.EINVALID, "The recovery request this notice asks to decide, or its person, does not exist.")
	case err != nil:
		return err
	case to.ID == person.ID || !Manages(to, person):
		return navette.Errorf(navette.EINVALID, "The addressee may no longer decide this recovery request.")
	}
	return nil
}
