package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/client"
	"navette/internal/testproxy"
)

// TestAdminBackupRestore: a backup taken while the server runs, restored
// with the keys exported apart into a new directory, boots a server that
// serves the deposits made before the backup, byte for byte, and not the
// one made after, with a journal that verifies. The backup holds no key.
// Restore refuses a non-empty directory and an archive with any one byte
// flipped, leaving the directory empty; a compressed backup restores
// without keys and its journal still verifies.
func TestAdminBackupRestore(t *testing.T) {
	ctx := context.Background()
	e := newTestEnv(t)
	files := []file{{"acte.pdf", randomBytes(300<<10, 1)}, {"note.txt", []byte("court")}}
	before, beforeIDs := e.deposit("RG 26/00017", files...)

	// An upload cut off midway: its committed bytes are in the backup, and
	// it resumes on the restored server.
	p := e.proxy()
	cut, err := client.New(p.URL(), e.agent, client.WithRetry(client.RetryPolicy{}))
	if err != nil {
		t.Fatal(err)
	}
	draft, err := cut.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{lawyer}, Reference: "RG 26/00019"})
	if err != nil {
		t.Fatal(err)
	}
	big := randomBytes(3<<20, 4)
	p.Cut(testproxy.Upstream, 1<<20, 1)
	bigID, err := cut.Upload(ctx, draft.ID, "gros.bin", bytes.NewReader(big), int64(len(big)), nil)
	if err == nil || bigID == "" {
		t.Fatalf("cut upload = %q, %v", bigID, err)
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(10 * time.Millisecond) {
		f, err := e.app.Meta.File(ctx, bigID)
		if err != nil {
			t.Fatal(err)
		}
		if f.Offset > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the cut upload never recorded its bytes")
		}
	}

	tmp := t.TempDir()
	out := filepath.Join(tmp, "navette.tar")
	r := runCLI(t, nil, false, "admin", "backup", "--data", e.dir, "--out", out)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "backup "+out+": schema ") || !strings.Contains(r.stdout, " 3 blobs (") {
		t.Fatalf("backup: %+v", r)
	}
	if r := runCLI(t, nil, false, "admin", "backup", "--data", e.dir, "--out", out); r.code != 1 || !strings.Contains(r.stderr, "exists") {
		t.Errorf("backup over a file: %+v", r)
	}
	gz := filepath.Join(tmp, "navette.tar.gz")
	if r := runCLI(t, nil, false, "admin", "backup", "--data", e.dir, "--out", gz); r.code != 0 {
		t.Fatalf("compressed backup: %+v", r)
	}
	later := randomBytes(70<<10, 3)
	after, afterIDs := e.deposit("RG 26/00018", file{"later.bin", later})

	keys := filepath.Join(tmp, "keys.tar")
	if r := runCLI(t, nil, false, "admin", "key", "export", "--data", e.dir, "--out", keys); r.code != 0 || !strings.Contains(r.stdout, "key files exported") {
		t.Fatalf("key export: %+v", r)
	}
	if st, err := os.Stat(keys); err != nil || st.Mode().Perm() != 0o600 {
		t.Fatalf("key export: %v %v", st, err)
	}
	archive, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	keyFiles, _ := filepath.Glob(filepath.Join(e.dir, "keys", "*"))
	for _, k := range keyFiles {
		b, err := os.ReadFile(k)
		if err != nil {
			t.Fatal(err)
		}
		if secret := bytes.TrimSpace(b); len(secret) >= 32 && !strings.HasSuffix(k, ".pub") && bytes.Contains(archive, secret) {
			t.Errorf("the backup holds the key of %s", filepath.Base(k))
		}
	}

	full := filepath.Join(tmp, "full")
	if err := os.Mkdir(full, 0o700); err != nil {
		t.Fatal(err)
	}
	writeFile(t, full, "keep", []byte("x"))
	if r := runCLI(t, nil, false, "admin", "restore", "--data", full, "--from", out, "--keys", keys); r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, "not empty") {
		t.Errorf("restore into a non-empty directory: %+v", r)
	}
	if got := tree(t, full); len(got) != 1 {
		t.Errorf("restore into a non-empty directory touched it: %v", got)
	}

	for _, flip := range flipPoints(t, archive) {
		damaged := bytes.Clone(archive)
		damaged[flip.at] ^= 0x20
		p := filepath.Join(tmp, "damaged.tar")
		writeFile(t, tmp, "damaged.tar", damaged)
		dir := filepath.Join(tmp, "damaged")
		r := runCLI(t, nil, false, "admin", "restore", "--data", dir, "--from", p, "--keys", keys)
		if r.code != 1 || strings.Count(r.stderr, "\n") != 1 {
			t.Errorf("byte %d (%s) flipped: %+v", flip.at, flip.what, r)
		}
		if _, err := os.Stat(dir); err == nil {
			t.Errorf("byte %d (%s) flipped: %s left behind: %v", flip.at, flip.what, dir, tree(t, dir))
		}
	}

	restored := filepath.Join(tmp, "restored")
	r = runCLI(t, nil, false, "admin", "restore", "--data", restored, "--from", out, "--keys", keys)
	if r.code != 0 || !strings.Contains(r.stdout, " 3 blobs (") || !strings.Contains(r.stdout, "\njournal intact: ") {
		t.Fatalf("restore: %+v", r)
	}
	nokeys := filepath.Join(tmp, "nokeys")
	if r := runCLI(t, nil, false, "admin", "restore", "--data", nokeys, "--from", gz); r.code != 0 || !strings.Contains(r.stdout, " 0 key files\njournal intact: ") || !strings.Contains(r.stderr, "no keys restored") {
		t.Errorf("restore of the compressed backup without keys: %+v", r)
	}

	b := apptest.Start(t, apptest.NewTickingClock(time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)), func(c *app.Config) { c.DataDir = restored })
	c, err := client.New(b.URL(), e.lawyer)
	if err != nil {
		t.Fatal(err)
	}
	for i, id := range beforeIDs {
		var buf bytes.Buffer
		if _, err := c.Download(ctx, before, id, &buf, 0); err != nil {
			t.Fatalf("%s on the restored server: %v", files[i].name, err)
		}
		if sha(buf.Bytes()) != sha(files[i].data) {
			t.Errorf("%s on the restored server: SHA-256 %s, want %s", files[i].name, sha(buf.Bytes()), sha(files[i].data))
		}
	}
	sender, err := client.New(b.URL(), e.agent)
	if err != nil {
		t.Fatal(err)
	}
	if err := sender.ResumeUpload(ctx, api.PathUploads+bigID, bytes.NewReader(big), int64(len(big)), nil); err != nil {
		t.Fatalf("resuming the cut upload on the restored server: %v", err)
	}
	if _, err := sender.Submit(ctx, draft.ID); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := c.Download(ctx, draft.ID, bigID, &buf, 0); err != nil || sha(buf.Bytes()) != sha(big) {
		t.Errorf("the resumed upload on the restored server: SHA-256 %s, %v; want %s", sha(buf.Bytes()), err, sha(big))
	}
	if _, err := c.Download(ctx, after, afterIDs[0], io.Discard, 0); err == nil {
		t.Error("the deposit made after the backup is on the restored server")
	}
	if _, err := navette.VerifyJournal(ctx, b.Meta, nil); err != nil {
		t.Errorf("journal of the restored server: %v", err)
	}
}

// flipPoint is a byte of an archive to flip.
type flipPoint struct {
	at   int
	what string
}

// flipPoints returns, for each entry of the tar archive, a byte of its
// header, of its data and of its padding, and the last byte of the archive.
func flipPoints(t *testing.T, archive []byte) []flipPoint {
	t.Helper()
	cr := &countingReader{r: bytes.NewReader(archive)}
	tr := tar.NewReader(cr)
	var points []flipPoint
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		start := cr.n
		points = append(points, flipPoint{start - 512 + 10, hdr.Name + " header"}, flipPoint{start + int(hdr.Size)/2, hdr.Name})
		if hdr.Size%512 != 0 {
			points = append(points, flipPoint{start + int(hdr.Size), hdr.Name + " padding"})
		}
	}
	return append(points, flipPoint{len(archive) - 1, "end of archive"})
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
