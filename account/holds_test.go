package account_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"navette"
	"navette/notify"
)

// TestApprovalNoticeToDemotedAdminDropped: an approval_request notice
// queued to a court admin who is then made an agent is not sent, at
// sending, but dead with the reason (notice.dead journaled); those to the
// admins who may still review it are sent.
func TestApprovalNoticeToDemotedAdminDropped(t *testing.T) {
	f := newTwoPerson(t)
	keys := f.withKeys()
	f.ask(f.clerk, "renfort")
	f.must(f.s.SetRole(f.ctx, f.admin, f.ca2.ID, navette.RoleAgent))
	r, err := notify.NewRenderer("https://navette.justice.example", notify.Address{Name: "navette", Email: "noreply@justice.example"}, false)
	f.must(r, err)
	w := &notify.Worker{Meta: f.meta, Keys: keys, Mailer: notify.NewOutbox(filepath.Join(t.TempDir(), "mail"), keys), Renderer: r, Clock: f.clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Holds: f.s.NoticeHolds}
	for {
		n, err := w.RunOnce(f.ctx)
		f.must(n, err)
		if n == 0 {
			break
		}
	}
	for _, c := range []struct {
		u    *navette.User
		want navette.NoticeState
	}{{f.admin, navette.NoticeSent}, {f.admin2, navette.NoticeSent}, {f.ca2, navette.NoticeDead}} {
		ns := f.noticesOf(c.u, navette.NoticeApproval)
		if len(ns) != 1 || ns[0].State != c.want {
			t.Errorf("%s's approval_request notices: %+v, want one %s", c.u.Email, ns, c.want)
			continue
		}
		if c.want == navette.NoticeDead && !strings.HasSuffix(ns[0].LastError, "The addressee may no longer review this request.") {
			t.Errorf("the dropped notice's error: %q", ns[0].LastError)
		}
	}
	_, dead := f.journal("", navette.EventNoticeDead)
	if len(dead) != 1 || !strings.Contains(dead[0].Detail, f.ca2.ID) {
		t.Errorf("notice.dead events: %+v, want one, of the demoted admin's notice", dead)
	}
}

// must fails the test if err is set.
func (f *twoPerson) must(_ any, err error) {
	f.t.Helper()
	if err != nil {
		f.t.Fatal(err)
	}
}
