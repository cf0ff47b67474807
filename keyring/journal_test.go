package keyring_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/mod/sumdb/note"

	"navette/keyring"
)

// TestJournalKeys checks that the journal's signing key is made at first
// open, signs notes its verifier key opens, survives a reopen, and that a
// rotation (by another process) is followed, keeps the old verifier key and
// destroys the old signer key.
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
	v2, err := again.Rotate()
	if err != nil || v2 == v1 || !strings.HasPrefix(v2, name+"+") {
		t.Fatalf("Rotate = %q, %v", v2, err)
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

	other, err := keyring.OpenJournalKeys(dir, "other.example/navette-journal")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := other.Signer(); s.Name() != "other.example/navette-journal" || len(other.Verifiers()) != 3 {
		t.Errorf("a new origin: signer %q, %d verifier keys", s.Name(), len(other.Verifiers()))
	}

	if err := os.Chmod(filepath.Join(dir, "journal-active"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := keyring.OpenJournalKeys(dir, name); err == nil {
		t.Error("a journal-active readable by others was accepted")
	}
}

// TestJournalKeysNoName checks that opening without a name keeps the
// active key, and names a first key DefaultJournalName.
func TestJournalKeysNoName(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := keyring.OpenJournalKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Signer(); s.Name() != keyring.DefaultJournalName {
		t.Fatalf("first key named %q", s.Name())
	}
	if _, err := keyring.OpenJournalKeys(dir, "court.example/navette-journal"); err != nil {
		t.Fatal(err)
	}
	k, err = keyring.OpenJournalKeys(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	if s, _ := k.Signer(); s.Name() != "court.example/navette-journal" || len(k.Verifiers()) != 2 {
		t.Errorf("without a name: key %q, %d verifier keys", s.Name(), len(k.Verifiers()))
	}
}
