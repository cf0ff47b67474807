package cli

// Tests of the client commands (send, inbox, get, revoke), run in-process
// against clienttest.Server: an in-memory stand-in for the navette server,
// used until integration tests against the real server are added.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"navette/api"
	"navette/client"
	"navette/client/clienttest"
)

const (
	agentToken  = "agent-token-0123456789"
	lawyerToken = "lawyer-token-0123456789"
	agent       = "agent@justice.example"
	lawyer      = "avocat@barreau.example"
)

type run struct {
	code           int
	stdout, stderr string
}

// runCLI runs a command in-process with the given environment variables.
func runCLI(t *testing.T, vars map[string]string, terminal bool, args ...string) run {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{
		Stdin:      strings.NewReader(""),
		Stdout:     &out,
		Stderr:     &errb,
		Getenv:     func(k string) string { return vars[k] },
		IsTerminal: func(w io.Writer) bool { return terminal && w == io.Writer(&errb) },
		Context:    context.Background(),
	}
	code := Main(args, env)
	return run{code, out.String(), errb.String()}
}

func newTestServer(t *testing.T) *clienttest.Server {
	s := clienttest.NewServer(t)
	s.AddUser(agentToken, agent)
	s.AddUser(lawyerToken, lawyer)
	return s
}

func vars(s *clienttest.Server, token string) map[string]string {
	return map[string]string{"NAVETTE_SERVER": s.URL, "NAVETTE_TOKEN": token}
}

func randomBytes(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 7))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return lines[len(lines)-1]
}

