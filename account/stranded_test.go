package account_test

import (
	"strings"
	"testing"
	"time"

	"navette"
	"navette/notify"
)

// TestRequestNobodyMayApproveIsRefused: a pending request whose every
// possible approver has lost that ability since it was made (access
// revoked, demoted, moved to another court, as a directory sync does) is
// refused by the next sweep, well before its expiry, with no reviewer and
// the reason, journaled (request.rejected, no actor, "ID ACTION
// no_reviewer"), and its requester told (request_rejected, with the
// reason); a request someone may still approve stays pending, and a sweep
// before the loss changes nothing.
func TestRequestNobodyMayApproveIsRefused(t *testing.T) {
	for _, c := range []struct {
		name string
		// ask makes the request whose one approver lose takes away.
		ask  func(f *twoPerson) *navette.AdminRequest
		lose func(f *twoPerson)
	}{
		{"platform admin revoked", askRole, func(f *twoPerson) { f.must(f.s.SetDisabled(f.ctx, f.admin, f.admin2.ID, true)) }},
		{"platform admin demoted", askRole, func(f *twoPerson) { f.must(f.s.SetRole(f.ctx, f.admin, f.admin2.ID, navette.RoleAgent)) }},
		{"court admin demoted", askMemberCa, func(f *twoPerson) { f.must(f.s.SetRole(f.ctx, f.admin, f.ca2.ID, navette.RoleAgent)) }},
		{"court admin moved to another court", askMemberCa, func(f *twoPerson) {
			err := f.meta.UpdateUser(f.ctx, f.ca2.ID, func(u *navette.User) ([]navette.Event, error) {
				u.CourtID = f.svcLille.CourtID
				return nil, nil
			})
			f.must(nil, err)
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newTwoPerson(t)
			keys := f.withKeys()
			r := c.ask(f)
			other := f.ask(f.clerk, "renfort")
			if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 0 {
				t.Fatalf("a sweep while an approver remains: %d, %v; want 0", n, err)
			}
			c.lose(f)
			f.clock.Advance(time.Minute)
			if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 1 {
				t.Fatalf("the sweep after the last approver's loss: %d, %v; want 1", n, err)
			}
			rs := f.meta.(navette.RequestStore)
			got, err := rs.Request(f.ctx, r.ID)
			if err != nil || got.State != navette.RequestRejected || got.ReviewerID != "" || !strings.HasPrefix(got.Error, "Nobody may approve this request any more") {
				t.Fatalf("the stranded request: %+v, %v; want rejected by nobody, saying why", got, err)
			}
			if o, err := rs.Request(f.ctx, other.ID); err != nil || o.State != navette.RequestPending {
				t.Errorf("a request others may approve: %+v, %v; want pending", o, err)
			}
			_, rejected := f.journal(r.ID, navette.EventRequestRejected)
			if want := r.ID + " " + string(r.Action) + " no_reviewer"; len(rejected) != 1 || rejected[0].ActorID != "" || rejected[0].Detail != want {
				t.Errorf("request.rejected events: %+v, want one by nobody, %q", rejected, want)
			}
			requester, err := f.meta.User(f.ctx, r.RequesterID)
			if err != nil {
				t.Fatal(err)
			}
			ns := f.noticesOf(requester, navette.NoticeRequestRejected)
			if len(ns) != 1 {
				t.Fatalf("the requester got %d request_rejected notices, want 1", len(ns))
			}
			if d, err := notify.Open(keys, ns[0]); err != nil || d.Request == nil || d.Request.ID != r.ID || d.Request.Error != got.Error || d.Request.Reviewer.Email != "" {
				t.Errorf("request_rejected data %+v, %v", d, err)
			}
			if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 0 {
				t.Errorf("a second sweep: %d, %v; want 0", n, err)
			}
		})
	}
}

// askRole is admin's request to make the clerk an auditor, which only
// admin2 may approve.
func askRole(f *twoPerson) *navette.AdminRequest {
	f.t.Helper()
	_, r, err := f.s.RequestSetRole(f.ctx, f.admin, f.clerk.ID, navette.RoleAuditor, "contrôle")
	f.must(r, err)
	return r
}

// askMemberCa is admin's request to add the court admin ca to the court's
// mailbox, once admin2's access is revoked: only ca2 may approve it.
func askMemberCa(f *twoPerson) *navette.AdminRequest {
	f.t.Helper()
	f.must(f.s.SetDisabled(f.ctx, f.admin, f.admin2.ID, true))
	r, err := f.s.RequestAddMember(f.ctx, f.admin, f.svc.ID, f.ca.ID, "intérim")
	f.must(r, err)
	return r
}
