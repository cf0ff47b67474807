package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"navette"
	"navette/api"
	"navette/app"
	"navette/client"
	"navette/internal/testproxy"
	"navette/safename"
	"navette/seal"
)

func TestSend(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	ctx := context.Background()
	dir := t.TempDir()
	a := writeFile(t, dir, "conclusions.pdf", randomBytes(1<<20+3, 1))
	b := writeFile(t, dir, "pièces jointes.zip", randomBytes(4001, 2))
	empty := writeFile(t, dir, "vide.txt", nil)
	for i, args := range [][]string{
		{"send", "--to", lawyer + ", " + other, "--ref", "RG 24/001", "--retention", "10", a, b, empty},
		{"send", a, "--to=" + lawyer, b, "--ref", "RG 24/002", "--message", "Bonjour", "--", empty}, // flags after files
	} {
		r := runCLI(t, e.vars(e.agent), i == 1, args...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", args, r.code, r.stderr)
		}
		id := lastLine(r.stdout)
		d, err := e.client(e.agent).Deposit(ctx, id)
		if err != nil || d.State != "available" || len(d.Files) != 3 {
			t.Fatalf("last line %q: deposit %+v, %v", id, d, err)
		}
		for j, p := range []string{a, b, empty} {
			want, _ := os.ReadFile(p)
			if f := d.Files[j]; f.Name != filepath.Base(p) || f.Size != int64(len(want)) || f.SHA256 != sha(want) {
				t.Errorf("file %d: %+v", j, f)
			}
		}
		var to []string
		for _, rc := range d.Recipients {
			to = append(to, rc.Email)
		}
		if i == 1 {
			if d.Message != "Bonjour" || d.Reference != "RG 24/002" || !slices.Equal(to, []string{lawyer}) {
				t.Errorf("deposit %+v", d)
			}
			// Progress went to the terminal, not to stdout.
			if !strings.Contains(r.stderr, "\r") || !strings.Contains(r.stderr, "conclusions.pdf") || !strings.Contains(r.stderr, "100%") {
				t.Errorf("no progress on stderr: %q", r.stderr)
			}
			if strings.TrimSpace(r.stdout) != id {
				t.Errorf("stdout %q", r.stdout)
			}
		} else if r.stderr != "" || d.RetentionDays != 10 || d.Reference != "RG 24/001" || len(to) != 2 || !slices.Contains(to, lawyer) || !slices.Contains(to, other) {
			t.Errorf("stderr %q, deposit %+v", r.stderr, d)
		}

		// The recipient gets the files back, byte for byte, and is told
		// where each one went.
		out := t.TempDir()
		g := runCLI(t, e.vars(e.lawyer), false, "get", "--out", out, id)
		var want []string
		for _, p := range []string{a, b, empty} {
			want = append(want, filepath.Join(out, filepath.Base(p)))
		}
		if g.code != 0 || g.stdout != strings.Join(want, "\n")+"\n" {
			t.Fatalf("get: exit %d, stdout %q, stderr %q", g.code, g.stdout, g.stderr)
		}
		for j, p := range []string{a, b, empty} {
			sent, _ := os.ReadFile(p)
			if got, err := os.ReadFile(want[j]); err != nil || !bytes.Equal(got, sent) {
				t.Errorf("%s: not the file sent (%v)", want[j], err)
			}
		}
		if got := tree(t, out); len(got) != 3 {
			t.Errorf("files saved: %q", got)
		}
	}
}

func sentCount(t *testing.T, e *testEnv) int {
	l, err := e.client(e.agent).List(context.Background(), client.BoxSent, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Deposits)
}

func TestSendChecksFilesFirst(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir := t.TempDir()
	a := writeFile(t, dir, "a.pdf", []byte("a"))
	missing := filepath.Join(dir, "absent.pdf")
	for _, bad := range []string{missing, dir} {
		r := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "R", a, bad)
		if r.code != 1 || !strings.Contains(r.stderr, bad) || r.stdout != "" {
			t.Errorf("%s: %+v", bad, r)
		}
	}
	if n := sentCount(t, e); n != 0 {
		t.Errorf("%d deposits created", n)
	}
}

