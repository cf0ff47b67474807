package receipt_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"strings"
	"testing"
	"time"

	"navette"
	"navette/internal/testtsa"
	"navette/receipt"
	"navette/tsa"
)

// keyIDToken returns a token over msg from a test authority that names its
// signer by subject key identifier (SignerInfo version 3), taken by the
// server's client as at stamping.
func keyIDToken(t *testing.T, msg []byte) (*testtsa.Server, []byte) {
	t.Helper()
	srv, token := stampedBy(t, testtsa.Options{KeyID: true}, msg)
	if parts, err := testtsa.ParseToken(token); err != nil || parts.Version != 3 {
		t.Fatalf("not a token of version 3: %+v, %v", parts, err)
	}
	return srv, token
}

// stampedBy returns a token over msg from a test authority started with
// opts, at a fixed time, taken by the server's client as at stamping.
func stampedBy(t *testing.T, opts testtsa.Options, msg []byte) (*testtsa.Server, []byte) {
	t.Helper()
	opts.Clock = navette.NewFakeClock(time.Date(2026, 12, 5, 13, 9, 30, 0, time.UTC))
	srv := testtsa.Start(t, opts)
	c, err := tsa.New(tsa.Config{URL: srv.URL(), CAFile: srv.CAFile()})
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(msg)
	token, err := c.Stamp(context.Background(), sum[:])
	if err != nil {
		t.Fatal(err)
	}
	return srv, token
}

// TestVerifyTokenKeyID: a token whose signer is named by subject key
// identifier verifies, with and without the roots, and says what a token
// of version 1 says.
func TestVerifyTokenKeyID(t *testing.T) {
	msg := []byte("checkpoint\n")
	srv, token := keyIDToken(t, msg)
	for _, roots := range []*x509.CertPool{srv.Roots(), nil} {
		r, err := receipt.VerifyToken(token, msg, roots)
		if err != nil {
			t.Fatal(err)
		}
		cert := srv.Certificate()
		if r.Trusted != (roots != nil) || !r.Time.Equal(time.Date(2026, 12, 5, 13, 9, 30, 0, time.UTC)) || r.Accuracy != time.Second ||
			r.Subject != cert.Subject.String() || r.Issuer != cert.Issuer.String() || r.Policy != testtsa.Policy.String() || r.Serial == "" {
			t.Errorf("roots %v: got %+v", roots != nil, r)
		}
	}
	if _, err := receipt.VerifyToken(token, []byte("another checkpoint\n"), srv.Roots()); err == nil {
		t.Error("the token verifies for another checkpoint")
	}
}

// TestVerifyOpenSSLKeyIDToken: a token whose signer is named by subject
// key identifier, made by OpenSSL alone, verifies, with and without its
// root, and not for another message.
func TestVerifyOpenSSLKeyIDToken(t *testing.T) {
	token, msg, roots := testtsa.OpenSSLKeyID(t)
	if parts, err := testtsa.ParseToken(token); err != nil || parts.Version != 3 {
		t.Fatalf("not a token of version 3: %+v, %v", parts, err)
	}
	for _, pool := range []*x509.CertPool{roots, nil} {
		r, err := receipt.VerifyToken(token, msg, pool)
		if err != nil {
			t.Fatal(err)
		}
		if r.Trusted != (pool != nil) || r.Subject != "CN=OpenSSL test TSA,O=navette tests" || r.Policy != "1.3.6.1.4.1.99999.3161.2" || r.Accuracy != time.Second {
			t.Errorf("roots %v: got %+v", pool != nil, r)
		}
	}
	if _, err := receipt.VerifyToken(token, append(bytes.Clone(msg), '\n'), roots); err == nil {
		t.Error("the token verifies for another message")
	}
}

