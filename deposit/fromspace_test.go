package deposit_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/deposit"
	"navette/notify"
)

// TestFromSpace sends on behalf of a service mailbox: its members stand
// for the sender once the deposit is submitted (page, sent list, case,
// following, extending, withdrawing), others do not, and a reply goes to
// the mailbox.
func TestFromSpace(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	c.svc.DefaultRetentionDays = 7

	for _, tc := range []struct {
		name string
		who  *navette.User
		from string
	}{
		{"a mailbox one is no member of", c.stranger, c.service.Email},
		{"a person, not a mailbox", c.clerk, c.colleague.Email},
		{"an unknown address", c.clerk, "nobody@justice.example"},
		{"not an address", c.clerk, "\x00"},
	} {
		_, err := c.svc.Create(ctx, tc.who, deposit.Draft{Recipients: []string{c.lawyer.Email}, Reference: "RG 9", FromSpace: tc.from})
		if !navette.IsCode(err, navette.EINVALID) {
			t.Errorf("%s: Create = %v, want EINVALID", tc.name, err)
		}
	}
	if _, err := c.svc.Create(ctx, c.clerk, deposit.Draft{Recipients: []string{c.service.Email}, Reference: "RG 9", FromSpace: c.service.Email}); !navette.IsCode(err, navette.EINVALID) {
		t.Errorf("to the mailbox it is sent from: Create = %v, want EINVALID", err)
	}

	draft, err := c.svc.Create(ctx, c.clerk, deposit.Draft{Recipients: []string{c.lawyer.Email}, Reference: "RG 9/1", FromSpace: c.service.Email})
	if err != nil {
		t.Fatal(err)
	}
	if draft.FromSpace == nil || draft.FromSpace.ID != c.service.ID || !draft.Sending {
		t.Fatalf("draft from %v, sending %v; want the mailbox, sending", draft.FromSpace, draft.Sending)
	}
	if _, err := c.svc.Get(ctx, c.colleague, draft.ID); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("a member gets the draft: %v, want ENOTFOUND (the draft is its author's)", err)
	}
	d := c.submit(t, c.clerk, draft)

	v, err := c.svc.Get(ctx, c.colleague, d.ID)
	if err != nil || !v.Sending || v.FromSpace == nil || v.FromSpace.ID != c.service.ID {
		t.Fatalf("member's Get = %+v, %v; want the deposit, as its sender", v, err)
	}
	if deposit.Direction(v, c.colleague) != "sent" {
		t.Errorf("direction for a member = %s, want sent", deposit.Direction(v, c.colleague))
	}
	sent, _, err := c.svc.List(ctx, c.colleague, navette.BoxSent, "", 0)
	if err != nil || len(sent) != 1 || sent[0].ID != d.ID {
		t.Errorf("member's sent list = %d deposits, %v; want the deposit", len(sent), err)
	}
	cs, err := c.svc.Cases(ctx, c.colleague, "")
	if err != nil || len(cs) != 1 || cs[0].Sent != 1 || cs[0].Received != 0 {
		t.Errorf("member's cases = %+v, %v; want one case with one sent deposit", cs, err)
	}
	if _, err := c.svc.Track(ctx, c.colleague, d.ID); err != nil {
		t.Errorf("a member follows the deposit: %v", err)
	}

	// The authorization matrix of extending: the sending side extends, a
	// recipient is refused, anyone else gets the same 404 as for a miss.
	for _, tc := range []struct {
		name string
		who  *navette.User
		id   string
		code string
	}{
		{"a recipient", c.lawyer, d.ID, navette.EFORBIDDEN},
		{"an agent of no mailbox", c.stranger, d.ID, navette.ENOTFOUND},
		{"a partner of another bar", c.otherBar, d.ID, navette.ENOTFOUND},
		{"a member, on a miss", c.colleague, navette.NewID(), navette.ENOTFOUND},
	} {
		if _, err := c.svc.Extend(ctx, tc.who, tc.id, 1); !navette.IsCode(err, tc.code) {
			t.Errorf("%s: Extend = %v, want %s", tc.name, err, tc.code)
		}
	}
	ext, err := c.svc.Extend(ctx, c.colleague, d.ID, 2)
	if err != nil {
		t.Fatalf("a member extends: %v", err)
	}
	if ext.RetentionDays != 9 {
		t.Errorf("retention after extension %d, want 9", ext.RetentionDays)
	}

	// A reply goes to the mailbox, not to its member who wrote.
	r, err := c.svc.Reply(ctx, c.lawyer, d.ID, deposit.Answer{})
	if err != nil || len(r.Recipients) != 1 || r.Recipients[0].UserID != c.service.ID {
		t.Fatalf("reply = %+v, %v; want a draft to the mailbox", r, err)
	}
	if _, err := c.svc.Reply(ctx, c.colleague, d.ID, deposit.Answer{}); !navette.IsCode(err, navette.EFORBIDDEN) {
		t.Errorf("a member replies to their side's deposit: %v, want EFORBIDDEN", err)
	}

	if err := c.svc.RevokeWithReason(ctx, c.stranger, d.ID, ""); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("a non-member withdraws: %v, want ENOTFOUND", err)
	}
	if err := c.svc.RevokeWithReason(ctx, c.colleague, d.ID, "erreur de destinataire"); err != nil {
		t.Fatalf("a member withdraws: %v", err)
	}
	c.svc.FlushDenials(ctx, true)
	evs, err := c.svc.Meta.Events(ctx, navette.EventFilter{DepositID: d.ID})
	if err != nil {
		t.Fatal(err)
	}
	acted := map[navette.EventType]string{}
	denied := map[string]bool{}
	for _, e := range evs {
		acted[e.Type] = e.ActorID
		if e.Type == navette.EventAccessDenied {
			denied[e.ActorID] = true
		}
	}
	for _, typ := range []navette.EventType{navette.EventDepositExtended, navette.EventDepositRevoked} {
		if acted[typ] != c.colleague.ID {
			t.Errorf("%s journaled as done by %q, want the member %q", typ, acted[typ], c.colleague.ID)
		}
	}
	if !denied[c.stranger.ID] || !denied[c.lawyer.ID] {
		t.Errorf("denials journaled for %v; want the non-member and the recipient", denied)
	}
}

