package keyring

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// TestWycheproofHMACSHA256 runs Project Wycheproof's HMAC-SHA-256 vectors
// through mac and verifyMAC, the MAC that MACKeys' digests are made and
// checked with. Full-length tags: a valid case must verify and equal mac's
// output, an invalid one must not verify. Truncated (128-bit) tags: verifyMAC
// takes only full tags, so none verifies, valid or not; a valid one must
// still be the start of mac's output and an invalid one not.
func TestWycheproofHMACSHA256(t *testing.T) {
	raw, err := os.ReadFile("testdata/wycheproof/hmac_sha256_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		NumberOfTests int `json:"numberOfTests"`
		TestGroups    []struct {
			KeySize int `json:"keySize"`
			TagSize int `json:"tagSize"`
			Tests   []struct {
				TcID    int    `json:"tcId"`
				Comment string `json:"comment"`
				Key     string `json:"key"`
				Msg     string `json:"msg"`
				Tag     string `json:"tag"`
				Result  string `json:"result"`
			} `json:"tests"`
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	unhex := func(s string) []byte {
		b, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var total, full, truncated, valid, invalid int
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			total++
			key, msg, tag := unhex(tc.Key), unhex(tc.Msg), unhex(tc.Tag)
			if len(tag)*8 != g.TagSize {
				t.Fatalf("tcId %d: tag of %d bits in a group of %d", tc.TcID, len(tag)*8, g.TagSize)
			}
			got := mac(key, msg)
			isValid := tc.Result == "valid"
			switch tc.Result {
			case "valid":
				valid++
			case "invalid":
				invalid++
			default:
				t.Fatalf("tcId %d: result %q: decide what the MAC does with it", tc.TcID, tc.Result)
			}
			if g.TagSize == 8*sha256.Size {
				full++
				if ok := verifyMAC(key, msg, tag); ok != isValid {
					t.Errorf("tcId %d (%s, %s): verifyMAC gave %v", tc.TcID, tc.Comment, tc.Result, ok)
				}
				if eq := bytes.Equal(got, tag); eq != isValid {
					t.Errorf("tcId %d (%s, %s): mac gave %x, tag %x", tc.TcID, tc.Comment, tc.Result, got, tag)
				}
				continue
			}
			truncated++
			if verifyMAC(key, msg, tag) {
				t.Errorf("tcId %d (%s): verifyMAC accepted a %d-bit tag", tc.TcID, tc.Comment, g.TagSize)
			}
			if eq := bytes.Equal(got[:len(tag)], tag); eq != isValid {
				t.Errorf("tcId %d (%s, %s): mac gave %x, truncated tag %x", tc.TcID, tc.Comment, tc.Result, got, tag)
			}
		}
	}
	if total != f.NumberOfTests || full == 0 || truncated == 0 || valid == 0 || invalid == 0 {
		t.Errorf("ran %d of %d cases (%d full, %d truncated, %d valid, %d invalid)", total, f.NumberOfTests, full, truncated, valid, invalid)
	}
	t.Logf("%d cases: %d full-length tags, %d truncated (refused by verifyMAC), %d valid, %d invalid", total, full, truncated, valid, invalid)
}

// openMAC opens the MAC keys of dir.
func openMAC(t *testing.T, dir string) *MACKeys {
	t.Helper()
	m, err := OpenMAC(dir)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMACKeys(t *testing.T) {
	k, dir := openNew(t)
	m := openMAC(t, dir)
	id := m.ActiveID()
	if !validID(id) {
		t.Fatalf("ActiveID: %q", id)
	}
	for _, name := range []string{id + macSuffix, macActiveFile} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: mode %04o, want 0600", name, fi.Mode().Perm())
		}
		if strings.HasSuffix(name, keySuffix) {
			t.Errorf("%s ends in %s, which is for KEKs", name, keySuffix)
		}
	}
	// The KEKs of the same directory are untouched.
	if err := k.Reload(); err != nil {
		t.Fatal(err)
	}
	if k2, err := Open(dir); err != nil || len(k2.IDs()) != 1 {
		t.Fatalf("the key ring beside the MAC keys: %v, %v", err, k2)
	}

	msg := []byte("navette test\x00message")
	sum := m.Sum(msg)
	if len(sum) != DigestSize || hex.EncodeToString(sum[:idBytes]) != id {
		t.Fatalf("Sum: %x, want the key id %s then a tag", sum, id)
	}
	if !m.Verify(msg, sum) {
		t.Fatal("Verify refused Sum's digest")
	}
	if bytes.Equal(sum[idBytes:], sha256Sum(msg)) {
		t.Fatal("the digest is a plain SHA-256, not keyed")
	}
	refuse := map[string][]byte{
		"another message": nil,
		"truncated":       sum[:idBytes+16],
		"empty":           {},
		"flipped":         flip(sum, DigestSize-1),
		"unknown key id":  flip(sum, 0),
	}
	for name, bad := range refuse {
		ms := msg
		if bad == nil {
			bad, ms = sum, []byte("navette test\x00other")
		}
		if m.Verify(ms, bad) {
			t.Errorf("%s: Verify accepted it", name)
		}
	}
	// Another directory's keys do not verify this one's digests.
	if other := openMAC(t, filepath.Join(t.TempDir(), "keys")); other.Verify(msg, sum) {
		t.Error("another key directory verified the digest")
	}

	// Another node sharing the directory uses the same key, and after a
	// rotation on one, the other rereads the directory to check the new
	// digests; old digests still verify.
	node2 := openMAC(t, dir)
	if node2.ActiveID() != id || !node2.Verify(msg, sum) {
		t.Fatal("a second opening of the directory does not share the key")
	}
	newID, err := m.Rotate()
	if err != nil || newID == id || m.ActiveID() != newID {
		t.Fatalf("Rotate: %q, %v", newID, err)
	}
	sum2 := m.Sum(msg)
	if !m.Verify(msg, sum) || !m.Verify(msg, sum2) || !node2.Verify(msg, sum2) {
		t.Error("after a rotation, a digest does not verify")
	}
	if node2.ActiveID() != newID {
		t.Errorf("node 2 active after it reread the directory: %s, want %s", node2.ActiveID(), newID)
	}
	if reopened := openMAC(t, dir); reopened.ActiveID() != newID || !reopened.Verify(msg, sum) {
		t.Error("reopening lost the rotation or the old key")
	}
}

