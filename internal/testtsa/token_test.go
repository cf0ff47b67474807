package testtsa

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
)

// TestTokenRoundTrip: a token taken apart and put back together is the
// same bytes, so that a forgery differs from the token only by what it
// alters; ByKeyID changes only the signer's version and identifier.
func TestTokenRoundTrip(t *testing.T) {
	s := Start(t, Options{})
	sum := sha256.Sum256([]byte("checkpoint"))
	ts := &timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Time: time.Now(), Policy: Policy, AddTSACertificate: true}
	resp, err := ts.CreateResponseWithOpts(s.Certificate(), s.Key(), crypto.SHA256)
	if err != nil {
		t.Fatal(err)
	}
	got, err := timestamp.ParseResponse(resp)
	if err != nil {
		t.Fatal(err)
	}
	tok, err := ParseToken(got.RawToken)
	if err != nil {
		t.Fatal(err)
	}
	if tok.Version != 1 || !bytes.Equal(tok.SID, IssuerSerial(s.Certificate())) || len(tok.Certs) != 1 || len(tok.Attrs) != 4 {
		t.Fatalf("taken apart wrong: %+v", tok)
	}
	again, err := tok.Bytes()
	if err != nil || !bytes.Equal(again, got.RawToken) {
		t.Fatalf("put back together differently (%v):\n%x\n%x", err, got.RawToken, again)
	}
	v3, err := ByKeyID(got.RawToken, s.Certificate())
	if err != nil {
		t.Fatal(err)
	}
	tok3, err := ParseToken(v3)
	if err != nil {
		t.Fatal(err)
	}
	tok3.Version, tok3.SID = 1, IssuerSerial(s.Certificate())
	if again, err := tok3.Bytes(); err != nil || !bytes.Equal(again, got.RawToken) {
		t.Fatalf("ByKeyID changed more than the signer's identifier (%v)", err)
	}
}
