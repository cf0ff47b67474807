package auth

import (
	"strings"
	"testing"

	"navette"
	"navette/notify"
)

// TestRecoveryWithNobodyToReview: the one platform admin whose access is
// active lost their factor and asks for a recovery; no other admin may
// decide it (the other platform admin's access was revoked), so nobody is
// asked to review it, and the mail that confirms the request says that no
// administrator can review it now and whom to ask, not that one will.
func TestRecoveryWithNobodyToReview(t *testing.T) {
	e := newRecoveryEnv(t)
	admin := e.user(t, "admin@justice.example", navette.RoleAdmin, "")
	revoked := &navette.User{ID: navette.NewID(), Email: "ancien@justice.example", Name: "Ancien", Role: navette.RoleAdmin, Disabled: true, CreatedAt: e.clock.Now()}
	if err := e.meta.CreateUser(e.ctx, revoked); err != nil {
		t.Fatal(err)
	}
	e.enrolTOTP(t, e.afterCode(t, admin))
	if err := e.s.RequestRecovery(e.ctx, admin.Email, "192.0.2.7"); err != nil {
		t.Fatal(err)
	}
	if kinds, _ := e.notices(t, revoked); containsKind(kinds, navette.NoticeRecoveryReview) {
		t.Error("an admin whose access was revoked is asked to review the request")
	}
	ns, err := e.meta.Notices(e.ctx, navette.NoticeFilter{UserID: admin.ID, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var n *navette.Notice
	for _, x := range ns {
		if x.Kind == navette.NoticeRecoveryRequested {
			n = x
		}
	}
	if n == nil {
		t.Fatal("no recovery_requested notice")
	}
	d, err := notify.Open(e.s.Keys, n)
	if err != nil {
		t.Fatal(err)
	}
	r, err := notify.NewRenderer("https://navette.justice.example/", notify.Address{Email: "noreply@justice.example"}, false)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Render(n, admin, d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(m.Text, "Un administrateur va vérifier") || !strings.Contains(m.Text, "Aucun administrateur") || !strings.Contains(m.HTML, "Aucun administrateur") {
		t.Errorf("the mail does not say that nobody can review the request:\n%s", m.Text)
	}
}
