package deposit_test

import (
	"context"
	"testing"

	"navette"
	"navette/deposit"
)

// TestReplyFromSpace replies on behalf of a service mailbox: by default
// from the recipient mailbox the deposit came through, in person when
// asked or when the deposit was addressed to the replier in person; a
// mailbox the replier is no member of is refused; the other members of
// the mailbox stand for the reply's sender.
func TestReplyFromSpace(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	c.svc.DefaultRetentionDays = 7
	civil := &navette.User{ID: navette.NewID(), Email: "greffe-civil@justice.example", Name: "Greffe civil", Role: navette.RoleService, CourtID: c.service.CourtID, CreatedAt: c.svc.Clock.Now()}
	if err := c.svc.Meta.CreateUser(ctx, civil); err != nil {
		t.Fatal(err)
	}
	d := c.send(t, c.lawyer, "RG 25/00077", c.service)

	ch, err := c.svc.ReplyChoices(ctx, c.colleague, d)
	if err != nil || len(ch.Mailboxes) != 1 || ch.Mailboxes[0].ID != c.service.ID || ch.Default == nil || ch.Default.ID != c.service.ID {
		t.Fatalf("ReplyChoices = %+v, %v; want the mailbox, by default", ch, err)
	}
	if ch, err := c.svc.ReplyChoices(ctx, c.lawyer, d); err != nil || len(ch.Mailboxes) != 0 || ch.Default != nil {
		t.Errorf("a partner's ReplyChoices = %+v, %v; want none", ch, err)
	}

	inPerson, other := "", civil.Email
	for _, tc := range []struct {
		name string
		from *string
		code string
	}{
		{"a mailbox one is no member of", &other, navette.EINVALID},
		{"a person, not a mailbox", &c.colleague.Email, navette.EINVALID},
		{"an unknown address", new("nobody@justice.example"), navette.EINVALID},
	} {
		if _, err := c.svc.Reply(ctx, c.clerk, d.ID, deposit.Answer{FromSpace: tc.from}); !navette.IsCode(err, tc.code) {
			t.Errorf("%s: Reply = %v, want %s", tc.name, err, tc.code)
		}
	}
	if _, err := c.svc.Reply(ctx, c.stranger, d.ID, deposit.Answer{FromSpace: &c.service.Email}); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("a non-member replies: %v, want ENOTFOUND", err)
	}

	own, err := c.svc.Reply(ctx, c.clerk, d.ID, deposit.Answer{FromSpace: &inPerson})
	if err != nil || own.FromSpace != nil || own.SenderID != c.clerk.ID {
		t.Fatalf("reply in person = %+v, %v; want one from the clerk alone", own, err)
	}

	r, err := c.svc.Reply(ctx, c.clerk, d.ID, deposit.Answer{Message: "Bien reçu"})
	if err != nil {
		t.Fatal(err)
	}
	if r.FromSpace == nil || r.FromSpace.ID != c.service.ID || r.SenderID != c.clerk.ID || len(r.Recipients) != 1 || r.Recipients[0].UserID != c.lawyer.ID || r.CaseID != d.CaseID {
		t.Fatalf("default reply from %v by %s to %v in case %s; want from the mailbox, by the clerk, to the lawyer, case %s", r.FromSpace, r.SenderID, r.Recipients, r.CaseID, d.CaseID)
	}
	if _, err := c.svc.Get(ctx, c.colleague, r.ID); !navette.IsCode(err, navette.ENOTFOUND) {
		t.Errorf("a member gets the reply's draft: %v, want ENOTFOUND", err)
	}
	r = c.submit(t, c.clerk, r)

	sent, _, err := c.svc.List(ctx, c.colleague, navette.BoxSent, "", 0)
	if err != nil || len(sent) != 1 || sent[0].ID != r.ID {
		t.Fatalf("member's sent list = %d deposits, %v; want the reply", len(sent), err)
	}
	if _, err := c.svc.Extend(ctx, c.colleague, r.ID, 1); err != nil {
		t.Errorf("a member extends the reply: %v", err)
	}
	evs, err := c.svc.Meta.Events(ctx, navette.EventFilter{DepositID: r.ID})
	if err != nil {
		t.Fatal(err)
	}
	acted := map[navette.EventType]string{}
	for _, e := range evs {
		acted[e.Type] = e.ActorID
	}
	for typ, want := range map[navette.EventType]string{navette.EventDepositCreated: c.clerk.ID, navette.EventDepositReply: c.clerk.ID, navette.EventDepositExtended: c.colleague.ID} {
		if acted[typ] != want {
			t.Errorf("%s journaled as done by %q, want %q", typ, acted[typ], want)
		}
	}

	// The lawyer's answer goes back to the mailbox.
	back, err := c.svc.Reply(ctx, c.lawyer, r.ID, deposit.Answer{})
	if err != nil || len(back.Recipients) != 1 || back.Recipients[0].UserID != c.service.ID || back.FromSpace != nil {
		t.Fatalf("the lawyer's answer = %+v, %v; want a draft to the mailbox", back, err)
	}

	// Addressed to the clerk in person too: in person by default.
	both := c.send(t, c.stranger, "RG 25/00078", c.clerk, c.service)
	if ch, err := c.svc.ReplyChoices(ctx, c.clerk, both); err != nil || ch.Default != nil || len(ch.Mailboxes) != 1 {
		t.Errorf("ReplyChoices of a deposit addressed in person = %+v, %v; want in person by default", ch, err)
	}
	if rb, err := c.svc.Reply(ctx, c.clerk, both.ID, deposit.Answer{}); err != nil || rb.FromSpace != nil {
		t.Errorf("reply to a deposit addressed in person = %+v, %v; want in person", rb, err)
	}
	if rb, err := c.svc.Reply(ctx, c.colleague, both.ID, deposit.Answer{}); err != nil || rb.FromSpace == nil || rb.FromSpace.ID != c.service.ID {
		t.Errorf("colleague's reply to it = %+v, %v; want from the mailbox", rb, err)
	}
}