func TestSendFailure(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *app.Config) { c.Limits.MaxFileSize = 100 })
	dir := t.TempDir()
	small := writeFile(t, dir, "small.pdf", []byte("small"))
	big := writeFile(t, dir, "big.pdf", make([]byte, 101))
	r := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "R", small, big)
	if r.code != 1 || r.stdout != "" || !strings.HasSuffix(r.stderr, "\nnavette send: "+big+": Files may be at most 100 B (100 bytes); this one has 101 bytes.\n") {
		t.Fatalf("%+v", r)
	}
	l, err := e.client(e.agent).List(context.Background(), client.BoxSent, "", 0)
	if err != nil || len(l.Deposits) != 1 || l.Deposits[0].State != "draft" ||
		!strings.HasPrefix(r.stderr, "navette send: deposit "+l.Deposits[0].ID+" was not submitted; the server will delete the draft\n") {
		t.Errorf("draft not reported: %+v, %q", l, r.stderr)
	}
}

// The server keeps only the last element of a name and refuses names with
// control or bidi characters: send stops at once with the server's reason.
func TestSendHostileNames(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	dir := t.TempDir()
	for _, name := range []string{"facture\u202egnp.exe", "esc\x1b[2Jape.txt"} {
		p := writeFile(t, dir, name, []byte("x"))
		r := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "R", p)
		lines := strings.Split(r.stderr, "\n")
		if r.code != 1 || r.stdout != "" || len(lines) != 3 || lines[2] != "" ||
			!strings.HasPrefix(lines[0], "navette send: deposit ") || !strings.HasSuffix(lines[0], " was not submitted; the server will delete the draft") ||
			lines[1] != "navette send: "+p+": A file name must be 1 to 255 printable characters." {
			t.Errorf("%q: %+v", name, r)
		}
	}
	// A backslash is a path separator to the server, which keeps what
	// follows the last one.
	p := writeFile(t, dir, `..\..\a\b.pdf`, []byte("b"))
	r := runCLI(t, e.vars(e.agent), false, "send", "--to", lawyer, "--ref", "R", p)
	if r.code != 0 {
		t.Fatalf("%+v", r)
	}
	id := lastLine(r.stdout)
	root := t.TempDir()
	out := filepath.Join(root, "out")
	g := runCLI(t, e.vars(e.lawyer), false, "get", "--out", out, id)
	if g.code != 0 || g.stdout != filepath.Join(out, "b.pdf")+"\n" || !slices.Equal(tree(t, root), []string{filepath.Join("out", "b.pdf")}) {
		t.Errorf("get: %+v, files %q", g, tree(t, root))
	}
}

func TestUsageErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	id := "a234567abcdefghijklmnopqrstuvwxy"
	noServer := map[string]string{"NAVETTE_TOKEN": e.agent}
	for _, c := range []struct {
		vars map[string]string
		args []string
		msg  string
	}{
		{noServer, []string{"send", "--to", lawyer, "--ref", "R", "x"}, "navette send: no server: set --server or NAVETTE_SERVER\n"},
		{noServer, []string{"inbox"}, "navette inbox: no server: set --server or NAVETTE_SERVER\n"},
		{noServer, []string{"get", id}, "navette get: no server: set --server or NAVETTE_SERVER\n"},
		{noServer, []string{"revoke", id}, "navette revoke: no server: set --server or NAVETTE_SERVER\n"},
		{map[string]string{"NAVETTE_SERVER": e.url}, []string{"inbox"}, "navette inbox: no token: set NAVETTE_TOKEN or --token\n"},
		{e.vars(e.agent), []string{"send", "--ref", "R", "x"}, ""},
		{e.vars(e.agent), []string{"send", "--to", lawyer, "x"}, ""},
		{e.vars(e.agent), []string{"send", "--to", lawyer, "--ref", "R"}, ""},
		{e.vars(e.agent), []string{"send", "--to", lawyer, "--ref", "R", "--bogus", "x"}, ""},
		{e.vars(e.agent), []string{"get"}, ""},
		{e.vars(e.agent), []string{"get", "../etc"}, ""},
		{e.vars(e.agent), []string{"revoke", id, id}, ""},
		{e.vars(e.agent), []string{"inbox", "--box", "trash"}, ""},
		{map[string]string{"NAVETTE_SERVER": "ftp://x", "NAVETTE_TOKEN": "t"}, []string{"inbox"}, ""},
		{nil, []string{"serve", "--data", t.TempDir(), "--trusted-proxies", "10.0.0.0/8,proxy.example"},
			"navette serve: --trusted-proxies: not a network (10.0.0.0/8) or an address (192.0.2.7): proxy.example\n"},
		{map[string]string{"NAVETTE_TRUSTED_PROXIES": "10.0.0.0/33"}, []string{"serve", "--data", t.TempDir()},
			"navette serve: --trusted-proxies: not a network (10.0.0.0/8) or an address (192.0.2.7): 10.0.0.0/33\n"},
		{nil, []string{"serve", "--data", t.TempDir(), "--proof-retention", "364"},
			"navette serve: --proof-retention must be at least 365 days: proofs are kept at least one year after a deposit's purge\n"},
		{nil, []string{"serve", "--data", t.TempDir(), "--accessibility", "partiellement"},
			"navette serve: --accessibility must be none, partial or full\n"},
	} {
		if r := runCLI(t, c.vars, false, c.args...); r.code != 2 || c.msg != "" && r.stderr != c.msg {
			t.Errorf("%v: exit %d, %q", c.args, r.code, r.stderr)
		}
	}
	if r := runCLI(t, e.vars(e.agent), false, "send", "--help"); r.code != 0 || !strings.Contains(r.stderr, "Usage: navette send") {
		t.Errorf("help: %+v", r)
	}
	if n := sentCount(t, e); n != 0 {
		t.Errorf("%d deposits created", n)
	}
}