func TestSend(t *testing.T) {
	s := newTestServer(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "conclusions.pdf", randomBytes(1<<20+3, 1))
	b := writeFile(t, dir, "pièces jointes.zip", randomBytes(4000, 2))
	empty := writeFile(t, dir, "vide.txt", nil)
	for i, args := range [][]string{
		{"send", "--to", lawyer + ", other@barreau.example", "--ref", "RG 24/001", "--retention", "10", a, b, empty},
		{"send", a, "--to=" + lawyer, b, "--ref", "RG 24/002", "--message", "Bonjour", "--", empty}, // flags after files
	} {
		r := runCLI(t, vars(s, agentToken), i == 1, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		id := lastLine(r.stdout)
		d, ok := s.Deposit(id)
		if !ok || d.State != "available" || len(d.Files) != 3 {
			t.Fatalf("last line %q: deposit %+v", id, d)
		}
		for j, p := range []string{a, b, empty} {
			want, _ := os.ReadFile(p)
			if d.Files[j].Name != filepath.Base(p) || !bytes.Equal(s.FileData(id, d.Files[j].ID), want) {
				t.Errorf("file %d: %+v", j, d.Files[j])
			}
		}
		if i == 1 {
			if d.Message != "Bonjour" || len(d.Recipients) != 1 {
				t.Errorf("deposit %+v", d)
			}
			// Progress went to the terminal, not to stdout.
			if !strings.Contains(r.stderr, "\r") || !strings.Contains(r.stderr, "conclusions.pdf") || !strings.Contains(r.stderr, "100%") {
				t.Errorf("no progress on stderr: %q", r.stderr)
			}
			if strings.TrimSpace(r.stdout) != id {
				t.Errorf("stdout %q", r.stdout)
			}
		} else if r.stderr != "" || d.RetentionDays != 10 || len(d.Recipients) != 2 {
			t.Errorf("stderr %q, deposit %+v", r.stderr, d)
		}
	}
}

func sentCount(t *testing.T, s *clienttest.Server) int {
	c, err := client.New(s.URL, agentToken)
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.List(context.Background(), client.BoxSent, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Deposits)
}

func TestSendChecksFilesFirst(t *testing.T) {
	s := newTestServer(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.pdf", []byte("a"))
	missing := filepath.Join(dir, "absent.pdf")
	for _, bad := range []string{missing, dir} {
		r := runCLI(t, vars(s, agentToken), false, "send", "--to", lawyer, "--ref", "R", a, bad)
		if r.code != 1 || !strings.Contains(r.stderr, bad) || r.stdout != "" {
			t.Errorf("%s: %+v", bad, r)
		}
	}
	if n := sentCount(t, s); n != 0 {
		t.Errorf("%d deposits created", n)
	}
}

func TestSendFailure(t *testing.T) {
	s := newTestServer(t)
	s.SetMaxUploadSize(100)
	dir := t.TempDir()
	small := writeFile(t, dir, "small.pdf", []byte("small"))
	big := writeFile(t, dir, "big.pdf", make([]byte, 101))
	r := runCLI(t, vars(s, agentToken), false, "send", "--to", lawyer, "--ref", "R", small, big)
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "big.pdf: The file is too large.") {
		t.Fatalf("%+v", r)
	}
	c, _ := client.New(s.URL, agentToken)
	l, _ := c.List(context.Background(), client.BoxSent, "", 0)
	if len(l.Deposits) != 1 || l.Deposits[0].State != "draft" || !strings.Contains(r.stderr, l.Deposits[0].ID) {
		t.Errorf("draft not reported: %+v, %q", l, r.stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	s := newTestServer(t)
	id := "a234567abcdefghijklmnopqrstuvwxy"
	noServer := map[string]string{"NAVETTE_TOKEN": agentToken}
	for _, c := range []struct {
		vars map[string]string
		args []string
	}{
		{noServer, []string{"send", "--to", lawyer, "--ref", "R", "x"}},
		{noServer, []string{"inbox"}},
		{noServer, []string{"get", id}},
		{noServer, []string{"revoke", id}},
		{map[string]string{"NAVETTE_SERVER": s.URL}, []string{"inbox"}},
		{vars(s, agentToken), []string{"send", "--ref", "R", "x"}},
		{vars(s, agentToken), []string{"send", "--to", lawyer, "x"}},
		{vars(s, agentToken), []string{"send", "--to", lawyer, "--ref", "R"}},
		{vars(s, agentToken), []string{"send", "--to", lawyer, "--ref", "R", "--bogus", "x"}},
		{vars(s, agentToken), []string{"get"}},
		{vars(s, agentToken), []string{"get", "../etc"}},
		{vars(s, agentToken), []string{"revoke", id, id}},
		{vars(s, agentToken), []string{"inbox", "--box", "trash"}},
		{map[string]string{"NAVETTE_SERVER": "ftp://x", "NAVETTE_TOKEN": "t"}, []string{"inbox"}},
	} {
		if r := runCLI(t, c.vars, false, c.args...); r.code != 2 {
			t.Errorf("%v: exit %d, %q", c.args, r.code, r.stderr)
		}
	}
	if r := runCLI(t, vars(s, agentToken), false, "send", "--help"); r.code != 0 || !strings.Contains(r.stderr, "Usage: navette send") {
		t.Errorf("help: %+v", r)
	}
}

// tree returns the regular files under root, relative to it.
func tree(t *testing.T, root string) []string {
	var files []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(files)
	return files
}

func TestGetHostileNames(t *testing.T) {
	s := newTestServer(t)
	long := strings.Repeat("é", 150) + ".pdf"
	names := []string{
		"../../etc/passwd",
		`"><img src=x onerror=alert(1)>.pdf`,
		"..",
		`a/b\c`,
		"x\x00y.txt",
		long,
		".bashrc",
		"CON.txt",
		"facture\u202egnp.exe",
		"",
		"/etc/passwd", // a second "passwd", different: gets "passwd (1)"
		"esc\x1b[2Jape\r\n.txt",
	}
	var files []clienttest.File
	for i, n := range names {
		files = append(files, clienttest.File{Name: n, Data: randomBytes(1000+i, uint64(i))})
	}
	id, fids := s.AddDeposit(agent, []string{lawyer}, "RG", files...)
	root := t.TempDir()
	out := filepath.Join(root, "sub", "out")
	r := runCLI(t, vars(s, lawyerToken), false, "get", "--out", out, id)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := map[string]string{
		"../../etc/passwd":                   "passwd",
		`"><img src=x onerror=alert(1)>.pdf`: "___img src=x onerror=alert(1)_.pdf",
		"..":                                 fids[2],
		`a/b\c`:                              "c",
		"x\x00y.txt":                         "x_y.txt",
		".bashrc":                            "bashrc",
		"CON.txt":                            "_CON.txt",
		"facture\u202egnp.exe":               "facturegnp.exe",
		"":                                   fids[9],
		"/etc/passwd":                        "passwd (1)",
		"esc\x1b[2Jape\r\n.txt":              "esc_[2Jape__.txt",
	}
	paths := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(paths) != len(names) {
		t.Fatalf("stdout %q", r.stdout)
	}
	for i, p := range paths {
		if filepath.Dir(p) != out {
			t.Errorf("%q saved as %q, outside %s", names[i], p, out)
		}
		base := filepath.Base(p)
		if w, ok := want[names[i]]; ok && base != w {
			t.Errorf("%q saved as %q, want %q", names[i], base, w)
		}
		if len(base) > maxNameBytes || !utf8.ValidString(base) {
			t.Errorf("bad name %q", base)
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, files[i].Data) {
			t.Errorf("%s: content differs (%v)", p, err)
		}
		st, _ := os.Stat(p)
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v", p, st.Mode())
		}
	}
	if b := filepath.Base(paths[5]); !strings.HasSuffix(b, ".pdf") || len(b) < 190 {
		t.Errorf("long name cut badly: %q (%d bytes)", b, len(b))
	}
	got := tree(t, root)
	if len(got) != len(names) {
		t.Errorf("files under the root: %q", got)
	}
	for _, f := range got {
		if !strings.HasPrefix(f, filepath.Join("sub", "out")+string(filepath.Separator)) || strings.Contains(f, partSuffix) {
			t.Errorf("stray file %q", f)
		}
	}

	// Again: everything is there already, nothing is duplicated.
	r2 := runCLI(t, vars(s, lawyerToken), false, "get", "--out", out, id)
	if r2.code != 0 || r2.stdout != r.stdout || len(tree(t, root)) != len(names) {
		t.Errorf("second get: %+v", r2)
	}
}

func TestGetCorrupted(t *testing.T) {
	s := newTestServer(t)
	id, _ := s.AddDeposit(agent, []string{lawyer}, "RG", clienttest.File{Name: "acte.pdf", Data: randomBytes(300_000, 3)})
	s.SetCorrupt(true)
	out := t.TempDir()
	r := runCLI(t, vars(s, lawyerToken), false, "get", "--out", out, id)
	if r.code != 1 || r.stdout != "" || !strings.Contains(r.stderr, "acte.pdf: corrupted download") {
		t.Errorf("%+v", r)
	}
	if files := tree(t, out); len(files) != 0 {
		t.Errorf("left behind: %q", files)
	}
}

func TestGetCutMidStream(t *testing.T) {
	s := newTestServer(t)
	data := randomBytes(500_000, 4)
	id, _ := s.AddDeposit(agent, []string{lawyer}, "RG", clienttest.File{Name: "acte.pdf", Data: data})
	s.CutNextDownload(200_000) // the client retries by itself
	out := t.TempDir()
	r := runCLI(t, vars(s, lawyerToken), false, "get", "--out", out, id)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "acte.pdf")); !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	if _, _, n := s.Counts(); n != 2 {
		t.Errorf("%d downloads", n)
	}
}