// TestKeyIDForgeries: every forgery of a token whose signer is named by
// subject key identifier is refused, with or without the roots, for what
// it alters.
func TestKeyIDForgeries(t *testing.T) {
	msg := []byte("checkpoint\n")
	srv, token := keyIDToken(t, msg)
	forgeries, err := srv.KeyIDForgeries(token)
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{}
	for reason, names := range map[string][]string{
		"no certificate it carries has its signer's subject key identifier":                 {testtsa.ForgedUnknownKeyID},
		"several of the certificates it carries have its signer's subject key identifier":   {testtsa.ForgedTwinKeyID},
		"unexpected signer information":                                                     {testtsa.ForgedEmptyKeyID, testtsa.ForgedV3BySerial, testtsa.ForgedV1ByKeyID},
		"the signature does not hold":                                                       {testtsa.ForgedOtherCert, testtsa.ForgedSignedAttr},
		"Message digest mismatch":                                                           {testtsa.ForgedTSTInfo},
		"its signed signing-certificate attribute does not name the certificate it carries": {testtsa.ForgedESS},
		"its signer is not the certificate its subject key identifier names":                {testtsa.ForgedImpostorFirst},
	} {
		for _, n := range names {
			why[n] = reason
		}
	}
	if len(forgeries) != len(why) {
		t.Fatalf("%d forgeries, %d reasons", len(forgeries), len(why))
	}
	for _, f := range forgeries {
		t.Run(f.Name, func(t *testing.T) {
			for _, roots := range []*x509.CertPool{srv.Roots(), nil} {
				_, err := receipt.VerifyToken(f.Token, msg, roots)
				if err == nil || !strings.Contains(err.Error(), why[f.Name]) {
					t.Errorf("roots %v: got %v, want %q", roots != nil, err, why[f.Name])
				}
			}
		})
	}
}

// TestKeyIDTokenEveryByte: flipping any bit of a token whose signer is
// named by subject key identifier makes it fail, with or without a trusted
// root.
func TestKeyIDTokenEveryByte(t *testing.T) {
	msg := []byte("checkpoint\n")
	srv, token := keyIDToken(t, msg)
	openSSL, openSSLMsg, openSSLRoots := testtsa.OpenSSLKeyID(t)
	for _, tc := range []struct {
		name       string
		token, msg []byte
		roots      *x509.CertPool
	}{{"test TSA", token, msg, srv.Roots()}, {"OpenSSL", openSSL, openSSLMsg, openSSLRoots}} {
		forged := bytes.Clone(tc.token)
		for i := range tc.token {
			for b := range 8 {
				forged[i] = tc.token[i] ^ 1<<b
				for _, roots := range []*x509.CertPool{tc.roots, nil} {
					if _, err := receipt.VerifyToken(forged, tc.msg, roots); err == nil {
						t.Errorf("%s: token byte %d ^ %#02x still verifies (trusted roots: %v)", tc.name, i, 1<<b, roots != nil)
					}
				}
			}
			forged[i] = tc.token[i]
		}
	}
}

// TestSignedAttrsInDEROrder: a token whose signed attributes were put out
// of DER order, its signature unchanged (which pkcs7 accepts, sorting them
// again), is refused, whatever names its signer.
func TestSignedAttrsInDEROrder(t *testing.T) {
	msg := []byte("checkpoint\n")
	srv, v3 := keyIDToken(t, msg)
	openSSL, openSSLMsg, openSSLRoots := testtsa.OpenSSLKeyID(t)
	v1Srv, v1 := stampedBy(t, testtsa.Options{}, msg)
	for _, tc := range []struct {
		name       string
		token, msg []byte
		roots      *x509.CertPool
	}{
		{"version 1", v1, msg, v1Srv.Roots()},
		{"version 3", v3, msg, srv.Roots()},
		{"OpenSSL", openSSL, openSSLMsg, openSSLRoots},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := receipt.VerifyToken(tc.token, tc.msg, tc.roots); err != nil {
				t.Fatalf("the token as issued: %v", err)
			}
			reordered, err := testtsa.Reordered(tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := receipt.VerifyToken(reordered, tc.msg, tc.roots); err == nil || !strings.Contains(err.Error(), "not in DER order") {
				t.Errorf("got %v, want: not in DER order", err)
			}
		})
	}
}
