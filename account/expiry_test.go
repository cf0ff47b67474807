package account_test

import (
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/keyring"
	"navette/notify"
)

// withKeys gives f's service keys to seal notices with, and returns them.
func (f *twoPerson) withKeys() navette.KeyWrapper {
	f.t.Helper()
	keys, err := keyring.Open(filepath.Join(f.t.TempDir(), "keys"))
	if err != nil {
		f.t.Fatal(err)
	}
	f.s.Keys = keys
	return keys
}

// ask returns the request by the court admin ca to add u to the court's
// mailbox, for reason.
func (f *twoPerson) ask(u *navette.User, reason string) *navette.AdminRequest {
	f.t.Helper()
	r, err := f.s.RequestAddMember(f.ctx, f.ca, f.svc.ID, u.ID, reason)
	if err != nil {
		f.t.Fatal(err)
	}
	return r
}

// noticesOf returns the notices of kind queued to u.
func (f *twoPerson) noticesOf(u *navette.User, kind navette.NoticeKind) []*navette.Notice {
	f.t.Helper()
	ns, err := f.meta.Notices(f.ctx, navette.NoticeFilter{UserID: u.ID})
	if err != nil {
		f.t.Fatal(err)
	}
	var out []*navette.Notice
	for _, n := range ns {
		if n.Kind == kind {
			out = append(out, n)
		}
	}
	return out
}

// TestRequestsExpireAtTheirTime: a pending request nobody reviewed is
// expired by the sweep once its time has come, not before, and not only
// when someone touches it: the store says expired, the journal has one
// request.expired with no actor, and its requester, only them, is told
// (request_expired, naming the action, the person and the mailbox). A
// second sweep, and a request reviewed in time, change nothing.
func TestRequestsExpireAtTheirTime(t *testing.T) {
	f := newTwoPerson(t)
	keys := f.withKeys()
	r, done := f.ask(f.clerk, "renfort"), f.ask(f.ca, "permanence")
	if _, err := f.s.Approve(f.ctx, f.ca2, done.ID, done.ParamsHash); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(navette.DefaultRequestTTL - time.Second)
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 0 {
		t.Fatalf("a sweep before the expiry: %d, %v; want 0", n, err)
	}
	f.clock.Advance(time.Second)
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 1 {
		t.Fatalf("a sweep at the expiry: %d, %v; want 1", n, err)
	}
	rs := f.meta.(navette.RequestStore)
	if got, err := rs.Request(f.ctx, r.ID); err != nil || got.State != navette.RequestExpired {
		t.Errorf("the stored request: %+v, %v; want expired", got, err)
	}
	if got, err := rs.Request(f.ctx, done.ID); err != nil || got.State != navette.RequestExecuted {
		t.Errorf("the request reviewed in time: %+v, %v; want executed", got, err)
	}
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 0 {
		t.Errorf("a second sweep: %d, %v; want 0", n, err)
	}
	_, expired := f.journal(r.ID, navette.EventRequestExpired)
	if len(expired) != 1 || expired[0].ActorID != "" || expired[0].Detail != r.ID+" member.add" {
		t.Errorf("request.expired events: %+v, want one, by nobody", expired)
	}
	ns := f.noticesOf(f.ca, navette.NoticeRequestExpired)
	if len(ns) != 1 {
		t.Fatalf("the requester got %d request_expired notices, want 1", len(ns))
	}
	d, err := notify.Open(keys, ns[0])
	if err != nil || d.Request == nil || d.Request.ID != r.ID || d.Request.Action != string(navette.ActionAddMember) ||
		d.Request.Subject.Email != f.clerk.Email || d.Request.Mailbox.Email != f.svc.Email || !d.Request.At.Equal(r.ExpiresAt) || d.Reason != "renfort" {
		t.Errorf("request_expired data %+v, %v", d, err)
	}
	for _, u := range []*navette.User{f.ca2, f.admin, f.admin2, f.clerk} {
		if got := f.noticesOf(u, navette.NoticeRequestExpired); len(got) != 0 {
			t.Errorf("%s was told of the expiry", u.Email)
		}
	}
}

// TestRequestExpiredWhenTouched: a request a reviewer reaches past its
// expiry, before any sweep, is refused (EGONE), marked expired, journaled
// once as found by that reviewer, and its requester told once; the sweep
// after finds nothing to do.
func TestRequestExpiredWhenTouched(t *testing.T) {
	f := newTwoPerson(t)
	f.withKeys()
	r := f.ask(f.clerk, "renfort")
	f.clock.Advance(navette.DefaultRequestTTL)
	if _, err := f.s.Approve(f.ctx, f.ca2, r.ID, r.ParamsHash); !navette.IsCode(err, navette.EGONE) {
		t.Fatalf("approving past the expiry: %v, want EGONE", err)
	}
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 0 {
		t.Errorf("the sweep after: %d, %v; want 0", n, err)
	}
	_, expired := f.journal(r.ID, navette.EventRequestExpired)
	if len(expired) != 1 || expired[0].ActorID != f.ca2.ID {
		t.Errorf("request.expired events: %+v, want one, by the reviewer", expired)
	}
	if got := f.noticesOf(f.ca, navette.NoticeRequestExpired); len(got) != 1 {
		t.Errorf("the requester got %d request_expired notices, want 1", len(got))
	}
}

