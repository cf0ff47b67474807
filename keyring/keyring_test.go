package keyring

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"navette"
)

// openNew opens a keyring in a new directory and returns both.
func openNew(t *testing.T) (*Keyring, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "keys")
	k, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	return k, dir
}

// dataKey returns a test data key.
func dataKey(b byte) []byte { return bytes.Repeat([]byte{b}, 32) }

func TestOpenCreates(t *testing.T) {
	k, dir := openNew(t)
	id := k.ActiveID()
	if !validID(id) {
		t.Fatalf("ActiveID: got %q, want 16 lower-case hex digits", id)
	}
	if got := k.IDs(); !slices.Equal(got, []string{id}) {
		t.Errorf("IDs: got %v, want [%s]", got, id)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != 0o700 {
		t.Errorf("%q: got mode %04o, want 0700", dir, got)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if want := []string{id + ".key", "active"}; !slices.Equal(names, want) && !slices.Equal(names, []string{"active", id + ".key"}) {
		t.Fatalf("%q: got files %v, want %v", dir, names, want)
	}
	for _, name := range names {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != 0o600 {
			t.Errorf("%q: got mode %04o, want 0600", name, got)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, id+".key"))
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != 65 || b[64] != '\n' || !lowerHex(string(b[:64])) {
		t.Errorf("key file: got %q, want 64 lower-case hex digits and a newline", b)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "active")); string(b) != id+"\n" {
		t.Errorf("active file: got %q, want %q", b, id+"\n")
	}
}

func TestReopen(t *testing.T) {
	k, dir := openNew(t)
	w, err := k.Wrap(dataKey(1), "file1")
	if err != nil {
		t.Fatal(err)
	}
	k2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ActiveID() != k.ActiveID() {
		t.Errorf("reopened ActiveID: got %q, want %q", k2.ActiveID(), k.ActiveID())
	}
	got, err := k2.Unwrap(w, "file1")
	if err != nil || !bytes.Equal(got, dataKey(1)) {
		t.Errorf("Unwrap after reopening: got %x, %v, want %x", got, err, dataKey(1))
	}
}

func TestWrapUnwrap(t *testing.T) {
	k, _ := openNew(t)
	for _, n := range []int{1, 16, 32, 64} {
		dk := bytes.Repeat([]byte{byte(n)}, n)
		w, err := k.Wrap(dk, "deposit")
		if err != nil {
			t.Fatal(err)
		}
		if w.KeyID != k.ActiveID() || len(w.Data) != nonceSize+n+tagSize {
			t.Errorf("%d bytes: got key id %q and %d bytes, want %q and %d bytes", n, w.KeyID, len(w.Data), k.ActiveID(), nonceSize+n+tagSize)
		}
		got, err := k.Unwrap(w, "deposit")
		if err != nil || !bytes.Equal(got, dk) {
			t.Errorf("%d bytes: got %x, %v, want %x", n, got, err, dk)
		}
	}
	w1, _ := k.Wrap(dataKey(1), "x")
	w2, _ := k.Wrap(dataKey(1), "x")
	if bytes.Equal(w1.Data, w2.Data) {
		t.Errorf("wrapping twice: got the same bytes, want random nonces")
	}
	if _, err := k.Wrap(nil, "x"); err == nil {
		t.Errorf("wrapping an empty key: got nil error, want an error")
	}
}

func TestUnwrapRefused(t *testing.T) {
	k, _ := openNew(t)
	other, _ := openNew(t)
	w, err := k.Wrap(dataKey(7), "file1")
	if err != nil {
		t.Fatal(err)
	}
	flipped := navette.WrappedKey{KeyID: w.KeyID, Data: bytes.Clone(w.Data)}
	flipped.Data[nonceSize] ^= 1
	tests := []struct {
		name string
		k    *Keyring
		w    navette.WrappedKey
		ad   string
		code string
	}{
		{"other object", k, w, "file2", navette.EINTERNAL},
		{"empty ad", k, w, "", navette.EINTERNAL},
		{"ad extended", k, w, "file1x", navette.EINTERNAL},
		{"flipped", k, flipped, "file1", navette.EINTERNAL},
		{"truncated", k, navette.WrappedKey{KeyID: w.KeyID, Data: w.Data[:len(w.Data)-1]}, "file1", navette.EINTERNAL},
		{"too short", k, navette.WrappedKey{KeyID: w.KeyID, Data: w.Data[:nonceSize+tagSize-1]}, "file1", navette.EINTERNAL},
		{"no data", k, navette.WrappedKey{KeyID: w.KeyID}, "file1", navette.EINTERNAL},
		{"unknown key id", other, w, "file1", navette.EUNAVAILABLE},
		{"malformed key id", k, navette.WrappedKey{KeyID: "../active", Data: w.Data}, "file1", navette.EINTERNAL},
		{"destroyed", k, navette.WrappedKey{}, "file1", navette.EGONE},
	}
	for _, tt := range tests {
		got, err := tt.k.Unwrap(tt.w, tt.ad)
		if code := navette.ErrorCode(err); code != tt.code || got != nil {
			t.Errorf("%q: got %x, %v, want code %s", tt.name, got, err, tt.code)
		}
		if tt.code == navette.EINTERNAL && !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: got %v, want %v", tt.name, err, ErrCorrupt)
		}
	}
	_, err = other.Unwrap(w, "file1")
	if !strings.Contains(err.Error(), w.KeyID) {
		t.Errorf("unknown key: got %q, want the key id %s named", err, w.KeyID)
	}
	if _, err := k.Unwrap(navette.WrappedKey{}, "x"); navette.ErrorMessage(err) != "key destroyed" {
		t.Errorf("zero key: got %q, want %q", navette.ErrorMessage(err), "key destroyed")
	}
}

