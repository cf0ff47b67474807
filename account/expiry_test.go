package account_test

import (
	"path/filepath"
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
