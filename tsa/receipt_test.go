package tsa_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"math/big"
	"testing"
	"time"

	"navette"
	"navette/internal/testtsa"
	"navette/receipt"
	"navette/tsa"
)

// stampedAt is the time the authorities of these tests stamp.
var stampedAt = time.Date(2026, 12, 5, 13, 8, 44, 0, time.UTC)

// stampOf starts an authority with opts and returns it and its token, as
// taken at stamping, over the message "checkpoint".
func stampOf(t *testing.T, opts testtsa.Options) (*testtsa.Server, []byte) {
	t.Helper()
	opts.Clock = navette.NewFakeClock(stampedAt)
	srv := testtsa.Start(t, opts)
	c, err := tsa.New(tsa.Config{URL: srv.URL(), CAFile: srv.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte("checkpoint"))
	token, err := c.Stamp(context.Background(), sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return srv, token
}

// TestStampKeyID: an authority that names its signer by subject key
// identifier (SignerInfo version 3) is taken at stamping, and its token
// verifies here and in the receipts' offline verifier, with and without
// the roots, naming the authority's certificate.
func TestStampKeyID(t *testing.T) {
	srv, token := stampOf(t, testtsa.Options{KeyID: true})
	d := sha256.Sum256([]byte("checkpoint"))
	if parts, err := testtsa.ParseToken(token); err != nil || parts.Version != 3 || !bytes.Equal(parts.SID, testtsa.KeyID(srv.Certificate().SubjectKeyId)) {
		t.Fatalf("the authority did not name its signer by key identifier: %+v, %v", parts, err)
	}
	for _, pool := range []*x509.CertPool{srv.Roots(), nil} {
		s, err := tsa.Verify(token, d[:], pool)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Certificate.Equal(srv.Certificate()) || !s.Time.Equal(stampedAt) || s.Chained != (pool != nil) || s.Policy != testtsa.Policy.String() {
			t.Errorf("roots %v: got %+v", pool != nil, s)
		}
		r, err := receipt.VerifyToken(token, []byte("checkpoint"), pool)
		if err != nil {
			t.Fatal(err)
		}
		if !r.Time.Equal(stampedAt) || r.Trusted != (pool != nil) || r.Subject != srv.Certificate().Subject.String() {
			t.Errorf("roots %v: receipt.VerifyToken says %+v", pool != nil, r)
		}
	}
}

// FuzzVerify: Verify, the offline check of a kept token, never panics on
// any bytes, and a token it accepts is accepted by the receipt verifier
// too, with the same time: what the server keeps, navette verify reads.
func FuzzVerify(f *testing.F) {
	srv, err := testtsa.New("", testtsa.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	msg := []byte("checkpoint")
	d := sha256.Sum256(msg)
	c, err := tsa.New(tsa.Config{URL: srv.URL(), CAFile: srv.CAFile()})
	if err != nil {
		f.Fatal(err)
	}
	token, err := c.Stamp(context.Background(), d[:])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(token)
	byKeyID, err := testtsa.ByKeyID(token, srv.Certificate())
	if err != nil {
		f.Fatal(err)
	}
	f.Add(byKeyID)
	roots := srv.Roots()
	f.Fuzz(func(t *testing.T, token []byte) {
		s, err := tsa.Verify(token, d[:], roots)
		if err != nil {
			return
		}
		r, err := receipt.VerifyToken(token, msg, roots)
		if err != nil {
			t.Fatalf("tsa.Verify accepts a token receipt.VerifyToken refuses: %v", err)
		}
		if !r.Time.Equal(s.Time) {
			t.Fatalf("times differ: %v, %v", s.Time, r.Time)
		}
	})
}

// verdictCase is a token, the message it is checked against, the roots to
// try and whether it must verify.
type verdictCase struct {
	name  string
	token []byte
	msg   []byte
	roots *x509.CertPool
	ok    bool
}

// TestSameVerdict: tsa.Verify and receipt.VerifyToken, the two entry
// points of the one verifier, give the same verdict on good tokens and on
// forged ones, with the roots and without, and say the same of what a
// good token says; among the forgeries are those that one of the two
// verifiers navette had before accepted and the other refused.
func TestSameVerdict(t *testing.T) {
	v1Srv, v1 := stampOf(t, testtsa.Options{})
	v3Srv, v3 := stampOf(t, testtsa.Options{KeyID: true})
	openSSL, openSSLMsg, openSSLRoots := testtsa.OpenSSLKeyID(t)
	msg := []byte("checkpoint")
	cases := []verdictCase{
		{"version 1", v1, msg, v1Srv.Roots(), true},
		{"version 3", v3, msg, v3Srv.Roots(), true},
		{"OpenSSL", openSSL, openSSLMsg, openSSLRoots, true},
		{"version 1, other message", v1, []byte("checkpoint\n"), v1Srv.Roots(), false},
	}
	for _, good := range cases[:3] {
		reordered, err := testtsa.Reordered(good.token)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, verdictCase{good.name + ", attributes reordered", reordered, good.msg, good.roots, false})
	}
	forgeries, err := v3Srv.KeyIDForgeries(v3)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range forgeries {
		cases = append(cases, verdictCase{f.Name, f.Token, msg, v3Srv.Roots(), false})
	}
	cases = append(cases, onceSplit(t, v1Srv, v1)...)
	for _, tc := range cases {
		for _, roots := range []*x509.CertPool{tc.roots, nil} {
			sameVerdict(t, tc, roots)
		}
	}
	sameVerdict(t, verdictCase{"version 1, other roots", v1, msg, nil, false}, v3Srv.Roots())
	for _, good := range cases[:2] {
		for i := range good.token {
			forged := bytes.Clone(good.token)
			forged[i] ^= 0x01
			sameVerdict(t, verdictCase{good.name + ", a bit flipped", forged, good.msg, good.roots, false}, nil)
		}
	}
}

// sameVerdict checks that both entry points give tc's verdict with roots,
// and say the same of a token they accept.
func sameVerdict(t *testing.T, tc verdictCase, roots *x509.CertPool) {
	t.Helper()
	sum := sha256.Sum256(tc.msg)
	s, errTSA := tsa.Verify(tc.token, sum[:], roots)
	r, errReceipt := receipt.VerifyToken(tc.token, tc.msg, roots)
	if (errTSA == nil) != tc.ok || (errReceipt == nil) != tc.ok {
		t.Errorf("%s (roots %v): tsa.Verify says %v, receipt.VerifyToken says %v; want ok %v", tc.name, roots != nil, errTSA, errReceipt, tc.ok)
		return
	}
	if tc.ok && (!s.Time.Equal(r.Time) || s.Accuracy != r.Accuracy || s.Policy != r.Policy || s.Signer != r.Subject || s.Chained != r.Trusted || !sameSerial(s.Serial, r.Serial)) {
		t.Errorf("%s (roots %v): tsa.Verify says %+v, receipt.VerifyToken %+v", tc.name, roots != nil, s, r)
	}
}

// sameSerial reports whether dec and hex are the same serial number.
func sameSerial(dec, hex string) bool {
	a, ok := new(big.Int).SetString(dec, 10)
	b, ok2 := new(big.Int).SetString(hex, 16)
	return ok && ok2 && a.Cmp(b) == 0
}

// Object identifiers of the forgeries of onceSplit.
var (
	oidContentType         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidSigningCertificate  = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSHA512              = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 3}
	oidExtKeyUsage         = asn1.ObjectIdentifier{2, 5, 29, 37}
	oidKPTimeStamping      = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 8}
	oidKPServerAuth        = asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	signingCertificateV2ID = testtsa.OIDSigningCertificateV2
)