func TestRotate(t *testing.T) {
	k, dir := openNew(t)
	old := k.ActiveID()
	w1, err := k.Wrap(dataKey(1), "f")
	if err != nil {
		t.Fatal(err)
	}
	id, err := k.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	if id == old || k.ActiveID() != id {
		t.Fatalf("Rotate: got new id %q, active %q, want a new active id (old %q)", id, k.ActiveID(), old)
	}
	if got, want := k.IDs(), []string{old, id}; !slices.Equal(got, want) && !slices.Equal(got, []string{id, old}) {
		t.Errorf("IDs: got %v, want %v", got, want)
	}
	w2, err := k.Wrap(dataKey(2), "f")
	if err != nil {
		t.Fatal(err)
	}
	if w2.KeyID != id {
		t.Errorf("Wrap after Rotate: got key id %q, want %q", w2.KeyID, id)
	}
	k2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ActiveID() != id {
		t.Errorf("reopened after Rotate: got active %q, want %q", k2.ActiveID(), id)
	}
	for _, kr := range []*Keyring{k, k2} {
		for i, w := range []navette.WrappedKey{w1, w2} {
			got, err := kr.Unwrap(w, "f")
			if want := dataKey(byte(i + 1)); err != nil || !bytes.Equal(got, want) {
				t.Errorf("Unwrap of key %d after Rotate: got %x, %v, want %x", i+1, got, err, want)
			}
		}
	}
}

func TestRotateByAnotherProcess(t *testing.T) {
	server, dir := openNew(t)
	admin, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	id, err := admin.Rotate()
	if err != nil {
		t.Fatal(err)
	}
	w, err := admin.Wrap(dataKey(3), "d")
	if err != nil {
		t.Fatal(err)
	}
	got, err := server.Unwrap(w, "d")
	if err != nil || !bytes.Equal(got, dataKey(3)) {
		t.Fatalf("Unwrap of a key wrapped by a new key: got %x, %v, want %x", got, err, dataKey(3))
	}
	if server.ActiveID() != id {
		t.Errorf("after the reload: got active %q, want %q", server.ActiveID(), id)
	}
}

func TestPermissionsRefused(t *testing.T) {
	tests := []struct {
		name  string
		file  string // "" for the directory
		mode  os.FileMode
		wants string
	}{
		{"directory readable by others", "", 0o705, "0705"},
		{"directory open to group", "", 0o750, "0750"},
		{"directory world-writable", "", 0o777, "0777"},
		{"key file readable by group", "key", 0o640, "0640"},
		{"key file readable by others", "key", 0o604, "0604"},
		{"active file writable by group", "active", 0o620, "0620"},
	}
	for _, tt := range tests {
		k, dir := openNew(t)
		path := dir
		switch tt.file {
		case "key":
			path = filepath.Join(dir, k.ActiveID()+".key")
		case "active":
			path = filepath.Join(dir, "active")
		}
		if err := os.Chmod(path, tt.mode); err != nil {
			t.Fatal(err)
		}
		_, err := Open(dir)
		if err == nil || !strings.Contains(err.Error(), tt.wants) {
			t.Errorf("%q: got %v, want an error naming mode %s", tt.name, err, tt.wants)
		}
		if err := k.Reload(); err == nil {
			t.Errorf("%q: Reload: got nil error, want an error", tt.name)
		}
		if _, err := k.Rotate(); tt.file == "" && err == nil {
			t.Errorf("%q: Rotate: got nil error, want an error", tt.name)
		}
	}
}