// TestRequestsExpireOnce: two sweeps at once (two nodes on one store)
// expire a request once, with one event and one notice. On SQLite and on
// PostgreSQL, where the sweeps also take turns (Exclusive).
func TestRequestsExpireOnce(t *testing.T) { onBothStores(t, testRequestsExpireOnce) }

func testRequestsExpireOnce(t *testing.T, f *twoPerson) {
	f.withKeys()
	r := f.ask(f.clerk, "renfort")
	f.clock.Advance(navette.DefaultRequestTTL)
	other := &account.Service{Meta: f.meta, Clock: f.clock, Keys: f.s.Keys}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i, s := range []*account.Service{f.s, other} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n, err := s.ExpireRequests(f.ctx)
			if err != nil {
				t.Error(err)
			}
			counts[i] = n
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != 1 {
		t.Errorf("the two sweeps expired %v, want 1 in all", counts)
	}
	if _, expired := f.journal(r.ID, navette.EventRequestExpired); len(expired) != 1 {
		t.Errorf("%d request.expired events, want 1", len(expired))
	}
	if got := f.noticesOf(f.ca, navette.NoticeRequestExpired); len(got) != 1 {
		t.Errorf("the requester got %d request_expired notices, want 1", len(got))
	}
}

// TestNoOutcomeMailToRevokedRequester: a court admin whose access was
// withdrawn after they asked is mailed neither the expiry of one request,
// nor the failure of another approved since, nor the refusal of a third:
// they cannot sign in, and the worker would refuse each mail, a dead
// letter for the admins. The journal still says what happened to each.
func TestNoOutcomeMailToRevokedRequester(t *testing.T) {
	f := newTwoPerson(t)
	f.withKeys()
	expiring, failing := f.ask(f.clerk, "renfort"), f.ask(f.ca, "permanence")
	f.clock.Advance(time.Hour)
	refused := f.ask(f.ca2, "intérim")
	if err := f.meta.UpdateUser(f.ctx, f.ca.ID, func(u *navette.User) ([]navette.Event, error) {
		u.Disabled, u.RevokedAt = true, f.clock.Now()
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.Approve(f.ctx, f.ca2, failing.ID, failing.ParamsHash); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("approving the request of an admin who lost their access: %v, want EFORBIDDEN", err)
	}
	if _, err := f.s.Reject(f.ctx, f.ca2, refused.ID); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(navette.DefaultRequestTTL - time.Hour)
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 1 {
		t.Fatalf("the sweep: %d, %v; want 1 expired", n, err)
	}
	for _, tc := range []struct {
		r   *navette.AdminRequest
		typ navette.EventType
	}{{expiring, navette.EventRequestExpired}, {failing, navette.EventRequestFailed}, {refused, navette.EventRequestRejected}} {
		if linked, _ := f.journal(tc.r.ID, tc.typ); !slices.ContainsFunc(linked, func(e navette.Event) bool { return e.Type == tc.typ }) {
			t.Errorf("no %s event for request %s", tc.typ, tc.r.ID)
		}
	}
	ns, err := f.meta.Notices(f.ctx, navette.NoticeFilter{UserID: f.ca.ID})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range ns {
		t.Errorf("a %s notice was queued for a requester who lost their access", n.Kind)
	}
}

// TestApprovedDirectoryRequestExpires: an approved directory request its
// requester did not use before its expiry reads as expired, not approved;
// the sweep marks it so once, journals it and tells its requester, naming
// who had approved it; using it then is refused as expired (EGONE). One
// used late before any sweep is marked expired by that use, told once.
func TestApprovedDirectoryRequestExpires(t *testing.T) {
	f := newTwoPerson(t)
	keys := f.withKeys()
	sum := strings.Repeat("ab", 32)
	approved := func() *navette.AdminRequest {
		t.Helper()
		r, err := f.s.RequestForceDirectory(f.ctx, f.admin, "avocats", sum, "radiations du bâtonnier")
		if err != nil {
			t.Fatal(err)
		}
		if r, err = f.s.Approve(f.ctx, f.admin2, r.ID, r.ParamsHash); err != nil || r.State != navette.RequestApproved {
			t.Fatalf("Approve = %+v, %v; want approved, waiting to be used", r, err)
		}
		return r
	}
	swept, late := approved(), approved()
	f.clock.Advance(navette.DefaultRequestTTL)
	if got, err := f.s.Request(f.ctx, f.admin, swept.ID); err != nil || got.State != navette.RequestExpired {
		t.Errorf("past its expiry, the request reads as %+v, %v; want expired", got, err)
	}
	if err := f.s.ClaimForceDirectory(f.ctx, f.admin, late.ID, "avocats", sum); !navette.IsCode(err, navette.EGONE) {
		t.Errorf("using it late: %v, want EGONE", err)
	}
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 1 {
		t.Errorf("the sweep: %d, %v; want the unused request expired", n, err)
	}
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 0 {
		t.Errorf("a second sweep: %d, %v; want 0", n, err)
	}
	if err := f.s.ClaimForceDirectory(f.ctx, f.admin, swept.ID, "avocats", sum); !navette.IsCode(err, navette.EGONE) {
		t.Errorf("using it after the sweep: %v, want EGONE", err)
	}
	rs := f.meta.(navette.RequestStore)
	for _, r := range []*navette.AdminRequest{swept, late} {
		if got, err := rs.Request(f.ctx, r.ID); err != nil || got.State != navette.RequestExpired {
			t.Errorf("the stored request: %+v, %v; want expired", got, err)
		}
		if linked, _ := f.journal(r.ID, navette.EventRequestExpired); len(linked) != 3 || linked[2].Type != navette.EventRequestExpired {
			t.Errorf("request %s's journal: %+v; want created, approved, expired", r.ID, linked)
		}
	}
	ns := f.noticesOf(f.admin, navette.NoticeRequestExpired)
	if len(ns) != 2 {
		t.Fatalf("the requester got %d request_expired notices, want 2", len(ns))
	}
	d, err := notify.Open(keys, ns[0])
	if err != nil || d.Request == nil || !d.Request.ToUse || d.Request.Reviewer.Email != f.admin2.Email {
		t.Fatalf("request_expired data %+v, %v; want it to say who approved the request not used", d, err)
	}
	r, err := notify.NewRenderer("https://navette.justice.example/", notify.Address{Email: "noreply@justice.example"}, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Render(ns[0], f.admin, d)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(m.Text, "ne l’avez pas utilisée") || !strings.Contains(m.HTML, f.admin2.Email) {
		t.Errorf("the mail does not say the approved request was not used:\n%s", m.Text)
	}
}

// TestExpirySweepPastStuckApproved: the sweep of approved directory
// requests reaches one that expired behind more than a page of approved
// requests of other actions that it does not expire (approved, never
// executed: their node stopped between the approval and the execution,
// written here through the store as that node left them), newer and so
// read first; the same sweep then marks those failed (failInterrupted).
func TestExpirySweepPastStuckApproved(t *testing.T) {
	f := newTwoPerson(t)
	f.withKeys()
	sum := strings.Repeat("cd", 32)
	dir, err := f.s.RequestForceDirectory(f.ctx, f.admin, "avocats", sum, "radiations du bâtonnier")
	if err != nil {
		t.Fatal(err)
	}
	if dir, err = f.s.Approve(f.ctx, f.admin2, dir.ID, dir.ParamsHash); err != nil || dir.State != navette.RequestApproved {
		t.Fatalf("Approve = %+v, %v", dir, err)
	}
	rs := f.meta.(navette.RequestStore)
	for i := range 101 {
		f.clock.Advance(time.Millisecond)
		p, h, err := navette.CanonicalParams(navette.MemberParams{ServiceID: f.svc.ID, UserID: f.clerk.ID})
		if err != nil {
			t.Fatal(err)
		}
		now := f.clock.Now()
		r := &navette.AdminRequest{ID: navette.NewID(), RequesterID: f.ca.ID, Action: navette.ActionAddMember, Params: p, ParamsHash: h,
			CourtID: f.svc.CourtID, CreatedAt: now, ExpiresAt: dir.ExpiresAt.Add(-time.Duration(i+1) * time.Millisecond),
			State: navette.RequestApproved, ReviewerID: f.ca2.ID, ReviewedAt: now}
		if err := rs.CreateRequest(f.ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(dir.ExpiresAt.Sub(f.clock.Now()))
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 102 {
		t.Errorf("the sweep: %d, %v; want the unused directory request expired and the 101 interrupted ones failed", n, err)
	}
	if got, err := rs.Request(f.ctx, dir.ID); err != nil || got.State != navette.RequestExpired {
		t.Errorf("the directory request after the sweep: %+v, %v; want expired", got, err)
	}
}
