package receipt

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"fmt"
	"math/big"
	"testing"
	"time"

	"github.com/digitorus/timestamp"
	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// testLog is a journal's Merkle tree kept in memory, built with the same
// tlog functions the server's store uses, and signed with a real note key.
type testLog struct {
	t      testing.TB
	stored []tlog.Hash
	events []Event
	claims [][]byte
	signer note.Signer
	vkey   string
}

const testOrigin = "navette.test/navette-journal"

// newTestKey returns a signer and its verifier key; seed 0 is random.
func newTestKey(t testing.TB, name string, seed byte) (note.Signer, string) {
	t.Helper()
	r := rand.Reader
	if seed != 0 {
		r = bytes.NewReader(bytes.Repeat([]byte{seed}, 32))
	}
	skey, vkey, err := note.GenerateKey(r, name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := note.NewSigner(skey)
	if err != nil {
		t.Fatal(err)
	}
	return s, vkey
}

func newTestLog(t testing.TB, seed byte) *testLog {
	s, v := newTestKey(t, testOrigin, seed)
	return &testLog{t: t, signer: s, vkey: v}
}

func (l *testLog) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		if x >= int64(len(l.stored)) {
			return nil, fmt.Errorf("no hash %d", x)
		}
		out[i] = l.stored[x]
	}
	return out, nil
}

// add journals an event (with claims for kind, unless kind is "") and
// returns its index.
func (l *testLog) add(e Event, kind string) int64 {
	l.t.Helper()
	n := int64(len(l.events))
	e.Index = n
	var claims []byte
	if kind != "" {
		c := Claims{Kind: kind, Deposit: &ClaimsDeposit{ID: e.DepositID, Reference: fmt.Sprintf("RG 26/%05d — «Dupont» & <Cie>", n)},
			Sender: &Party{ID: "sender", Name: "Greffe", Email: "greffe@justice.test", Org: "TJ Lyon"}}
		if e.FileID != "" {
			c.File = &File{ID: e.FileID, Name: "pièce n°" + fmt.Sprint(n) + ".pdf", Size: e.Size, SHA256: e.SHA256}
			c.By = &Actor{ID: e.ActorID, Name: "Me Durand", Email: "durand@avocats.test", Auth: &Auth{Method: "code+totp", At: Time{e.Time.Add(-time.Minute)}}}
			c.For = &Party{ID: e.ActorID, Name: "Me Durand", Kind: "person"}
		} else {
			c.Recipients = []Party{{ID: "r1", Name: "Me Durand", Email: "durand@avocats.test", Kind: "person"}}
		}
		data, sum, err := NewClaims(c)
		if err != nil {
			l.t.Fatal(err)
		}
		claims, e.ClaimsSHA256 = data, sum
	}
	return l.addClaims(e, claims, e.ClaimsSHA256)
}

// addClaims journals an event committing to the given claims.
func (l *testLog) addClaims(e Event, claims, sum []byte) int64 {
	l.t.Helper()
	n := int64(len(l.events))
	e.Index, e.ClaimsSHA256 = n, sum
	hs, err := tlog.StoredHashes(n, LeafBytes(&e), l)
	if err != nil {
		l.t.Fatal(err)
	}
	l.stored = append(l.stored, hs...)
	l.events = append(l.events, e)
	l.claims = append(l.claims, claims)
	return n
}

// addDownload journals a file download with claims.
func (l *testLog) addDownload(n int) int64 {
	sum := sha256.Sum256([]byte(fmt.Sprint("file", n)))
	return l.add(Event{Time: Time{time.Date(2026, 12, 5, 13, 8, 44, 123456000, time.UTC).Add(time.Duration(n) * time.Second)},
		Type: "file.downloaded", ActorID: "lawyer", DepositID: "dep1", FileID: fmt.Sprint("file", n), Size: int64(1000 + n), SHA256: sum[:]}, "downloaded")
}

