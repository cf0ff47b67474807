// Package receipttest makes real receipts for tests of other packages: a
// Merkle tree in memory built with golang.org/x/mod/sumdb/tlog as the store
// builds it, checkpoints signed with a real Ed25519 note key, and RFC 3161
// tokens from a throwaway CA (github.com/digitorus/timestamp's own response
// creation).
package receipttest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"

	"navette/receipt"
)

// Log is a journal tree in memory and the key that signs its checkpoints.
type Log struct {
	t      testing.TB
	origin string
	stored []tlog.Hash
	events []receipt.Event
	claims [][]byte
	signer note.Signer
	// Key is the verifier key of the checkpoints' signer.
	Key string
}

// NewLog returns an empty log whose checkpoints name origin and are signed
// by a new key of that name.
func NewLog(t testing.TB, origin string) *Log {
	l := &Log{t: t, origin: origin}
	l.Rotate()
	return l
}

// Rotate makes a new signing key, of the same name, sign later checkpoints.
func (l *Log) Rotate() {
	l.t.Helper()
	skey, vkey, err := note.GenerateKey(rand.Reader, l.origin)
	if err != nil {
		l.t.Fatal(err)
	}
	if l.signer, err = note.NewSigner(skey); err != nil {
		l.t.Fatal(err)
	}
	l.Key = vkey
}

// SignWith makes the signer key skey, in note's text form, sign later
// checkpoints: a key taken from a key directory, as a thief would.
func (l *Log) SignWith(skey string) {
	l.t.Helper()
	s, err := note.NewSigner(skey)
	if err != nil {
		l.t.Fatal(err)
	}
	l.signer, l.origin = s, s.Name()
}

// ReadHashes reads stored hashes: the log is a tlog.HashReader.
func (l *Log) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x < 0 || x >= int64(len(l.stored)) {
			return nil, fmt.Errorf("no stored hash %d", x)
		}
		out[i] = l.stored[x]
	}
	return out, nil
}

// Add journals an event with the claims document c (none if nil) and
// returns its index.
func (l *Log) Add(e receipt.Event, c *receipt.Claims) int64 {
	l.t.Helper()
	n := int64(len(l.events))
	e.Index = n
	var data []byte
	if c != nil {
		var sum []byte
		var err error
		if data, sum, err = receipt.NewClaims(*c); err != nil {
			l.t.Fatal(err)
		}
		e.ClaimsSHA256 = sum
	}
	hs, err := tlog.StoredHashes(n, receipt.LeafBytes(&e), l)
	if err != nil {
		l.t.Fatal(err)
	}
	l.stored = append(l.stored, hs...)
	l.events = append(l.events, e)
	l.claims = append(l.claims, data)
	return n
}

// AddDownload journals the full download of a file of deposit dep, with
// its claims, and returns its index.
func (l *Log) AddDownload(dep, file, name string, content []byte) int64 {
	sum := sha256.Sum256(content)
	at := time.Date(2026, 12, 5, 13, 8, 44, 123456000, time.UTC).Add(time.Duration(len(l.events)) * time.Second)
	f := &receipt.File{ID: file, Name: name, Size: int64(len(content)), SHA256: sum[:]}
	return l.Add(receipt.Event{Time: receipt.Time{Time: at}, Type: "file.downloaded", ActorID: "lawyer1", DepositID: dep,
		FileID: file, Size: f.Size, SHA256: sum[:]}, &receipt.Claims{Kind: "downloaded",
		Deposit: &receipt.ClaimsDeposit{ID: dep, Reference: "RG 26/00042"},
		Sender:  &receipt.Party{ID: "clerk1", Name: "Greffe du TJ", Email: "greffe@justice.test"},
		By:      &receipt.Actor{ID: "lawyer1", Name: "Me Durand", Email: "durand@avocats.test", Auth: &receipt.Auth{Method: "oidc", At: receipt.Time{Time: at.Add(-time.Minute)}}},
		For:     &receipt.Party{ID: "lawyer1", Name: "Me Durand", Kind: "person"}, File: f})
}

