package keyring_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"navette/keyring"
)

// TestJournalKeys checks that the journal's signing key is made at first
// open, signs notes its verifier key opens, survives a reopen, and that a
// rotation (by another process) is followed, keeps the old verifier key,
// destroys the old signer key and records the tree size at its
// retirement; that a key of another name is kept until rotated to it.
func TestJournalKeys(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	const name = "navette.example/navette-journal"
	k, err := keyring.OpenJournalKeys(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.Open(dir); err != nil {
		t.Fatalf("the KEK keyring refuses the journal's files: %v", err)
	}
	s1, err := k.Signer()
	if err != nil {
		t.Fatal(err)
	}
	v1, err := k.Verifier()
	if err != nil || !strings.HasPrefix(v1, name+"+") {
		t.Fatalf("Verifier = %q, %v", v1, err)
	}
	msg, err := note.Sign(&note.Note{Text: "hello\n"}, s1)
	if err != nil {
		t.Fatal(err)
	}
	open := func(keys []string) error {
		var vs []note.Verifier
		for _, s := range keys {
			v, err := note.NewVerifier(s)
			if err != nil {
				t.Fatal(err)
			}
			vs = append(vs, v)
		}
		_, err := note.Open(msg, note.VerifierList(vs...))
		return err
	}
	if err := open([]string{v1}); err != nil {
		t.Fatalf("the verifier key does not open a signed note: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if fi, _ := e.Info(); fi.Mode().Perm() != 0o600 && !e.IsDir() {
			t.Errorf("%s has mode %v", e.Name(), fi.Mode().Perm())
		}
	}

	again, err := keyring.OpenJournalKeys(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := again.Verifier(); v != v1 {
		t.Errorf("reopened: verifier %q, want %q", v, v1)
	}
	r, err := again.Rotate(func() (int64, error) { return 42, nil })
	if v2 := r.Verifier; err != nil || v2 == v1 || !strings.HasPrefix(v2, name+"+") || r.Retired != v1 || r.RetiredAt != 42 {
		t.Fatalf("Rotate = %+v, %v", r, err)
	}
	s2, err := k.Signer()
	if err != nil || s2.KeyHash() == s1.KeyHash() {
		t.Fatalf("the first instance did not follow the rotation: %v", err)
	}
	if vs := k.Verifiers(); len(vs) != 2 || open(vs) != nil {
		t.Errorf("Verifiers after rotation = %q; want both, opening the old note", vs)
	}
	if _, err := os.Stat(filepath.Join(dir, "journal-"+strings.Split(v1, "+")[1]+".ed25519")); !os.IsNotExist(err) {
		t.Errorf("the old signer key is still on disk: %v", err)
	}
	if got := k.Retirements(); len(got) != 1 || got[v1] != 42 {
		t.Errorf("Retirements = %v, want %s at 42", got, v1)
	}

	other, err := keyring.OpenJournalKeys(dir, "other.example/navette-journal")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := other.Signer(); s.Name() != name || other.Name() != name || len(other.Verifiers()) != 2 {
		t.Errorf("another origin: signer %q, %d verifier keys; want the active key kept", s.Name(), len(other.Verifiers()))
	}
	r, err = other.RotateAs("other.example/navette-journal", func() (int64, error) { return 50, nil })
	if s, _ := other.Signer(); err != nil || s.Name() != "other.example/navette-journal" || len(other.Verifiers()) != 3 || r.RetiredAt != 50 {
		t.Errorf("RotateAs: %+v, %v: signer %q, %d verifier keys", r, err, s.Name(), len(other.Verifiers()))
	}
	if got := other.Retirements(); len(got) != 2 || got[v1] != 42 || got[r.Retired] != 50 {
		t.Errorf("Retirements = %v", got)
	}

	if err := os.Chmod(filepath.Join(dir, "journal-active"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenJournalKeys(dir, name); err == nil {
		t.Error("a journal-active readable by others was accepted")
	}
}

// TestJournalKeysNoName checks that opening without a name keeps the
// active key, and names a first key DefaultJournalName; so does opening
// with another name.
func TestJournalKeysNoName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := keyring.OpenJournalKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Signer(); s.Name() != keyring.DefaultJournalName {
		t.Fatalf("first key named %q", s.Name())
	}
	if k, err := keyring.OpenJournalKeys(dir, "court.example/navette-journal"); err != nil || k.Name() != keyring.DefaultJournalName {
		t.Fatalf("another name: %v", err)
	}
	k, err = keyring.OpenJournalKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Signer(); s.Name() != keyring.DefaultJournalName || len(k.Verifiers()) != 1 {
		t.Errorf("without a name: key %q, %d verifier keys", s.Name(), len(k.Verifiers()))
	}
}

// TestJournalKeysRetiredRecord: an active key that a retirement record
// names (a record copied beside a key that should have been replaced) signs
// nothing, and a malformed record is refused.
func TestJournalKeysRetiredRecord(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := keyring.OpenJournalKeys(dir, "court.example/navette-journal")
	if err != nil {
		t.Fatal(err)
	}
	s, err := k.Signer()
	if err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(dir, fmt.Sprintf("journal-%08x.retired", s.KeyHash()))
	for _, tc := range []struct{ data, want string }{
		{"12\n", "was retired"},
		{"12", "malformed"},
		{"-1\n", "malformed"},
		{"012\n", "malformed"},
	} {
		if err := os.WriteFile(record, []byte(tc.data), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := k.Signer(); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("record %q: Signer = %v, want %q", tc.data, err, tc.want)
		}
	}
}
