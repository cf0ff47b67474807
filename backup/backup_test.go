package backup

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/api"
	"navette/app"
	"navette/app/apptest"
	"navette/client"
	"navette/keyring"
	"navette/proof"
	"navette/receipt"
)

var start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// deposit sends data from the agent of token to avocat@barreau.example and
// returns the deposit's id.
func deposit(t *testing.T, c *client.Client, data []byte) string {
	t.Helper()
	ctx := context.Background()
	d, err := c.CreateDeposit(ctx, api.CreateDeposit{Recipients: []string{"avocat@barreau.example"}, Reference: "RG 26/00017"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Upload(ctx, d.ID, "acte.pdf", bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Submit(ctx, d.ID); err != nil {
		t.Fatal(err)
	}
	return d.ID
}

// startApp starts a platform with an agent and a lawyer, and returns it
// and the agent's client.
func startApp(t *testing.T) (*app.App, *client.Client) {
	t.Helper()
	a := apptest.Start(t, apptest.NewTickingClock(start))
	token := apptest.User(t, a, "agent@justice.example", "Agent", navette.RoleAgent)
	apptest.User(t, a, "avocat@barreau.example", "Avocat", navette.RolePartner)
	c, err := client.New(a.URL(), token)
	if err != nil {
		t.Fatal(err)
	}
	return a, c
}

// TestCreateBlobDeletedMeanwhile: a blob the snapshot references that the
// sweeper deletes before it is copied makes Create take a new snapshot,
// without it; a blob that is gone at every attempt fails the backup,
// leaving neither the file nor a temporary one behind. The moment of the
// deletion is injected (beforeCopy): a real sweeper cannot be made to run
// between the snapshot and the copy otherwise.
func TestCreateBlobDeletedMeanwhile(t *testing.T) {
	ctx := context.Background()
	a, c := startApp(t)
	deposit(t, c, []byte("gardé"))
	gone := deposit(t, c, []byte("purgé"))

	var attempts []int
	t.Cleanup(func() { beforeCopy = nil })
	beforeCopy = func(attempt int) {
		attempts = append(attempts, attempt)
		if attempt > 0 {
			return
		}
		if err := c.Revoke(ctx, gone); err != nil {
			t.Error(err)
		}
		if st, err := a.Deposits.Sweep(ctx); err != nil || st.BlobsDeleted != 1 {
			t.Errorf("Sweep = %+v, %v; want one blob deleted", st, err)
		}
	}
	out := filepath.Join(t.TempDir(), "b.tar")
	m, err := Create(ctx, a.Config.DataDir, out, false, start)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := m.Blobs(); n != 1 || len(attempts) != 2 {
		t.Errorf("%d blobs after attempts %v; want 1 after a retry", n, attempts)
	}

	attempts = nil
	beforeCopy = func(attempt int) {
		attempts = append(attempts, attempt)
		blobs, _ := filepath.Glob(filepath.Join(a.Config.DataDir, "blobs", "blobs", "*", "*"))
		for _, b := range blobs {
			os.Remove(b)
		}
	}
	out2 := filepath.Join(filepath.Dir(out), "b2.tar")
	if _, err := Create(ctx, a.Config.DataDir, out2, false, start); !errors.Is(err, ErrBlobGone) || len(attempts) != Attempts {
		t.Errorf("Create with blobs gone = %v after attempts %v", err, attempts)
	}
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(out), "b2*"))
	tmp, _ := filepath.Glob(filepath.Join(a.Config.DataDir, ".backup-*"))
	if len(left) != 0 || len(tmp) != 0 {
		t.Errorf("left behind: %v %v", left, tmp)
	}
}

// craft returns an archive as Create writes it, with the given entries and
// a manifest listing them, around a database that is not one.
func craft(t testing.TB, entries map[string]string) []byte {
	var buf bytes.Buffer
	aw := newArchiveWriter(&buf, start)
	for _, name := range []string{dbEntry, blobPrefix + strings.Repeat("a", 32), uploadPrefix + strings.Repeat("b", 32)} {
		if v, ok := entries[name]; ok {
			if err := aw.add(name, strings.NewReader(v), int64(len(v))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := aw.finish(&Manifest{Format: Format, CreatedAt: start, Files: aw.files}); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// FuzzRestore: whatever the archive, Restore does not panic, and when it
// refuses it leaves no directory behind.
//
// fuzz: 2000x
func FuzzRestore(f *testing.F) {
	f.Add([]byte{})
	f.Add(craft(f, map[string]string{dbEntry: "not sqlite"}))
	f.Add(craft(f, map[string]string{dbEntry: "x", blobPrefix + strings.Repeat("a", 32): "sealed", uploadPrefix + strings.Repeat("b", 32): "half"}))
	root := f.TempDir()
	n := 0
	f.Fuzz(func(t *testing.T, b []byte) {
		n++
		dir := filepath.Join(root, "r", strings.Repeat("x", n%3+1))
		os.RemoveAll(filepath.Join(root, "r"))
		if _, err := Restore(context.Background(), bytes.NewReader(b), dir, nil); err != nil {
			if _, serr := os.Stat(dir); serr == nil {
				t.Fatalf("refused (%v) but left %s", err, dir)
			}
		}
	})
}

// TestBackupBoundsRetiredKeys: after a journal key rotation, the backup's
// key list carries the retired key's "# retired" line, so that a restore
// refuses, as the live platform does, a checkpoint of a larger tree than
// the journal had at the rotation signed by a copy of the retired key
// (someone who kept it and can write the database); without the line it
// was accepted.
func TestBackupBoundsRetiredKeys(t *testing.T) {
	ctx := context.Background()
	a, c := startApp(t)
	deposit(t, c, []byte("avant"))
	if _, err := a.Checkpointer.Checkpoint(ctx); err != nil {
		t.Fatal(err)
	}
	old, err := a.JournalKeys.Signer()
	if err != nil {
		t.Fatal(err)
	}
	var rot keyring.Rotation
	if _, err := a.Checkpointer.RotateKey(ctx, func(ctx context.Context) error {
		rot, err = a.JournalKeys.Rotate(func() (int64, error) { return a.Meta.TreeSize(ctx) })
		return err
	}); err != nil {
		t.Fatal(err)
	}
	deposit(t, c, []byte("après"))

	// The copy of the retired key signs the real tree, now larger.
	size, err := a.Meta.TreeSize(ctx)
	if err != nil {
		t.Fatal(err)
	}
	root, err := tlog.TreeHash(size, proof.HashReader(ctx, a.Meta))
	if err != nil {
		t.Fatal(err)
	}
	forged, err := proof.Sign(old, size, root)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Meta.AddCheckpoint(ctx, &navette.Checkpoint{Size: size, Root: root, Note: forged, CreatedAt: start.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := proof.Verify(ctx, a.Meta, a.Checkpointer.KeyList(), nil); err == nil {
		t.Fatal("the live platform's key list accepts the retired key's checkpoint of a larger tree")
	}

	out := filepath.Join(t.TempDir(), "b.tar")
	m, err := Create(ctx, a.Config.DataDir, out, false, start)
	if err != nil {
		t.Fatal(err)
	}
	want := receipt.RetiredLine(rot.Retired, rot.RetiredAt)
	if !slices.Equal(m.Verifiers, a.Checkpointer.KeyList()) || !slices.Contains(m.Verifiers, want) {
		t.Errorf("the backup's keys %q, want the published list %q, with %q", m.Verifiers, a.Checkpointer.KeyList(), want)
	}
	f, err := os.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := Restore(ctx, f, filepath.Join(t.TempDir(), "restored"), nil); err == nil || !strings.Contains(err.Error(), "retired") {
		t.Errorf("Restore of a journal with the retired key's checkpoint of a larger tree = %v, want it refused", err)
	}
}

// TestCreateRemovesStaleCopies: the copy of the database that a backup
// killed midway left in the data directory, beside the keys, is removed by
// the next backup; the copy of a backup still running (its directory
// locked, here by the test) and one just made stay.
func TestCreateRemovesStaleCopies(t *testing.T) {
	a, c := startApp(t)
	deposit(t, c, []byte("acte"))
	dir := a.Config.DataDir
	mk := func(name string, age time.Duration) string {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.Mkdir(p, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "navette.db"), []byte("copy"), 0o600); err != nil {
			t.Fatal(err)
		}
		old := time.Now().Add(-age)
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	stale, running, young := mk(".backup-1111", time.Hour), mk(".backup-2222", time.Hour), mk(".backup-3333", 0)
	lock, err := lockDir(running)
	if err != nil || lock == nil {
		t.Fatalf("lockDir: %v, %v", lock, err)
	}
	defer lock.Close()
	if _, err := Create(t.Context(), dir, filepath.Join(t.TempDir(), "b.tar"), false, start); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		path string
		kept bool
	}{{stale, false}, {running, true}, {young, true}} {
		_, err := os.Stat(tc.path)
		if kept := err == nil; kept != tc.kept {
			t.Errorf("%q after Create: kept %v, want %v (%v)", filepath.Base(tc.path), kept, tc.kept, err)
		}
	}
}
