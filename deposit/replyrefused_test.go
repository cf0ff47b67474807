package deposit_test

import (
	"context"
	"testing"

	"navette"
	"navette/deposit"
)

// TestReplyRefused: the pages' predicate refuses a reply only where Reply
// refuses it, with the same code (it never hides a reply that works), and
// refuses the reply of a partner to an agent who sent in person and is in
// no mailbox, which can go nowhere else.
func TestReplyRefused(t *testing.T) {
	c := newCaseFixture(t)
	ctx := context.Background()
	for _, tc := range []struct {
		name          string
		from, replier *navette.User
		refused       bool
	}{
		{"a partner, to an agent in a mailbox", c.clerk, c.lawyer, false},
		{"a partner, to an agent in no mailbox", c.stranger, c.lawyer, true},
		{"an agent, to an agent in a mailbox", c.clerk, c.colleague, false},
		{"an agent, to an agent in no mailbox", c.stranger, c.colleague, false},
		{"its sender", c.clerk, c.clerk, true},
	} {
		to := tc.replier
		if to == tc.from {
			to = c.colleague
		}
		d := c.send(t, tc.from, "RG 26/"+tc.name, to)
		v, err := c.svc.Get(ctx, tc.replier, d.ID)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		refusal := c.svc.ReplyRefused(ctx, tc.replier, v)
		_, replied := c.svc.Reply(ctx, tc.replier, d.ID, deposit.Answer{})
		if (refusal != nil) != tc.refused {
			t.Errorf("%s: ReplyRefused = %v, want refused %v", tc.name, refusal, tc.refused)
		}
		if !tc.refused && replied != nil {
			t.Errorf("%s: Reply = %v, want a reply", tc.name, replied)
		}
		if refusal != nil && navette.ErrorCode(replied) != navette.ErrorCode(refusal) {
			t.Errorf("%s: ReplyRefused = %v but Reply = %v", tc.name, refusal, replied)
		}
	}
}