func TestMalformedRefused(t *testing.T) {
	hex64 := strings.Repeat("0123456789abcdef", 4)
	tests := []struct {
		name    string
		file    string
		content string
	}{
		{"empty key file", "key", ""},
		{"no newline", "key", hex64},
		{"two newlines", "key", hex64 + "\n\n"},
		{"short", "key", hex64[:62] + "\n"},
		{"long", "key", hex64 + "00\n"},
		{"upper case", "key", strings.ToUpper(hex64) + "\n"},
		{"not hex", "key", strings.Repeat("g", 64) + "\n"},
		{"raw bytes", "key", string(dataKey(9))},
		{"spaces", "key", " " + hex64 + "\n"},
		{"empty active file", "active", ""},
		{"active names no key", "active", "0123456789abcdef\n"},
		{"active malformed", "active", "../../etc/passwd\n"},
		{"bad key file name", "bad.key", hex64 + "\n"},
	}
	for _, tt := range tests {
		k, dir := openNew(t)
		path := filepath.Join(dir, tt.file)
		if tt.file == "key" {
			path = filepath.Join(dir, k.ActiveID()+".key")
		}
		if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := Open(dir); err == nil || navette.ErrorCode(err) != navette.EINTERNAL {
			t.Errorf("%q: got %v, want an %s error", tt.name, err, navette.EINTERNAL)
		}
		if err := k.Reload(); err == nil {
			t.Errorf("%q: Reload: got nil error, want an error", tt.name)
		}
		// The loaded keyring keeps working.
		if _, err := k.Wrap(dataKey(1), "x"); err != nil {
			t.Errorf("%q: Wrap after a failed Reload: got %v, want nil", tt.name, err)
		}
	}
}

func TestOpenWithoutActive(t *testing.T) {
	k, dir := openNew(t)
	old := k.ActiveID()
	w, _ := k.Wrap(dataKey(4), "f")
	if err := os.Remove(filepath.Join(dir, "active")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".active.tmp-123"), []byte("leftover"), 0o600)
	k2, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if k2.ActiveID() == old || len(k2.IDs()) != 2 {
		t.Errorf("Open without an active key: got active %q and ids %v, want a new key besides %q", k2.ActiveID(), k2.IDs(), old)
	}
	if got, err := k2.Unwrap(w, "f"); err != nil || !bytes.Equal(got, dataKey(4)) {
		t.Errorf("Unwrap with the old key: got %x, %v, want %x", got, err, dataKey(4))
	}
}

func TestOpenNotADirectory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Open(path); err == nil {
		t.Errorf("%q: got nil error, want an error", path)
	}
}

func TestConcurrent(t *testing.T) {
	k, dir := openNew(t)
	admin, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				ad := fmt.Sprintf("file-%d-%d", g, i)
				dk := dataKey(byte(g*50 + i))
				w, err := k.Wrap(dk, ad)
				if err != nil {
					errs <- err
					return
				}
				got, err := k.Unwrap(w, ad)
				if err != nil || !bytes.Equal(got, dk) {
					errs <- fmt.Errorf("%q: got %x, %v, want %x", ad, got, err, dk)
					return
				}
				_ = k.IDs()
			}
		})
	}
	wg.Go(func() {
		for range 3 {
			if _, err := k.Rotate(); err != nil {
				errs <- err
			}
			if _, err := admin.Rotate(); err != nil {
				errs <- err
			}
			if err := k.Reload(); err != nil {
				errs <- err
			}
		}
	})
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if got := len(k.IDs()); got != 7 {
		t.Errorf("after 6 rotations: got %d keys, want 7", got)
	}
}