func (l *testLog) checkpoint(size int64, signers ...note.Signer) []byte {
	l.t.Helper()
	root, err := tlog.TreeHash(size, l)
	if err != nil {
		l.t.Fatal(err)
	}
	if len(signers) == 0 {
		signers = []note.Signer{l.signer}
	}
	msg, err := note.Sign(&note.Note{Text: fmt.Sprintf("%s\n%d\n%s\n", testOrigin, size, root)}, signers...)
	if err != nil {
		l.t.Fatal(err)
	}
	return msg
}

// receipt returns a receipt of event i in the tree of size events (all of
// them when 0), stamped by tsa when set, disclosing its claims unless
// redacted.
func (l *testLog) receipt(i, size int64, tsa *testTSA, redacted bool) *Receipt {
	l.t.Helper()
	if size == 0 {
		size = int64(len(l.events))
	}
	proof, err := tlog.ProveRecord(size, i, l)
	if err != nil {
		l.t.Fatal(err)
	}
	cp := l.checkpoint(size)
	p := Pieces{ID: fmt.Sprint("rcpt-", i), Kind: "downloaded", IssuedAt: time.Date(2026, 12, 5, 14, 0, 0, 0, time.UTC),
		Event: l.events[i], Proof: proof, TreeSize: size, Checkpoint: cp}
	for k, t := range kindEvents {
		if t == l.events[i].Type {
			p.Kind = k
		}
	}
	if !redacted {
		p.Claims = l.claims[i]
	}
	if tsa != nil {
		p.Timestamp = tsa.stamp(cp)
	}
	r, err := Assemble(p)
	if err != nil {
		l.t.Fatal(err)
	}
	return r
}

// testTSA is a throwaway CA and a time-stamping certificate it issued,
// signing tokens with github.com/digitorus/timestamp's response creation.
type testTSA struct {
	t     testing.TB
	root  *x509.Certificate
	cert  *x509.Certificate
	key   crypto.Signer
	roots *x509.CertPool
	now   time.Time
}

func newTestTSA(t testing.TB, eku bool) *testTSA {
	t.Helper()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Test TSA Root", Organization: []string{"navette tests"}},
		NotBefore: start, NotAfter: start.AddDate(10, 0, 0), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	root, _ := x509.ParseCertificate(caDER)
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "Test TSA", Organization: []string{"navette tests"}},
		NotBefore: start, NotAfter: start.AddDate(5, 0, 0), KeyUsage: x509.KeyUsageDigitalSignature, SubjectKeyId: []byte("test TSA key id")}
	if eku {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, root, key.Public(), caKey)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(root)
	return &testTSA{t: t, root: root, cert: cert, key: key, roots: pool, now: time.Date(2026, 12, 5, 13, 9, 30, 0, time.UTC)}
}

// stamp returns a DER TimeStampToken over SHA-256(msg).
func (a *testTSA) stamp(msg []byte) []byte {
	return a.stampWith(msg, true)
}

func (a *testTSA) stampWith(msg []byte, withCert bool) []byte {
	a.t.Helper()
	sum := sha256.Sum256(msg)
	ts := &timestamp.Timestamp{HashAlgorithm: crypto.SHA256, HashedMessage: sum[:], Time: a.now, Policy: asn1.ObjectIdentifier{1, 2, 3, 4, 1},
		Accuracy: time.Second, AddTSACertificate: withCert}
	resp, err := ts.CreateResponseWithOpts(a.cert, a.key, crypto.SHA256)
	if err != nil {
		a.t.Fatal(err)
	}
	if !withCert {
		// ParseResponse cannot check a token without its certificate;
		// take the token out of the response by hand.
		var r struct {
			Status asn1.RawValue
			Token  asn1.RawValue
		}
		if _, err := asn1.Unmarshal(resp, &r); err != nil {
			a.t.Fatal(err)
		}
		return r.Token.FullBytes
	}
	got, err := timestamp.ParseResponse(resp)
	if err != nil {
		a.t.Fatal(err)
	}
	return got.RawToken
}

func mustMarshal(t testing.TB, r *Receipt) []byte {
	t.Helper()
	b, err := r.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return b
}