// onceSplit returns tokens, made from srv's token, on which navette's two
// verifiers once disagreed (receipt.VerifyToken accepting what tsa.Verify
// refused, or the other way round): each is now refused by both.
func onceSplit(t *testing.T, srv *testtsa.Server, token []byte) []verdictCase {
	t.Helper()
	msg := []byte("checkpoint")
	cert := srv.Certificate()
	forge := func(name string, alter func(*testtsa.Token) error) verdictCase {
		tok, err := testtsa.ParseToken(token)
		if err != nil {
			t.Fatal(err)
		}
		if err := alter(tok); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := tok.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		return verdictCase{name, b, msg, srv.Roots(), false}
	}
	return []verdictCase{
		forge("larger than 64 KiB (tsa took it)", func(tok *testtsa.Token) error {
			for len(bytes.Join(tok.Certs, nil)) <= tsa.MaxTokenSize {
				tok.Certs = append(tok.Certs, cert.Raw)
			}
			return nil
		}),
		forge("ESS v2 by SHA-512 (receipt took it)", func(tok *testtsa.Token) error {
			sum := sha512.Sum512(cert.Raw)
			type id struct {
				HashAlgorithm pkix.AlgorithmIdentifier
				CertHash      []byte
			}
			if err := tok.SetAttr(signingCertificateV2ID, struct{ Certs []id }{[]id{{pkix.AlgorithmIdentifier{Algorithm: oidSHA512}, sum[:]}}}); err != nil {
				return err
			}
			return tok.Sign(srv.Key())
		}),
		forge("ESS v2 naming nothing, v1 naming the signer (tsa took it)", func(tok *testtsa.Token) error {
			sum := sha1.Sum(cert.Raw)
			type id struct{ CertHash []byte }
			if err := tok.SetAttr(signingCertificateV2ID, struct{ Certs []id }{[]id{}}); err != nil {
				return err
			}
			if err := tok.SetAttr(oidSigningCertificate, struct{ Certs []id }{[]id{{sum[:]}}}); err != nil {
				return err
			}
			return tok.Sign(srv.Key())
		}),
		forge("no signed content type (tsa took it)", func(tok *testtsa.Token) error {
			for i, a := range tok.Attrs {
				if a.Type.Equal(oidContentType) {
					tok.Attrs = append(tok.Attrs[:i], tok.Attrs[i+1:]...)
					break
				}
			}
			return tok.Sign(srv.Key())
		}),
		forge("a certificate of two extended key usages (receipt took it without roots)", otherUses),
	}
}

// otherUses makes tok signed by a self-signed certificate for time-stamping
// and for TLS servers, which RFC 3161 section 2.3 forbids.
func otherUses(tok *testtsa.Token) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	eku, err := asn1.Marshal([]asn1.ObjectIdentifier{oidKPTimeStamping, oidKPServerAuth})
	if err != nil {
		return err
	}
	tmpl := &x509.Certificate{
		SerialNumber:    big.NewInt(7),
		Subject:         pkix.Name{CommonName: "two uses"},
		NotBefore:       stampedAt.Add(-time.Hour),
		NotAfter:        time.Now().Add(24 * time.Hour),
		KeyUsage:        x509.KeyUsageDigitalSignature,
		ExtraExtensions: []pkix.Extension{{Id: oidExtKeyUsage, Critical: true, Value: eku}},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return err
	}
	tok.Version, tok.SID, tok.Certs = 1, testtsa.IssuerSerial(cert), [][]byte{der}
	if err := tok.SetAttr(signingCertificateV2ID, testtsa.ESSCertIDv2(cert)); err != nil {
		return err
	}
	return tok.Sign(key)
}