func TestGetResumesPart(t *testing.T) {
	s := newTestServer(t)
	data := randomBytes(400_000, 5)
	id, fids := s.AddDeposit(agent, []string{lawyer}, "RG", clienttest.File{Name: "acte.pdf", Data: data})
	out := t.TempDir()
	part := filepath.Join(out, "."+fids[0]+partSuffix)

	for _, c := range []struct {
		name string
		part []byte
		ok   bool
	}{
		{"half", data[:150_000], true},
		{"complete", data, true},
		{"too long", append(slices.Clone(data), 1, 2, 3), true},
		{"bad prefix", append([]byte("garbage"), data[7:100_000]...), false},
	} {
		os.Remove(filepath.Join(out, "acte.pdf"))
		writeFile(t, out, "."+fids[0]+partSuffix, c.part)
		r := runCLI(t, vars(s, lawyerToken), false, "get", "--out", out, id)
		got, _ := os.ReadFile(filepath.Join(out, "acte.pdf"))
		if c.ok != (r.code == 0) || c.ok != bytes.Equal(got, data) {
			t.Errorf("%s: %+v", c.name, r)
		}
		if _, err := os.Stat(part); err == nil {
			t.Errorf("%s: part file left", c.name)
		}
	}
}

func TestGetExisting(t *testing.T) {
	s := newTestServer(t)
	data := randomBytes(10_000, 6)
	id, _ := s.AddDeposit(agent, []string{lawyer}, "RG", clienttest.File{Name: "acte.pdf", Data: data})
	out := t.TempDir()
	other := writeFile(t, out, "acte.pdf", []byte("a different file"))
	r := runCLI(t, vars(s, lawyerToken), false, "get", "--out", out, id)
	want := filepath.Join(out, "acte (1).pdf")
	if r.code != 0 || strings.TrimSpace(r.stdout) != want {
		t.Fatalf("%+v", r)
	}
	if got, _ := os.ReadFile(other); string(got) != "a different file" {
		t.Error("existing file overwritten")
	}
	if got, _ := os.ReadFile(want); !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	// The same file again: found, not downloaded.
	_, _, before := s.Counts()
	r = runCLI(t, vars(s, lawyerToken), false, "get", "--out", out, id)
	if _, _, after := s.Counts(); r.code != 0 || strings.TrimSpace(r.stdout) != want || after != before {
		t.Errorf("%+v, %d downloads", r, after-before)
	}
}

