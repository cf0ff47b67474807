package auth

import (
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"navette"
	"navette/account"
	"navette/notify"
)

// TestRecoveryReviewNoticeToDemotedAdminDropped: the recovery_review
// notices of a recovery request name it; at sending, the one queued to the
// person's court admin, made an agent since, is dead with the reason
// (account.Service.NoticeHolds), and the platform admin's is sent.
func TestRecoveryReviewNoticeToDemotedAdminDropped(t *testing.T) {
	e := newRecoveryEnv(t)
	if err := e.meta.CreateCourt(e.ctx, &navette.Court{ID: "court-amiens", Code: "AMI", Name: "AMI", CreatedAt: e.clock.Now()}); err != nil {
		t.Fatal(err)
	}
	clerk := e.user(t, "clerk@amiens.example", navette.RoleAgent, "court-amiens")
	chief := e.user(t, "chief@amiens.example", navette.RoleCourtAdmin, "court-amiens")
	admin := e.user(t, "admin@justice.example", navette.RoleAdmin, "")
	if err := e.s.RequestRecovery(e.ctx, clerk.Email, "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	accounts := &account.Service{Meta: e.meta, Clock: e.clock}
	if _, err := accounts.SetRole(e.ctx, admin, chief.ID, navette.RoleAgent); err != nil {
		t.Fatal(err)
	}
	r, err := notify.NewRenderer("https://navette.justice.example", notify.Address{Name: "navette", Email: "noreply@justice.example"}, false)
	if err != nil {
		t.Fatal(err)
	}
	w := &notify.Worker{Meta: e.meta, Keys: e.s.Keys, Mailer: notify.NewOutbox(filepath.Join(t.TempDir(), "mail"), e.s.Keys), Renderer: r, Clock: e.clock,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil)), Holds: accounts.NoticeHolds}
	for {
		n, err := w.RunOnce(e.ctx)
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			break
		}
	}
	for _, c := range []struct {
		u    *navette.User
		want navette.NoticeState
	}{{admin, navette.NoticeSent}, {chief, navette.NoticeDead}} {
		ns, err := e.meta.Notices(e.ctx, navette.NoticeFilter{UserID: c.u.ID})
		if err != nil {
			t.Fatal(err)
		}
		var got []*navette.Notice
		for _, n := range ns {
			if n.Kind == navette.NoticeRecoveryReview {
				got = append(got, n)
			}
		}
		if len(got) != 1 || got[0].State != c.want {
			t.Errorf("%s's recovery_review notices: %+v, want one %s", c.u.Email, got, c.want)
			continue
		}
		if c.want != navette.NoticeDead {
			continue
		}
		if !strings.HasSuffix(got[0].LastError, "The addressee may no longer decide this recovery request.") {
			t.Errorf("the dropped notice's error: %q", got[0].LastError)
		}
		rr, err := e.meta.RecoveryRequests(e.ctx, navette.RecoveryFilter{UserID: clerk.ID})
		if err != nil || len(rr) != 1 {
			t.Fatalf("recovery requests: %+v, %v", rr, err)
		}
		if d, err := notify.Open(e.s.Keys, got[0]); err != nil || d.Request == nil || d.Request.ID != rr[0].ID {
			t.Errorf("the notice's data %+v, %v; want it to name the recovery request", d, err)
		}
	}
}
