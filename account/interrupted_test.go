package account_test

import (
	"strings"
	"testing"
	"time"

	"navette"
	"navette/account"
	"navette/notify"
)

// TestInterruptedRequestFails: an approved request its node did not run
// (the node stopped between the approval and the execution: the store
// holds what the approval wrote) stays approved through RunGrace, so that
// a live node's execution is never raced, then the sweep marks it failed,
// saying so, without running it; journals request.failed by its requester
// ("ID ACTION interrupted") and tells them, naming who approved it. An
// approved directory request, which waits for its requester's use, is
// left as it is.
func TestInterruptedRequestFails(t *testing.T) {
	f := newTwoPerson(t)
	keys := f.withKeys()
	r := f.ask(f.clerk, "renfort")
	rs := f.meta.(navette.RequestStore)
	err := rs.UpdateRequest(f.ctx, r.ID, func(x *navette.AdminRequest) ([]navette.Event, error) {
		x.State, x.ReviewerID, x.ReviewedAt = navette.RequestApproved, f.ca2.ID, f.clock.Now()
		return []navette.Event{{Time: f.clock.Now(), Type: navette.EventRequestApproved, ActorID: f.ca2.ID, Detail: r.ID}}, nil
	})
	f.must(nil, err)
	flow, err := f.s.RequestForceDirectory(f.ctx, f.admin, "ldap", strings.Repeat("ab", 32), "réorganisation")
	f.must(flow, err)
	_, err = f.s.Approve(f.ctx, f.admin2, flow.ID, flow.ParamsHash)
	f.must(nil, err)

	f.clock.Advance(account.RunGrace - time.Second)
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 0 {
		t.Fatalf("a sweep within the grace: %d, %v; want 0", n, err)
	}
	f.clock.Advance(time.Second)
	if n, err := f.s.ExpireRequests(f.ctx); err != nil || n != 1 {
		t.Fatalf("a sweep after the grace: %d, %v; want 1", n, err)
	}
	got, err := rs.Request(f.ctx, r.ID)
	if err != nil || got.State != navette.RequestFailed || got.ExecutedAt.IsZero() || !strings.HasPrefix(got.Error, "This request was approved, but its execution was never recorded") {
		t.Fatalf("the interrupted request: %+v, %v; want failed, saying why", got, err)
	}
	if f.isMember(f.svc, f.clerk) {
		t.Error("the sweep ran the interrupted request")
	}
	if d, err := rs.Request(f.ctx, flow.ID); err != nil || d.State != navette.RequestApproved {
		t.Errorf("the approved directory request: %+v, %v; want approved, waiting for its use", d, err)
	}
	_, failed := f.journal(r.ID, navette.EventRequestFailed)
	if want := r.ID + " member.add interrupted"; len(failed) != 1 || failed[0].ActorID != "" || failed[0].Detail != want {
		t.Errorf("request.failed events: %+v, want one with no actor, %q", failed, want)
	}
	ns := f.noticesOf(f.ca, navette.NoticeRequestFailed)
	if len(ns) != 1 {
		t.Fatalf("the requester got %d request_failed notices, want 1", len(ns))
	}
	d, err := notify.Open(keys, ns[0])
	if err != nil || d.Request.ID != r.ID || d.Request.Error != got.Error || d.Request.Reviewer.Email != f.ca2.Email || !d.Request.Interrupted {
		t.Fatalf("request_failed data %+v, %v", d, err)
	}
	rd, err := notify.NewRenderer("https://navette.justice.example/", notify.Address{Email: "noreply@justice.example"}, false)
	f.must(rd, err)
	for _, c := range []struct{ lang, subject, text string }{
		{navette.LangFrench, "L’exécution de votre demande approuvée n’a pas été enregistrée", "vérifiez si\nle changement a été fait"},
		{navette.LangEnglish, "The execution of your approved request was not recorded", "check whether the change was made"},
	} {
		to := *f.ca
		to.Lang = c.lang
		m, err := rd.Render(ns[0], &to, d)
		f.must(m, err)
		if m.Subject != c.subject || !strings.Contains(m.Text, c.text) || strings.Contains(m.Text, "failed") || strings.Contains(m.Text, "a échoué") {
			t.Errorf("%s: the mail does not say the execution was not recorded: %q\n%s", c.lang, m.Subject, m.Text)
		}
	}
	if _, err := f.s.Approve(f.ctx, f.admin, r.ID, r.ParamsHash); !navette.IsCode(err, navette.ECONFLICT) {
		t.Errorf("approving the failed request: %v, want ECONFLICT", err)
	}
}