func TestGetHostileNames(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	long := strings.Repeat("é", 123) + ".pdf" // 250 bytes: the server keeps it
	// Names the server takes, and how it keeps them.
	accepted := []struct{ sent, kept, saved string }{
		{"../../etc/passwd", "passwd", "passwd"},
		{`"><img src=x onerror=alert(1)>.pdf`, `"><img src=x onerror=alert(1)>.pdf`, "___img src=x onerror=alert(1)_.pdf"},
		{`a/b\c`, "c", "c"},
		{`C:\Windows\system32\evil.exe`, "evil.exe", "evil.exe"},
		{long, long, "*"},
		{".bashrc", ".bashrc", "bashrc"},
		{"CON.txt", "CON.txt", "_CON.txt"},
		{"/etc/passwd", "passwd", "passwd (1)"}, // a second, different "passwd"
	}
	// Names the server refuses at upload, served all the same by a server
	// that went wrong (see rename); "" means the file id, "*" a long name
	// checked below.
	refused := []struct{ name, saved string }{
		{"..", ""},
		{"x\x00y.txt", "x_y.txt"},
		{strings.Repeat("è", 150) + ".pdf", "*"},
		{"facture\u202egnp.exe", "facturegnp.exe"},
		{"", ""},
		{"esc\x1b[2Jape\r\n.txt", "esc_[2Jape__.txt"},
		{"../../etc/passwd", "passwd (2)"},
		{`..\..\Users\x\evil.lnk`, "evil.lnk"},
	}
	var files []file
	for i, n := range accepted {
		files = append(files, file{n.sent, randomBytes(1000+i, uint64(i))})
	}
	for i := range refused {
		files = append(files, file{"placeholder.bin", randomBytes(2000+i, uint64(100+i))})
	}
	id, fids := e.deposit("RG", files...)
	d, err := e.client(e.agent).Deposit(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range accepted {
		if d.Files[i].Name != n.kept {
			t.Errorf("the server kept %q as %q, want %q", n.sent, d.Files[i].Name, n.kept)
		}
	}
	names := map[string]string{}
	for i, n := range refused {
		names[fids[len(accepted)+i]] = n.name
	}
	e.rename(id, names)

	root := t.TempDir()
	out := filepath.Join(root, "sub", "out")
	r := runCLI(t, e.vars(e.lawyer), false, "get", "--out", out, id)
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var want []string
	for _, n := range accepted {
		want = append(want, n.saved)
	}
	for i, n := range refused {
		if n.saved == "" {
			n.saved = fids[len(accepted)+i]
		}
		want = append(want, n.saved)
	}
	paths := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(paths) != len(files) {
		t.Fatalf("stdout %q", r.stdout)
	}
	for i, p := range paths {
		if filepath.Dir(p) != out {
			t.Errorf("file %d saved as %q, outside %s", i, p, out)
		}
		base := filepath.Base(p)
		if want[i] != "*" && base != want[i] {
			t.Errorf("file %d saved as %q, want %q", i, base, want[i])
		}
		if !safename.Valid(base) || !utf8.ValidString(base) || strings.IndexFunc(base, func(r rune) bool { return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) }) >= 0 {
			t.Errorf("bad name %q", base)
		}
		got, err := os.ReadFile(p)
		if err != nil || !bytes.Equal(got, files[i].data) {
			t.Errorf("%s: content differs (%v)", p, err)
		}
		st, _ := os.Stat(p)
		if st.Mode().Perm()&0o077 != 0 {
			t.Errorf("%s: mode %v", p, st.Mode())
		}
	}
	for i, c := range map[int]string{4: "é", len(accepted) + 2: "è"} {
		if b := filepath.Base(paths[i]); !strings.HasSuffix(b, ".pdf") || len(b) < 190 || strings.Trim(strings.TrimSuffix(b, ".pdf"), c) != "" {
			t.Errorf("long name cut badly: %q (%d bytes)", b, len(b))
		}
	}
	got := tree(t, root)
	if len(got) != len(files) {
		t.Errorf("files under the root: %q", got)
	}
	for _, f := range got {
		if !strings.HasPrefix(f, filepath.Join("sub", "out")+string(filepath.Separator)) || strings.Contains(f, partSuffix) {
			t.Errorf("stray file %q", f)
		}
	}

	// Again: everything is there already, nothing is duplicated.
	r2 := runCLI(t, e.vars(e.lawyer), false, "get", "--out", out, id)
	if r2.code != 0 || r2.stdout != r.stdout || len(tree(t, root)) != len(files) {
		t.Errorf("second get: %+v", r2)
	}
}

