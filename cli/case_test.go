package cli

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"navette"
	"navette/app"
)

// TestCaseReplyExtend sends a deposit, answers it with navette reply, and
// finds both in the case with navette case ls and show, from each side; the
// sender then extends it. A stranger to the case gets the 404 of a miss.
func TestCaseReplyExtend(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *app.Config) { c.PartnersToAgents = true })
	dir := t.TempDir()
	a := writeFile(t, dir, "requisitions.pdf", randomBytes(5000, 1))
	b := writeFile(t, dir, "observations.pdf", randomBytes(3000, 2))
	s := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "Parquet 26/12345", "--retention", "10", a)
	if s.code != 0 {
		t.Fatalf("send: exit %d: %s", s.code, s.stderr)
	}
	sent := lastLine(s.stdout)
	r := runCLI(t, e.vars(e.lawyer), false, "reply", sent, "--message", "Mes observations", b)
	if r.code != 0 {
		t.Fatalf("reply: exit %d: %s", r.code, r.stderr)
	}
	reply := lastLine(r.stdout)
	d, err := e.client(e.agent).Deposit(context.Background(), reply)
	if err != nil || d.Reference != "Parquet 26/12345" || len(d.Files) != 1 || d.State != "available" {
		t.Fatalf("reply %+v, %v", d, err)
	}
	orig, err := e.client(e.agent).Deposit(context.Background(), sent)
	if err != nil || orig.CaseID == "" || orig.CaseID != d.CaseID {
		t.Fatalf("cases %q and %q, %v; want one", orig.CaseID, d.CaseID, err)
	}

	ls := runCLI(t, e.vars(e.lawyer), false, "case", "ls", "--q", "parquet 26-12345")
	if ls.code != 0 || !strings.Contains(ls.stdout, orig.CaseID) || !strings.Contains(ls.stdout, "Parquet 26/12345") {
		t.Fatalf("case ls: exit %d, stdout %q, stderr %q", ls.code, ls.stdout, ls.stderr)
	}
	if none := runCLI(t, e.vars(e.lawyer), false, "case", "ls", "--q", "RG 99"); none.code != 0 || !strings.Contains(none.stdout, "No cases.") {
		t.Errorf("case ls --q RG 99: exit %d, stdout %q", none.code, none.stdout)
	}
	show := runCLI(t, e.vars(e.agent), false, "case", "show", orig.CaseID)
	if show.code != 0 || !strings.Contains(show.stdout, sent) || !strings.Contains(show.stdout, reply) ||
		!strings.Contains(show.stdout, "received") || !strings.Contains(show.stdout, "sent") {
		t.Fatalf("case show: exit %d, stdout %q, stderr %q", show.code, show.stdout, show.stderr)
	}
	if miss := runCLI(t, e.vars(e.stranger), false, "case", "show", orig.CaseID); miss.code == 0 || !strings.Contains(miss.stderr, "No such case") {
		t.Errorf("a stranger's case show: exit %d, stderr %q", miss.code, miss.stderr)
	}

	if n := runCLI(t, e.vars(e.agent), false, "extend", sent); n.code != 2 || !strings.Contains(n.stderr, "--days N is required") {
		t.Errorf("extend without --days: exit %d, stderr %q", n.code, n.stderr)
	}
	x := runCLI(t, e.vars(e.agent), false, "extend", sent, "--days", "3")
	if x.code != 0 || !strings.Contains(x.stdout, "extended until") {
		t.Fatalf("extend: exit %d, stdout %q, stderr %q", x.code, x.stdout, x.stderr)
	}
	after, err := e.client(e.agent).Deposit(context.Background(), sent)
	if err != nil || !after.ExpiresAt.After(*orig.ExpiresAt) {
		t.Errorf("expiry %v after extension, was %v (%v)", after.ExpiresAt, orig.ExpiresAt, err)
	}
	if y := runCLI(t, e.vars(e.lawyer), false, "extend", sent, "--days", "3"); y.code == 0 {
		t.Errorf("a recipient extended the deposit: %q", y.stdout)
	}

	// An auditor saves the evidence of the case, by a deposit or by its id;
	// each bundle inside matches the manifest. Others may not.
	auditor := e.user("audit@justice.example", navette.RoleAuditor)
	for i, args := range [][]string{{"--deposit", reply}, {orig.CaseID}} {
		out := filepath.Join(dir, fmt.Sprintf("preuves-%d.zip", i))
		ev := runCLI(t, e.vars(auditor), false, append(append([]string{"case", "evidence"}, args...), "--out", out)...)
		if ev.code != 0 || lastLine(ev.stdout) != out {
			t.Fatalf("case evidence %v: exit %d, stdout %q, stderr %q", args, ev.code, ev.stdout, ev.stderr)
		}
		if n, err := checkCaseEvidence(out); err != nil || n != 2 {
			t.Errorf("case evidence %v: %d bundles, %v; want 2", args, n, err)
		}
	}
	if y := runCLI(t, e.vars(e.agent), false, "case", "evidence", orig.CaseID, "--out", filepath.Join(dir, "x.zip")); y.code == 0 {
		t.Errorf("an agent got the evidence of a case: %q", y.stdout)
	}
}

