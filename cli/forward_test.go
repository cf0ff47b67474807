package cli

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"navette"
	"navette/app"
)

// TestForward: an agent who received a deposit forwards it to a colleague
// with navette forward; the colleague gets the same files, and a partner is
// refused as a target.
func TestForward(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *app.Config) { c.PartnersToAgents = true })
	colleague := e.user("collegue@justice.example", navette.RoleAgent)
	dir := t.TempDir()
	a := writeFile(t, dir, "conclusions.pdf", randomBytes(90000, 4))
	s := runCLI(t, e.vars(e.lawyer), false, "send", "--to", agent, "--ref", "RG 26/00077", a)
	if s.code != 0 {
		t.Fatalf("send: exit %d: %s", s.code, s.stderr)
	}
	sent := lastLine(s.stdout)

	f := runCLI(t, e.vars(e.agent), false, "forward", sent, "--to", "collegue@justice.example", "--message", "Pour attribution", "--retention", "5")
	if f.code != 0 || !strings.Contains(f.stdout, "forwarded to 1 recipient(s), 1 file(s)") {
		t.Fatalf("forward: exit %d, stdout %q, stderr %q", f.code, f.stdout, f.stderr)
	}
	fw := lastLine(f.stdout)
	got, err := e.client(colleague).Deposit(context.Background(), fw)
	if err != nil || got.Reference != "RG 26/00077" || len(got.Files) != 1 || got.State != "available" || got.Message != "Pour attribution" {
		t.Fatalf("the colleague sees %+v, %v", got, err)
	}
	orig, err := e.client(e.lawyer).Deposit(context.Background(), sent)
	if err != nil || got.Files[0].SHA256 != orig.Files[0].SHA256 || got.Files[0].SHA256 != sha(randomBytes(90000, 4)) || got.CaseID != orig.CaseID {
		t.Fatalf("forward's file %+v in case %q, original's %+v in case %q (%v)", got.Files[0], got.CaseID, orig.Files, orig.CaseID, err)
	}
	if len(orig.Forwards) != 1 || orig.Forwards[0].ID != fw || orig.Forwards[0].ForwardedBy.Email != agent || orig.Forwards[0].State != "available" ||
		len(orig.Forwards[0].Recipients) != 1 || orig.Forwards[0].Recipients[0].Email != "collegue@justice.example" {
		t.Errorf("the original's sender reads its forwards as %+v; want the agent's to the colleague", orig.Forwards)
	}

	for _, tc := range []struct {
		name, token string
		args        []string
		stderr      string
	}{
		{"to a partner", e.agent, []string{sent, "--to", other}, "is a partner"},
		{"by the sender", e.lawyer, []string{sent, "--to", "collegue@justice.example"}, "send a new deposit"},
		{"without --to", e.agent, []string{sent}, "--to is required"},
		{"a bad id", e.agent, []string{"x", "--to", "collegue@justice.example"}, "not a deposit id"},
	} {
		r := runCLI(t, e.vars(tc.token), false, append([]string{"forward"}, tc.args...)...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.stderr) {
			t.Errorf("%s: exit %d, stderr %q; want a failure saying %q", tc.name, r.code, r.stderr, tc.stderr)
		}
	}
}

// TestForwardBackup: a backup holds the blob a forward shares with its
// original once.
func TestForwardBackup(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *app.Config) { c.PartnersToAgents = true })
	e.user("collegue@justice.example", navette.RoleAgent)
	a := writeFile(t, t.TempDir(), "conclusions.pdf", randomBytes(70000, 5))
	s := runCLI(t, e.vars(e.lawyer), false, "send", "--to", agent, "--ref", "RG 26/00078", a)
	if s.code != 0 {
		t.Fatalf("send: exit %d: %s", s.code, s.stderr)
	}
	if f := runCLI(t, e.vars(e.agent), false, "forward", lastLine(s.stdout), "--to", "collegue@justice.example"); f.code != 0 {
		t.Fatalf("forward: exit %d: %s", f.code, f.stderr)
	}
	r := runCLI(t, nil, false, "admin", "backup", "--data", e.dir, "--out", filepath.Join(t.TempDir(), "navette.tar"))
	if r.code != 0 || !strings.Contains(r.stdout, " 1 blobs (") {
		t.Fatalf("backup: exit %d, stdout %q, stderr %q; want one blob", r.code, r.stdout, r.stderr)
	}
}