// Checkpoint returns the signed checkpoint of the tree of size leaves.
func (l *Log) Checkpoint(size int64) []byte {
	l.t.Helper()
	root, err := tlog.TreeHash(size, l)
	if err != nil {
		l.t.Fatal(err)
	}
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", l.origin, size, root)}, l.signer)
	if err != nil {
		l.t.Fatal(err)
	}
	return msg
}

// Receipt returns a receipt of event i against the checkpoint of the whole
// tree, stamped by tsa when it is set, not disclosing the claims when
// redacted.
func (l *Log) Receipt(i int64, tsa *TSA, redacted bool) *receipt.Receipt {
	l.t.Helper()
	var stamp func([]byte) []byte
	if tsa != nil {
		stamp = tsa.Stamp
	}
	return l.ReceiptStamped(i, stamp, redacted)
}

// ReceiptStamped is Receipt with the time-stamp token that stamp, when it
// is set, returns for the checkpoint: a token from another authority, or a
// forged one.
func (l *Log) ReceiptStamped(i int64, stamp func(checkpoint []byte) []byte, redacted bool) *receipt.Receipt {
	l.t.Helper()
	size := int64(len(l.events))
	proof, err := tlog.ProveRecord(size, i, l)
	if err != nil {
		l.t.Fatal(err)
	}
	cp := l.Checkpoint(size)
	p := receipt.Pieces{ID: fmt.Sprint("rcpt-", i), IssuedAt: time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC),
		Event: l.events[i], Proof: proof, TreeSize: size, Checkpoint: cp}
	for _, k := range []string{"deposited", "available", "notified", "opened", "downloaded", "unclaimed", "revoked", "purged"} {
		if t, _ := receipt.EventType(k); t == l.events[i].Type {
			p.Kind = k
		}
	}
	if !redacted {
		p.Claims = l.claims[i]
	}
	if stamp != nil {
		p.Timestamp = stamp(cp)
	}
	r, err := receipt.Assemble(p)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

// JSON returns the receipt's JSON text.
func JSON(t testing.TB, r *receipt.Receipt) []byte {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TSA is a throwaway CA and a time-stamping certificate it issued.
type TSA struct {
	t    testing.TB
	cert *x509.Certificate
	key  crypto.Signer
	// Roots holds the CA's certificate; RootPEM is it in PEM.
	Roots   *x509.CertPool
	RootPEM []byte
	// Now is the time the tokens state.
	Now time.Time
}

// NewTSA makes a CA and a time-stamping certificate (ECDSA P-256).
func NewTSA(t testing.TB) *TSA {
	t.Helper()
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caKey := newKey(t)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test TSA Root"},
		NotBefore: start, NotAfter: start.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	root, caDER := issue(t, caTmpl, caTmpl, caKey, caKey)
	key := newKey(t)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test TSA", Organization: []string{"navette tests"}},
		NotBefore: start, NotAfter: start.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}
	cert, _ := issue(t, tmpl, root, key, caKey)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return &TSA{t: t, cert: cert, key: key, Roots: pool, RootPEM: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}),
		Now: time.Date(2026, 12, 5, 13, 9, 30, 0, time.UTC)}
}

// newKey returns a new ECDSA P-256 key.
func newKey(t testing.TB) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// issue returns the certificate tmpl for the public key of key, signed by
// signer as parent, parsed and in DER.
func issue(t testing.TB, tmpl, parent *x509.Certificate, key, signer crypto.Signer) (*x509.Certificate, []byte) {
	t.Helper()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, key.Public(), signer)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, der
}

// Stamp returns a DER RFC 3161 TimeStampToken over SHA-256(msg).
func (a *TSA) Stamp(msg []byte) []byte {
	a.t.Helper()
	sum := sha256.Sum256(msg)
	ts := &timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Time: a.Now,
		Policy: asn1.ObjectIdentifier{1, 2, 3, 4, 1}, AddTSACertificate: true}
	resp, err := ts.CreateResponseWithOpts(a.cert, a.key, crypto.SHA256)
	if err != nil {
		a.t.Fatal(err)
	}
	got, err := timestamp.ParseResponse(resp)
	if err != nil {
		a.t.Fatal(err)
	}
	return got.RawToken
}