func TestGetErrors(t *testing.T) {
	s := newTestServer(t)
	id, _ := s.AddDeposit(agent, []string{lawyer}, "RG", clienttest.File{Name: "a", Data: []byte("a")})
	r := runCLI(t, vars(s, agentToken+"x"), false, "get", "--out", t.TempDir(), id)
	if r.code != 1 || !strings.Contains(r.stderr, "Invalid or missing token.") || strings.Contains(r.stderr, agentToken) {
		t.Errorf("%+v", r)
	}
	r = runCLI(t, vars(s, lawyerToken), false, "get", "--out", t.TempDir(), "a234567abcdefghijklmnopqrstuvwxy")
	if r.code != 1 || r.stderr != "navette get: No such deposit.\n" {
		t.Errorf("%+v", r)
	}
}

func TestInboxAndRevoke(t *testing.T) {
	s := newTestServer(t)
	id, _ := s.AddDeposit(agent, []string{lawyer}, "RG 24/001 \x1b[31mred", clienttest.File{Name: "a", Data: make([]byte, 1_500_000)})
	r := runCLI(t, vars(s, lawyerToken), false, "inbox")
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, agent) || !strings.Contains(r.stdout, "1.5 MB") ||
		!strings.Contains(r.stdout, "RG 24/001 [31mred") || strings.Contains(r.stdout, "\x1b") {
		t.Errorf("%+v", r)
	}
	r = runCLI(t, vars(s, agentToken), false, "inbox", "--box", "sent", "--json")
	var l api.DepositList
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &l) != nil || len(l.Deposits) != 1 || l.Deposits[0].ID != id {
		t.Errorf("%+v", r)
	}
	if r := runCLI(t, vars(s, lawyerToken), false, "revoke", id); r.code != 1 || !strings.Contains(r.stderr, "Only the sender") {
		t.Errorf("recipient revokes: %+v", r)
	}
	if r := runCLI(t, vars(s, agentToken), false, "revoke", id); r.code != 0 {
		t.Errorf("revoke: %+v", r)
	}
	if r := runCLI(t, vars(s, lawyerToken), false, "get", "--out", t.TempDir(), id); r.code != 1 || !strings.Contains(r.stderr, "revoked") {
		t.Errorf("get after revoke: %+v", r)
	}
	if r := runCLI(t, vars(s, lawyerToken), false, "inbox"); r.code != 0 || !strings.Contains(r.stdout, "revoked") {
		t.Errorf("inbox after revoke: %+v", r)
	}
}