// A file whose stored blob was altered is refused by the server, and one
// altered on the way is refused by get: either way get fails and leaves
// neither the file nor a part file behind.
func TestGetCorrupted(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	p := e.proxy()
	data := randomBytes(4*seal.SegmentSize+1000, 3)
	for _, c := range []struct {
		name   string
		damage func(e *testEnv, fid string)
		gets   int // requests for the file
		msg    string
	}{
		{"first segment altered on disk", func(e *testEnv, fid string) {
			e.damage(fid, func(b []byte) { b[seal.HeaderSize+100] ^= 1 })
		}, 1, "The stored file failed its integrity check."},
		// The server sends the good segments, cuts the connection at the bad
		// one, and refuses the resumption.
		{"last segment altered on disk", func(e *testEnv, fid string) {
			e.damage(fid, func(b []byte) { b[len(b)-20] ^= 0x80 })
		}, 2, "The stored file failed its integrity check."},
		// The server sends the right bytes, one of which is altered on the
		// way, well into the file's body.
		{"byte altered in transit", func(*testEnv, string) { p.Corrupt(testproxy.Downstream, 150_000) }, 1,
			"corrupted download, deleted (its SHA-256 differs from the deposit's); nothing was saved"},
	} {
		id, fids := e.deposit("RG", file{"acte.pdf", data})
		c.damage(e, fids[0])
		out := t.TempDir()
		r := runCLI(t, varsAt(p.URL(), e.lawyer), false, "get", "--out", out, id)
		said := r.stderr
		if c.gets == 2 { // the cut is said, then retried
			retry, rest, _ := strings.Cut(said, "\n")
			if !strings.HasPrefix(retry, "navette: ") || !strings.Contains(retry, "; retrying in ") {
				t.Errorf("%s: the retry is not said: %q", c.name, r.stderr)
			}
			said = rest
		}
		if r.code != 1 || r.stdout != "" || !strings.HasPrefix(said, "navette get: acte.pdf: "+c.msg+"\n") {
			t.Errorf("%s: %+v", c.name, r)
		}
		if files := tree(t, out); len(files) != 0 {
			t.Errorf("%s: left behind: %q", c.name, files)
		}
		if n := len(fileGets(p, id, fids[0])); n != c.gets {
			t.Errorf("%s: %d requests for the file, want %d", c.name, n, c.gets)
		}
	}
}