// TestCaseGet saves a case's bundle with navette case get, and finds in
// it each file sent, byte for byte.
func TestCaseGet(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "requisitions.pdf", randomBytes(70000, 3))
	b := writeFile(t, dir, "annexe.pdf", randomBytes(1000, 4))
	var ids []string
	for _, f := range []string{a, b} {
		s := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "RG 24/7", f)
		if s.code != 0 {
			t.Fatalf("send: exit %d: %s", s.code, s.stderr)
		}
		ids = append(ids, lastLine(s.stdout))
	}
	d, err := e.client(e.lawyer).Deposit(context.Background(), ids[0])
	if err != nil || d.CaseID == "" {
		t.Fatalf("deposit %+v, %v", d, err)
	}
	out := filepath.Join(t.TempDir(), "affaire.zip")
	g := runCLI(t, e.vars(e.lawyer), false, "case", "get", d.CaseID, "--out", out)
	if g.code != 0 || strings.TrimSpace(g.stdout) != out {
		t.Fatalf("case get: exit %d, stdout %q, stderr %q", g.code, g.stdout, g.stderr)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	found := 0
	for _, f := range zr.File {
		for _, p := range []string{a, b} {
			if strings.HasSuffix(f.Name, "/"+filepath.Base(p)) {
				rc, _ := f.Open()
				got, _ := io.ReadAll(rc)
				rc.Close()
				if want, _ := os.ReadFile(p); !bytes.Equal(got, want) {
					t.Errorf("%s: not the file sent", f.Name)
				}
				found++
			}
		}
	}
	if found != 2 {
		t.Errorf("found %d of the 2 files in the archive", found)
	}
	if again := runCLI(t, e.vars(e.lawyer), false, "case", "get", d.CaseID, "--out", out); again.code == 0 {
		t.Error("case get overwrote an existing file")
	}
	if miss := runCLI(t, e.vars(e.stranger), false, "case", "get", d.CaseID, "--out", out+".2"); miss.code == 0 {
		t.Error("a stranger got the case's files")
	}
}

// TestCaseIDs: show and get say which argument is no case id, and that
// one is expected when there is none or more.
func TestCaseIDs(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"case", "show", "zzz"}, `navette case show: "zzz" is not a case id`},
		{[]string{"case", "get", "../x"}, `navette case get: "../x" is not a case id`},
		{[]string{"case", "show"}, "navette case show: expected one case id"},
		{[]string{"case", "show", "a", "b"}, "navette case show: expected one case id"},
	} {
		r := runCLI(t, nil, false, tt.args...)
		if r.code != 2 || strings.TrimSpace(r.stderr) != tt.want {
			t.Errorf("navette %s: exit %d, %q; want 2, %q", strings.Join(tt.args, " "), r.code, r.stderr, tt.want)
		}
	}
}