// TestRecipientRefusals: a partner creating a deposit is refused every
// address it may not send to in the same words, whatever the reason (no
// such user, a disabled one, an administrator, another partner, an agent
// in person), so that it cannot tell who is on the platform; staff are
// told why.
func TestRecipientRefusals(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	mk := func(email string, role navette.Role, disabled bool) string {
		t.Helper()
		u := &navette.User{ID: navette.NewID(), Email: email, Name: email, Role: role, Disabled: disabled, CreatedAt: c.svc.Clock.Now()}
		if err := c.svc.Meta.CreateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		return email
	}
	struck := mk("struck@avocats.example", navette.RolePartner, true)
	admin := mk("admin@justice.example", navette.RoleAdmin, false)
	refusal := func(who *navette.User, to string) string {
		t.Helper()
		_, err := c.svc.Create(ctx, who, deposit.Draft{Recipients: []string{c.service.Email, to}, Reference: "RG 1"})
		if !navette.IsCode(err, navette.EINVALID) {
			t.Fatalf("%s to %s: %v, want EINVALID", who.Email, to, err)
		}
		return navette.ErrorMessage(err)
	}
	for _, to := range []string{"nobody@avocats.example", struck, admin, c.partner.Email, c.clerk.Email} {
		if got, want := refusal(c.lawyer, to), `You cannot send a deposit to "`+to+`".`; got != want {
			t.Errorf("a partner to %s: %q, want %q", to, got, want)
		}
	}
	if _, err := c.svc.Create(ctx, c.lawyer, deposit.Draft{Recipients: []string{c.service.Email}, Reference: "RG 1"}); err != nil {
		t.Errorf("a partner to a service mailbox: %v", err)
	}
	for to, want := range map[string]string{
		"nobody@avocats.example": `"nobody@avocats.example" is not a recipient known to the platform.`,
		struck:                   `"struck@avocats.example" no longer has access to the platform and cannot receive deposits.`,
		admin:                    `"admin@justice.example" is not a recipient known to the platform.`,
	} {
		if got := refusal(c.clerk, to); got != want {
			t.Errorf("an agent to %s: %q, want %q", to, got, want)
		}
	}
	c.svc.Internal = true
	if got, want := refusal(c.clerk, c.lawyer.Email), `"lawyer@avocats.example" is a partner: partners cannot receive deposits on this platform.`; got != want {
		t.Errorf("an agent to a partner, internal: %q, want %q", got, want)
	}
}

// TestFromSpaceMails: the mails to the recipients of a deposit sent on
// behalf of a service mailbox (its notice, its reminder, its extension by
// another member, its withdrawal) name the mailbox, the court's office the
// lawyer knows, beside the member who acted, as the deposit's page does;
// the notice's subject names the mailbox first.
func TestFromSpaceMails(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	c.svc.RemindBefore = 2 * 24 * time.Hour
	draft, err := c.svc.Create(ctx, c.clerk, deposit.Draft{Recipients: []string{c.lawyer.Email}, Reference: "RG 9/1", FromSpace: c.service.Email, RetentionDays: 3})
	if err != nil {
		t.Fatal(err)
	}
	d := c.submit(t, c.clerk, draft)
	c.svc.Clock.(*navette.FakeClock).Advance(24*time.Hour + time.Second)
	if _, err := c.svc.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := c.svc.Extend(ctx, c.colleague, d.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := c.svc.Revoke(ctx, c.colleague, d.ID); err != nil {
		t.Fatal(err)
	}
	r, err := notify.NewRenderer("https://navette.justice.example/", notify.Address{Email: "noreply@justice.example"}, false)
	if err != nil {
		t.Fatal(err)
	}
	acted := map[navette.NoticeKind]*navette.User{navette.NoticeDeposit: c.clerk, navette.NoticeReminder: c.clerk,
		navette.NoticeExtended: c.colleague, navette.NoticeWithdrawn: c.colleague}
	ns, ds := c.notices(t, d.ID)
	for i, n := range ns {
		who, ok := acted[n.Kind]
		if !ok || n.UserID != c.lawyer.ID {
			continue
		}
		delete(acted, n.Kind)
		for _, lang := range []string{navette.LangFrench, navette.LangEnglish} {
			to := *c.lawyer
			to.Lang = lang
			m, err := r.Render(n, &to, ds[i])
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range []string{c.service.Email, who.Email} {
				if !strings.Contains(m.Text, s) || !strings.Contains(m.HTML, s) {
					t.Errorf("%s mail (%s) does not name %s:\n%s", n.Kind, lang, s, m.Text)
				}
			}
			if n.Kind == navette.NoticeDeposit && !strings.Contains(m.Subject, c.service.Name) {
				t.Errorf("the notice's subject (%s) does not name the mailbox: %q", lang, m.Subject)
			}
		}
	}
	if len(acted) != 0 {
		t.Errorf("no mail to the lawyer of kinds %v", acted)
	}
}