func TestMACKeysConcurrentFirstStart(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			m, err := OpenMAC(dir)
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = m.ActiveID()
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("nodes starting together chose different keys: %v", ids)
		}
	}
}

func TestMACKeysRefused(t *testing.T) {
	cases := map[string]func(dir, id string) error{
		"key file open to others": func(dir, id string) error { return os.Chmod(filepath.Join(dir, id+macSuffix), 0o644) },
		"malformed key file": func(dir, id string) error {
			return os.WriteFile(filepath.Join(dir, id+macSuffix), []byte("zz\n"), 0o600)
		},
		"active names no key": func(dir, id string) error {
			return os.WriteFile(filepath.Join(dir, macActiveFile), []byte(strings.Repeat("0", 16)+"\n"), 0o600)
		},
	}
	for name, spoil := range cases {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "keys")
			m := openMAC(t, dir)
			if err := spoil(dir, m.ActiveID()); err != nil {
				t.Fatal(err)
			}
			if _, err := OpenMAC(dir); err == nil {
				t.Error("OpenMAC accepted it")
			}
		})
	}
}

func sha256Sum(b []byte) []byte { h := sha256.Sum256(b); return h[:] }

// flip returns a copy of b with byte i changed.
func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

// TestMACReloadDuringRotation reloads the directory while another node
// rotates its keys: every reload must see the active key's file, since the
// key file is written before the active file names it.
func TestMACReloadDuringRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	rotator, reader := openMAC(t, dir), openMAC(t, dir)
	whileRotating(t, 200, func() error { _, err := rotator.Rotate(); return err }, reader.Reload)
}

// TestJournalSignerDuringRotation opens the journal keys and asks for the
// signer while another node rotates the journal key: every call must find
// the active key's files, though a rotation removes the old signer's.
func TestJournalSignerDuringRotation(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "keys")
	const name = "court.example/journal"
	rotator, err := OpenJournalKeys(dir, name)
	if err != nil {
		t.Fatal(err)
	}
	whileRotating(t, 100, func() error { _, err := rotator.Rotate(nil); return err }, func() error {
		reader, err := OpenJournalKeys(dir, name)
		if err == nil {
			_, err = reader.Signer()
		}
		return err
	})
}

// whileRotating calls rotate n times on a goroutine of its own and read
// over and over until it is done; it fails the test at the first error of
// either.
func whileRotating(t *testing.T, n int, rotate, read func() error) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for range n {
			if err := rotate(); err != nil {
				t.Errorf("rotating: %v", err)
				return
			}
		}
	}()
	for {
		select {
		case <-done:
			return
		default:
		}
		if err := read(); err != nil {
			t.Errorf("reading during a rotation: %v", err)
			<-done
			return
		}
	}
}