func TestGetCutMidStream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	data := randomBytes(500_000, 4)
	id, fids := e.deposit("RG", file{"acte.pdf", data})
	p := e.proxy()
	const cut = 200_000
	f := p.Cut(testproxy.Downstream, cut, 1) // get resumes by itself
	out := t.TempDir()
	r := runCLI(t, varsAt(p.URL(), e.lawyer), false, "get", "--out", out, id)
	if r.code != 0 || r.stdout != filepath.Join(out, "acte.pdf")+"\n" {
		t.Fatalf("%+v", r)
	}
	select {
	case <-f.Done():
	default:
		t.Fatal("the connection was not cut")
	}
	// Without a terminal, the retry is said on a line of its own.
	if lines := strings.Split(strings.TrimSpace(r.stderr), "\n"); len(lines) != 1 || !strings.HasPrefix(lines[0], "navette: ") || !strings.Contains(lines[0], "; retrying in ") {
		t.Errorf("stderr: %q, want one line saying get retries", r.stderr)
	}
	if got, _ := os.ReadFile(filepath.Join(out, "acte.pdf")); !bytes.Equal(got, data) {
		t.Error("content differs")
	}
	if files := tree(t, out); len(files) != 1 {
		t.Errorf("files: %q", files)
	}
	// Two requests: the whole file, then the rest from where it stopped
	// (the cut fell in the body of the file's answer, after its head).
	tr := p.Transcript(testproxy.Downstream)
	i := bytes.Index(tr, []byte("\r\nRepr-Digest: "))
	body := i + bytes.Index(tr[i:], []byte("\r\n\r\n")) + 4
	gets := fileGets(p, id, fids[0])
	if len(gets) != 2 || gets[0].Header.Get("Range") != "" || gets[1].Header.Get("Range") != "bytes="+strconv.Itoa(cut-body)+"-" || gets[1].Header.Get("If-Range") == "" {
		t.Errorf("%d requests (the cut left %d bytes): %v", len(gets), cut-body, gets)
	}
	if n := p.Forwarded(testproxy.Downstream); n >= int64(len(data))+cut {
		t.Errorf("%d bytes came for a %d-byte file: the download started over", n, len(data))
	}
}

func TestGetResumesPart(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	data := randomBytes(400_000, 5)
	id, fids := e.deposit("RG", file{"acte.pdf", data})
	p := e.proxy()
	out := t.TempDir()
	part := filepath.Join(out, "."+fids[0]+partSuffix)

	for _, c := range []struct {
		name  string
		part  []byte
		ok    bool
		rng   string // the Range asked
		stays bool
	}{
		{"half", data[:150_000], true, "bytes=150000-", false},
		{"complete", data, true, "bytes=399999-", false},
		{"too long", append(slices.Clone(data), 1, 2, 3), true, "", false},
		{"bad prefix", append([]byte("garbage"), data[7:100_000]...), false, "bytes=100000-", false},
	} {
		os.Remove(filepath.Join(out, "acte.pdf"))
		writeFile(t, out, "."+fids[0]+partSuffix, c.part)
		before := len(fileGets(p, id, fids[0]))
		r := runCLI(t, varsAt(p.URL(), e.lawyer), false, "get", "--out", out, id)
		got, _ := os.ReadFile(filepath.Join(out, "acte.pdf"))
		if c.ok != (r.code == 0) || c.ok != bytes.Equal(got, data) {
			t.Errorf("%s: %+v", c.name, r)
		}
		if _, err := os.Stat(part); err == nil {
			t.Errorf("%s: part file left", c.name)
		}
		gets := fileGets(p, id, fids[0])[before:]
		if len(gets) != 1 || gets[0].Header.Get("Range") != c.rng {
			t.Errorf("%s: %d requests, want one with Range %q", c.name, len(gets), c.rng)
		}
	}
}

func TestGetExisting(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	data := randomBytes(10_000, 6)
	id, fids := e.deposit("RG", file{"acte.pdf", data})
	p := e.proxy()
	out := t.TempDir()
	other := writeFile(t, out, "acte.pdf", []byte("a different file"))
	r := runCLI(t, varsAt(p.URL(), e.lawyer), false, "get", "--out", out, id)
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
	before := len(fileGets(p, id, fids[0]))
	r = runCLI(t, varsAt(p.URL(), e.lawyer), false, "get", "--out", out, id)
	if after := len(fileGets(p, id, fids[0])); r.code != 0 || strings.TrimSpace(r.stdout) != want || after != before || before != 1 ||
		r.stderr != "navette get: "+want+" is already there\n" {
		t.Errorf("%+v, %d downloads", r, after-before)
	}
}

func TestGetErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	id, _ := e.deposit("RG", file{"a", []byte("a")})
	r := runCLI(t, e.vars(e.agent+"x"), false, "get", "--out", t.TempDir(), id)
	if r.code != 1 || r.stderr != "navette get: The API token is missing, unknown, expired or revoked.\n" || strings.Contains(r.stderr, e.agent) {
		t.Errorf("%+v", r)
	}
	// A deposit that does not exist, and someone else's: the same answer.
	for _, c := range []struct{ token, id string }{{e.lawyer, "a234567abcdefghijklmnopqrstuvwxy"}, {e.stranger, id}} {
		out := t.TempDir()
		r = runCLI(t, e.vars(c.token), false, "get", "--out", out, c.id)
		if r.code != 1 || r.stdout != "" || r.stderr != "navette get: No such deposit.\n" || len(tree(t, out)) != 0 {
			t.Errorf("%s: %+v", c.id, r)
		}
	}
}

func TestInboxAndRevoke(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	id, _ := e.deposit("RG 24/001 red", file{"a", make([]byte, 1_500_000)})
	// Failure injection: the server refuses a reference with control
	// characters (see rename), so an escape sequence is put in its store.
	e.setReference(id, "RG 24/001 \x1b[31mred")
	r := runCLI(t, e.vars(e.lawyer), false, "inbox")
	if r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, agent) || !strings.Contains(r.stdout, "1.5 MB") ||
		!strings.Contains(r.stdout, "RG 24/001 [31mred") || strings.Contains(r.stdout, "\x1b") || !strings.HasPrefix(r.stdout, "ID ") {
		t.Errorf("%+v", r)
	}
	for _, c := range []struct {
		token string
		args  []string
	}{{e.lawyer, []string{"inbox", "--json"}}, {e.agent, []string{"inbox", "--box", "sent", "--json"}}} {
		r = runCLI(t, e.vars(c.token), false, c.args...)
		var l api.DepositList
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &l) != nil || len(l.Deposits) != 1 || l.Deposits[0].ID != id ||
			l.Deposits[0].TotalSize != 1_500_000 || l.Deposits[0].Reference != "RG 24/001 \x1b[31mred" {
			t.Errorf("%v: %+v", c.args, r)
		}
	}
	if r := runCLI(t, e.vars(e.lawyer), false, "revoke", id); r.code != 1 || r.stderr != "navette revoke: Only the sender may withdraw a deposit.\n" {
		t.Errorf("recipient revokes: %+v", r)
	}
	if r := runCLI(t, e.vars(e.agent), false, "revoke", id); r.code != 0 || r.stdout != "Deposit "+id+" revoked.\n" {
		t.Errorf("revoke: %+v", r)
	}
	out := t.TempDir()
	if r := runCLI(t, e.vars(e.lawyer), false, "get", "--out", out, id); r.code != 1 || r.stdout != "" ||
		r.stderr != "navette get: This deposit was withdrawn by its sender.\n" || len(tree(t, out)) != 0 {
		t.Errorf("get after revoke: %+v", r)
	}
	// Gone from the recipient's inbox; shown as revoked among the sender's.
	if r := runCLI(t, e.vars(e.lawyer), false, "inbox"); r.code != 0 || r.stdout != "No deposits.\n" {
		t.Errorf("inbox after revoke: %+v", r)
	}
	if r := runCLI(t, e.vars(e.agent), false, "inbox", "--box", "sent"); r.code != 0 || !strings.Contains(r.stdout, id) || !strings.Contains(r.stdout, "revoked") {
		t.Errorf("sent box after revoke: %+v", r)
	}
}

func TestRefused(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{navette.Errorf(navette.EINTERNAL, "The stored file failed its integrity check."), true},
		{fmt.Errorf("wrapped: %w", navette.Errorf(navette.EGONE, "withdrawn")), true},
		{navette.Errorf(navette.ENOTFOUND, "No such deposit."), true},
		{navette.Errorf(navette.EUNAVAILABLE, "later"), false},
		{navette.Errorf(navette.EUNAUTHORIZED, "token"), false},
		{io.ErrUnexpectedEOF, false},
		{context.Canceled, false},
	} {
		if got := refused(c.err); got != c.want {
			t.Errorf("refused(%v) = %v", c.err, got)
		}
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
