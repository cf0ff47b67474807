package receipt

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// smallOrderPoints are the encodings of Ed25519's points of order 1, 2, 4
// and 8 that libsodium refuses as public keys (ge25519_has_small_order):
// the canonical ones and those of y ≥ p; each also with the sign bit set.
var smallOrderPoints = []string{
	"0000000000000000000000000000000000000000000000000000000000000000", // order 4
	"0100000000000000000000000000000000000000000000000000000000000000", // the identity
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05", // order 8
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a", // order 8
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p − 1, order 2
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p, 0 not reduced
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // p + 1, 1 not reduced
}

// smallOrderKeys returns the small-order public keys, each also with the
// sign bit set.
func smallOrderKeys(t *testing.T) [][]byte {
	var out [][]byte
	for _, h := range smallOrderPoints {
		b, err := hex.DecodeString(h)
		if err != nil {
			t.Fatal(err)
		}
		neg := bytes.Clone(b)
		neg[31] |= 0x80
		out = append(out, b, neg)
	}
	return out
}

// forgeSmallOrder returns a signature of msg by the small-order key pub
// made with no secret: a small-order point R and s = 0, which Ed25519
// accepts when R = −[k]A; nil when no R fits msg.
func forgeSmallOrder(t *testing.T, pub, msg []byte) []byte {
	for _, r := range smallOrderKeys(t) {
		sig := append(bytes.Clone(r), make([]byte, 32)...)
		if ed25519.Verify(pub, msg, sig) {
			return sig
		}
	}
	return nil
}

// TestSmallOrderKeyForgery: a verifier key whose Ed25519 public key is a
// point of small order (planted in a key list, or in keys/ as a rotated-in
// key: one that nobody holds a secret of, so nobody answers for it) lets
// anyone sign a checkpoint of any tree, with no secret at all, and so
// certify events that never were. ParseKey and NewKey refuse such keys,
// whatever their encoding, so Verify refuses the receipt and says why;
// real keys, Wycheproof's included, are accepted.
func TestSmallOrderKeyForgery(t *testing.T) {
	l := newTestLog(t, 1)
	l.add(Event{Time: Time{time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)}, Type: "file.downloaded", ActorID: "lawyer", DepositID: "dep1",
		FileID: "f1", Size: 1, SHA256: make([]byte, 32)}, "downloaded")
	forged := 0
	for _, pub := range smallOrderKeys(t) {
		if !smallOrder(pub) {
			t.Errorf("%x: got not of small order, want small order", pub)
		}
		enc := append([]byte{algEd25519}, pub...)
		text := fmt.Sprintf("%s+%08x+%s", testOrigin, keyHash(testOrigin, enc), base64.StdEncoding.EncodeToString(enc))
		if _, err := ParseKey(text); err == nil || !strings.Contains(err.Error(), "small order") {
			t.Errorf("ParseKey(%q): got %v, want a key of small order refused", text, err)
		}
		if _, err := NewKey(testOrigin, pub); err == nil {
			t.Errorf("NewKey(%x): got a key, want it refused", pub)
		}
		// The forgery a small-order key allows, for each key that
		// crypto/ed25519 accepts as a point.
		for size := int64(1); size <= 8; size++ {
			for int64(len(l.events)) < size {
				l.addDownload(len(l.events))
			}
			root, err := tlog.TreeHash(size, l)
			if err != nil {
				t.Fatal(err)
			}
			body := fmt.Sprintf("%s\n%d\n%s\n", testOrigin, size, root)
			sig := forgeSmallOrder(t, pub, []byte(body))
			if sig == nil {
				continue
			}
			forged++
			r := l.receipt(0, size, nil, false)
			line := base64.StdEncoding.EncodeToString(append(binary.BigEndian.AppendUint32(nil, keyHash(testOrigin, enc)), sig...))
			r.Checkpoint = body + "\n— " + testOrigin + " " + line + "\n"
			if _, err := note.Open([]byte(r.Checkpoint), note.VerifierList(&Key{name: testOrigin, hash: keyHash(testOrigin, enc), pub: pub})); err != nil {
				t.Fatalf("%x: the forged note does not open with the key itself: %v", pub, err)
			}
			if res, err := Verify(r, []string{l.vkey, text}, nil); err == nil || !strings.Contains(err.Error(), "small order") {
				t.Errorf("%x, tree of %d: got %v, want the small-order key refused:\n%v", pub, size, err, res)
			}
			break
		}
	}
	if forged == 0 {
		t.Fatal("no small-order key signed a checkpoint without a secret")
	}
	if _, err := ParseKey(l.vkey); err != nil {
		t.Errorf("a real key: %v", err)
	}
}