func TestParseInterspersed(t *testing.T) {
	env := &Env{Stderr: io.Discard, Getenv: func(string) string { return "" }}
	fs := newFlagSet(env, "x", "")
	a := fs.String("a", "", "")
	b := fs.Bool("b", false, "")
	err := parseInterspersed(fs, env, []string{"f1", "-a", "v", "f2", "--b", "f3", "--", "-f4", "--a=w"})
	if err != nil || *a != "v" || !*b || !slices.Equal(fs.Args(), []string{"f1", "f2", "f3", "-f4", "--a=w"}) {
		t.Errorf("a=%q b=%v args=%q err=%v", *a, *b, fs.Args(), err)
	}
	fs = newFlagSet(env, "x", "")
	fs.String("a", "", "")
	if err := parseInterspersed(fs, env, []string{"f1", "-a"}); err == nil {
		t.Error("missing value accepted")
	}
}

func TestSanitizeName(t *testing.T) {
	for in, want := range map[string]string{
		"rapport.pdf":           "rapport.pdf",
		"Pièce n°3 (copie).pdf": "Pièce n°3 (copie).pdf",
		"...":                   "ID",
		" . ":                   "ID",
		"a/..":                  "ID",
		`C:\Users\x\evil.lnk`:   "evil.lnk",
		"nul":                   "_nul",
		"Lpt1.tar.gz":           "_Lpt1.tar.gz",
		"console.txt":           "console.txt",
		"trailing. . ":          "trailing",
		"\xff\xfe.txt":          "_.txt",
		"tab\there":             "tab_here",
		"zero\u200bwidth":       "zerowidth",
	} {
		if got := sanitizeName(in, "ID"); got != want {
			t.Errorf("sanitizeName(%q) = %q, want %q", in, got, want)
		}
	}
	long := sanitizeName(strings.Repeat("a", 300)+".pdf", "ID")
	if len(long) != maxNameBytes || !strings.HasSuffix(long, ".pdf") {
		t.Errorf("long: %q", long)
	}
	longExt := sanitizeName("a."+strings.Repeat("x", 300), "ID")
	if len(longExt) > maxNameBytes {
		t.Errorf("long extension: %d bytes", len(longExt))
	}
}

func FuzzSanitizeName(f *testing.F) {
	for _, s := range []string{"../../etc/passwd", `a/b\c`, "..", "x\x00y", strings.Repeat("é", 150) + ".pdf", "CON", ".a.", "a\u202eb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got := sanitizeName(in, "fallback")
		switch {
		case got == "" || got == "." || got == "..":
			t.Fatalf("%q → %q", in, got)
		case len(got) > maxNameBytes || !utf8.ValidString(got):
			t.Fatalf("%q → %q: too long or invalid", in, got)
		case strings.ContainsAny(got, "/\\\x00<>:\"|?*") || strings.HasPrefix(got, ".") || strings.HasSuffix(got, ".") || strings.HasSuffix(got, " "):
			t.Fatalf("%q → %q: unsafe character", in, got)
		case filepath.Base(got) != got || filepath.Clean(got) != got:
			t.Fatalf("%q → %q: not one path element", in, got)
		case reservedName(got):
			t.Fatalf("%q → %q: reserved", in, got)
		}
		for _, r := range got {
			if unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
				t.Fatalf("%q → %q: control character", in, got)
			}
		}
	})
}

func TestHumanSizeAndPrintable(t *testing.T) {
	for n, want := range map[int64]string{0: "0 B", 999: "999 B", 1000: "1.0 kB", 1_500_000: "1.5 MB", 999_999_999: "1.0 GB", 3e12: "3.0 TB"} {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
	if got := printable("a\x1b]0;title\x07b\u202e  c\n", 80); got != "a ]0;title b c" {
		t.Errorf("printable = %q", got)
	}
	if got := printable("abcdef", 4); got != "abc…" {
		t.Errorf("printable = %q", got)
	}
}
