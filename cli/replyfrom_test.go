package cli

import (
	"context"
	"strings"
	"testing"

	"navette"
)

// TestReplyFrom answers with navette reply a deposit a lawyer sent to a
// service mailbox: by default on behalf of the mailbox, with --from "" in
// person; --from with a mailbox one is no member of is refused; the other
// member of the mailbox sees the reply as sent.
func TestReplyFrom(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	op := &navette.User{Role: navette.RoleAdmin}
	court, err := e.app.Accounts.CreateCourt(ctx, op, "TJ-C", "Tribunal judiciaire C")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe C", "greffe.c@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	other, err := e.app.Accounts.CreateService(ctx, op, court.ID, "Greffe civil C", "civil.c@justice.example")
	if err != nil {
		t.Fatal(err)
	}
	member := e.user("member.c@justice.example", navette.RoleAgent)
	for _, email := range []string{agent, "member.c@justice.example"} {
		u, err := e.app.Meta.UserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		if err := e.app.Accounts.AddMember(ctx, op, svc.ID, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	a := writeFile(t, dir, "conclusions.pdf", randomBytes(2000, 3))
	b := writeFile(t, dir, "accuse.pdf", randomBytes(1000, 4))
	s := runCLI(t, e.vars(e.lawyer), false, "send", "--to", svc.Email, "--ref", "RG 26/500", a)
	if s.code != 0 {
		t.Fatalf("send: exit %d: %s", s.code, s.stderr)
	}
	sent := lastLine(s.stdout)

	if r := runCLI(t, e.vars(e.agent), false, "reply", sent, "--from", other.Email, b); r.code == 0 || !strings.Contains(r.stderr, "member of") {
		t.Errorf("reply --from a mailbox one is no member of: exit %d, stderr %q", r.code, r.stderr)
	}
	r := runCLI(t, e.vars(e.agent), false, "reply", sent, "--from", "", b)
	if r.code != 0 {
		t.Fatalf("reply in person: exit %d: %s", r.code, r.stderr)
	}
	d, err := e.client(e.agent).Deposit(ctx, lastLine(r.stdout))
	if err != nil || d.FromSpace != nil || d.State != "available" {
		t.Fatalf("reply in person %+v, %v", d, err)
	}
	r = runCLI(t, e.vars(e.agent), false, "reply", sent, "--message", "Bien reçu", b)
	if r.code != 0 {
		t.Fatalf("reply: exit %d: %s", r.code, r.stderr)
	}
	reply := lastLine(r.stdout)
	d, err = e.client(member).Deposit(ctx, reply)
	if err != nil || d.FromSpace == nil || d.FromSpace.Email != svc.Email || len(d.Recipients) != 1 || d.Recipients[0].Email != lawyer {
		t.Fatalf("the member sees the reply %+v, %v; want it from the mailbox to the lawyer", d, err)
	}
	if ls := runCLI(t, e.vars(member), false, "inbox", "--box", "sent"); ls.code != 0 || !strings.Contains(ls.stdout, reply) {
		t.Errorf("the member's sent list: exit %d, stdout %q, stderr %q", ls.code, ls.stdout, ls.stderr)
	}
}
