package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"io"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/digitorus/timestamp"

	"navette"
	"navette/internal/testtsa"
)

var at = time.Date(2026, 12, 5, 13, 8, 44, 0, time.UTC)

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func newClient(t *testing.T, srv *testtsa.Server, cfg Config) *Client {
	t.Helper()
	cfg.URL = srv.URL()
	if cfg.CAFile == "" {
		cfg.CAFile = srv.CAFile()
	}
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestStampVerify(t *testing.T) {
	for _, tlsOn := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tlsOn], func(t *testing.T) {
			srv := testtsa.Start(t, testtsa.Options{TLS: tlsOn, Clock: navette.NewFakeClock(at)})
			c := newClient(t, srv, Config{})
			d := digestOf("checkpoint")
			token, err := c.Stamp(context.Background(), d)
			if err != nil {
				t.Fatal(err)
			}
			var ci struct {
				ContentType asn1.ObjectIdentifier
				Content     asn1.RawValue `asn1:"explicit,tag:0"`
			}
			if rest, err := asn1.Unmarshal(token, &ci); err != nil || len(rest) > 0 || !ci.ContentType.Equal(asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}) {
				t.Fatalf("token is not a CMS SignedData ContentInfo: %v, %d trailing bytes, type %v", err, len(rest), ci.ContentType)
			}
			for _, roots := range []bool{true, false} {
				pool := c.Roots()
				if !roots {
					pool = nil
				}
				s, err := Verify(token, d, pool)
				if err != nil {
					t.Fatal(err)
				}
				if !s.Time.Equal(at) || s.Chained != roots || !strings.Contains(s.Signer, "CN="+testtsa.Name) || s.Serial == "" || s.Policy != testtsa.Policy.String() || s.Accuracy != time.Second {
					t.Errorf("roots %v: got %+v", roots, s)
				}
			}
		})
	}
}

func TestVerifyRefuses(t *testing.T) {
	srv := testtsa.Start(t, testtsa.Options{})
	c := newClient(t, srv, Config{})
	d := digestOf("checkpoint")
	token, err := c.Stamp(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	other := testtsa.Start(t, testtsa.Options{})
	for _, tc := range []struct {
		name   string
		token  []byte
		digest []byte
		roots  bool
	}{
		{"wrong digest", token, digestOf("another checkpoint"), true},
		{"short digest", token, d[:20], true},
		{"other TSA's roots", token, d, false},
		{"empty", nil, d, true},
		{"truncated", token[:len(token)-1], d, true},
		{"trailing byte", append(append([]byte(nil), token...), 0), d, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			roots := srv.Roots()
			if !tc.roots {
				roots = other.Roots()
			}
			_, err := Verify(tc.token, tc.digest, roots)
			if !errors.Is(err, ErrBadToken) || navette.ErrorCode(err) != navette.EINVALID {
				t.Fatalf("got %v, want an EINVALID ErrBadToken", err)
			}
		})
	}
}

// TestTamperedToken flips bits of each byte of a token in turn, its
// signer named by issuer and serial number or by subject key identifier:
// no altered token verifies.
func TestTamperedToken(t *testing.T) {
	for _, keyID := range []bool{false, true} {
		srv := testtsa.Start(t, testtsa.Options{KeyID: keyID})
		c := newClient(t, srv, Config{})
		d := digestOf("checkpoint")
		token, err := c.Stamp(context.Background(), d)
		if err != nil {
			t.Fatal(err)
		}
		for _, roots := range []bool{true, false} {
			pool := srv.Roots()
			if !roots {
				pool = nil
			}
			for _, mask := range []byte{0x01, 0x80, 0xff} {
				for i := range token {
					bad := append([]byte(nil), token...)
					bad[i] ^= mask
					if s, err := Verify(bad, d, pool); err == nil {
						t.Errorf("key id %v, roots %v: byte %d of %d xor %#x: verified %+v", keyID, roots, i, len(token), mask, s)
					}
				}
			}
		}
	}
}

func TestStampFailures(t *testing.T) {
	for _, tc := range []struct {
		mode testtsa.Mode
		want error
		says string
	}{
		{testtsa.Garbage, ErrBadResponse, ""},
		{testtsa.Refuse, ErrRefused, "badRequest"},
		{testtsa.Fail, ErrUnavailable, "500"},
		{testtsa.WrongNonce, ErrBadResponse, "nonce"},
		{testtsa.WrongDigest, ErrBadResponse, "another digest"},
		{testtsa.NoCertificate, ErrBadResponse, "certificate"},
	} {
		t.Run(tc.want.Error()+" "+tc.says, func(t *testing.T) {
			srv := testtsa.Start(t, testtsa.Options{})
			srv.SetMode(tc.mode)
			c := newClient(t, srv, Config{})
			token, err := c.Stamp(context.Background(), digestOf("checkpoint"))
			if !errors.Is(err, tc.want) || navette.ErrorCode(err) != navette.EUNAVAILABLE || !strings.Contains(err.Error(), tc.says) || token != nil {
				t.Fatalf("got %v, want an EUNAVAILABLE error wrapping %v saying %q", err, tc.want, tc.says)
			}
		})
	}
}

func TestStampTooLarge(t *testing.T) {
	srv := testtsa.Start(t, testtsa.Options{})
	c := newClient(t, srv, Config{MaxResponse: 100})
	_, err := c.Stamp(context.Background(), digestOf("checkpoint"))
	if !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "larger than 100 bytes") {
		t.Fatalf("got %v", err)
	}
}

// TestStampLate: an authority slower than the timeout, or than the
// caller's context, is unavailable.
func TestStampLate(t *testing.T) {
	srv := testtsa.Start(t, testtsa.Options{})
	srv.SetDelay(time.Minute)
	c := newClient(t, srv, Config{Timeout: 200 * time.Millisecond})
	_, err := c.Stamp(context.Background(), digestOf("checkpoint"))
	if !errors.Is(err, ErrUnavailable) || navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Fatalf("timeout: got %v", err)
	}
	c = newClient(t, srv, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.Stamp(ctx, digestOf("checkpoint"))
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("context: got %v", err)
	}
}

func TestStampOutage(t *testing.T) {
	srv := testtsa.Start(t, testtsa.Options{})
	c := newClient(t, srv, Config{})
	d := digestOf("checkpoint")
	if _, err := c.Stamp(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	_, err := c.Stamp(context.Background(), d)
	if !errors.Is(err, ErrUnavailable) || navette.ErrorCode(err) != navette.EUNAVAILABLE {
		t.Fatalf("stopped: got %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	token, err := c.Stamp(context.Background(), d)
	if err != nil {
		t.Fatalf("restarted: %v", err)
	}
	if _, err := Verify(token, d, srv.Roots()); err != nil {
		t.Fatal(err)
	}
	if srv.Granted() != 2 {
		t.Errorf("granted %d, want 2", srv.Granted())
	}
}

func TestNew(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want string // "" when valid
	}{
		{Config{URL: "http://tsa.example/"}, ""},
		{Config{URL: "https://user:pw@tsa.example/tsr"}, ""},
		{Config{URL: "http://user:pw@tsa.example/"}, "only sent over https"},
		{Config{URL: "ftp://tsa.example/"}, "http://"},
		{Config{URL: "tsa.example"}, "http://"},
		{Config{URL: "http:///path"}, "http://"},
		{Config{URL: "http://tsa.example/", CAFile: "/nonexistent/ca.pem"}, "cannot be read"},
		{Config{URL: "http://tsa.example/", CAFile: "tsa.go"}, "no PEM certificate"},
	} {
		c, err := New(tc.cfg)
		if tc.want == "" {
			if err != nil {
				t.Errorf("%+v: %v", tc.cfg, err)
			} else if strings.Contains(c.String(), "pw") {
				t.Errorf("%+v: String() shows the password: %s", tc.cfg, c)
			}
			continue
		}
		if navette.ErrorCode(err) != navette.EINVALID || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want EINVALID saying %q", tc.cfg, err, tc.want)
		}
	}
	c, _ := New(Config{URL: "http://tsa.example/"})
	if _, err := c.Stamp(context.Background(), []byte("short")); navette.ErrorCode(err) != navette.EINVALID {
		t.Errorf("short digest: got %v", err)
	}
}

// fuzzNonce is the nonce of the seed queries of FuzzCheck.
var fuzzNonce = big.NewInt(3161)

// FuzzCheck feeds answers to the path that parses and checks what an
// authority answers: whatever the bytes, it returns a token or an error,
// never panics, and a token it returns verifies.
func FuzzCheck(f *testing.F) {
	srv, err := testtsa.New("", testtsa.Options{})
	if err != nil {
		f.Fatal(err)
	}
	defer srv.Close()
	c, err := New(Config{URL: srv.URL(), CAFile: srv.CAFile()})
	if err != nil {
		f.Fatal(err)
	}
	d := digestOf("checkpoint")
	for _, mode := range []testtsa.Mode{testtsa.Grant, testtsa.Refuse, testtsa.WrongNonce, testtsa.NoCertificate} {
		srv.SetMode(mode)
		f.Add(query(f, srv.URL(), d))
	}
	srv.SetMode(testtsa.Grant)
	token, err := parseResponse(query(f, srv.URL(), d))
	if err != nil {
		f.Fatal(err)
	}
	if token, err = testtsa.ByKeyID(token, srv.Certificate()); err != nil {
		f.Fatal(err)
	}
	f.Add(granted(f, token))
	f.Fuzz(func(t *testing.T, answer []byte) {
		token, err := c.check(answer, d, fuzzNonce)
		if err != nil {
			if !errors.Is(err, ErrBadResponse) && !errors.Is(err, ErrRefused) {
				t.Fatalf("error wraps neither ErrBadResponse nor ErrRefused: %v", err)
			}
			return
		}
		if _, err := Verify(token, d, c.Roots()); err != nil {
			t.Fatalf("checked token does not verify: %v", err)
		}
	})
}

// granted returns a TimeStampResp granting token.
func granted(tb testing.TB, token []byte) []byte {
	answer, err := asn1.Marshal(struct {
		Status struct{ Status int }
		Token  asn1.RawValue
	}{Token: asn1.RawValue{FullBytes: token}})
	if err != nil {
		tb.Fatal(err)
	}
	return answer
}

// query posts a query of digest with fuzzNonce to url and returns the
// answer.
func query(tb testing.TB, url string, digest []byte) []byte {
	req := &timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Certificates: true, Nonce: fuzzNonce}
	body, err := req.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := http.Post(url, "application/timestamp-query", bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// Client is the stamper the journal's checkpointer takes.
var _ interface {
	Stamp(ctx context.Context, digest []byte) ([]byte, error)
} = (*Client)(nil)

// TestSignerNamedAsItsVersionSays: a signer of version 1 is named by
// issuer and serial number, one of version 3 by a non-empty subject key
// identifier; any other version or shape is refused.
func TestSignerNamedAsItsVersionSays(t *testing.T) {
	attrs := asn1.RawValue{FullBytes: []byte{0xa0, 0x00}}
	byIssuerSerial := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSequence, IsCompound: true}
	byKeyID := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: []byte{1, 2, 3}}
	emptyKeyID := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0}
	constructedKeyID := asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: []byte{4, 1, 1}}
	for _, tc := range []struct {
		version int
		sid     asn1.RawValue
		ok      bool
	}{
		{1, byIssuerSerial, true}, {3, byKeyID, true},
		{1, byKeyID, false}, {3, byIssuerSerial, false}, {3, emptyKeyID, false}, {3, constructedKeyID, false},
		{0, byIssuerSerial, false}, {2, byIssuerSerial, false}, {2, byKeyID, false}, {4, byKeyID, false},
	} {
		sd := &signedData{SignerInfos: []signerInfo{{Version: tc.version, SID: tc.sid, SignedAttrs: attrs}}}
		if _, err := onlySigner(sd); (err == nil) != tc.ok {
			t.Errorf("signer version %d, sid %+v: got %v, want ok %v", tc.version, tc.sid, err, tc.ok)
		}
	}
}

// stampKeyID starts an authority that names its signer by subject key
// identifier, and returns it, a client of it, and its token over the
// digest d it returns.
func stampKeyID(t *testing.T) (srv *testtsa.Server, c *Client, d, token []byte) {
	t.Helper()
	srv = testtsa.Start(t, testtsa.Options{KeyID: true, Clock: navette.NewFakeClock(at)})
	c = newClient(t, srv, Config{})
	d = digestOf("checkpoint")
	token, err := c.Stamp(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return srv, c, d, token
}

// TestVerifyOpenSSLKeyID: a token whose signer is named by subject key
// identifier, made by OpenSSL alone, verifies.
func TestVerifyOpenSSLKeyID(t *testing.T) {
	token, msg, roots := testtsa.OpenSSLKeyID(t)
	sum := sha256.Sum256(msg)
	s, err := Verify(token, sum[:], roots)
	if err != nil {
		t.Fatal(err)
	}
	if !s.Chained || s.Signer != "CN=OpenSSL test TSA,O=navette tests" {
		t.Errorf("got %+v", s)
	}
	if parts, err := testtsa.ParseToken(token); err != nil || parts.Version != 3 || !bytes.Equal(parts.SID, testtsa.KeyID(s.Certificate.SubjectKeyId)) {
		t.Errorf("the signer is not named by the key identifier of the certificate found: %+v, %v", parts, err)
	}
}

// TestKeyIDForgeries: every forgery of a token whose signer is named by
// subject key identifier is refused at stamping and by Verify, with or
// without the roots, for what it alters.
func TestKeyIDForgeries(t *testing.T) {
	srv, c, d, token := stampKeyID(t)
	forgeries, err := srv.KeyIDForgeries(token)
	if err != nil {
		t.Fatal(err)
	}
	why := map[string]string{
		testtsa.ForgedUnknownKeyID:  "0 certificates of the token have the signer's subject key identifier",
		testtsa.ForgedEmptyKeyID:    "signer of version 3 not named as that version says",
		testtsa.ForgedOtherCert:     "verification failure",
		testtsa.ForgedTwinKeyID:     "2 certificates of the token have the signer's subject key identifier",
		testtsa.ForgedV3BySerial:    "signer of version 3 not named as that version says",
		testtsa.ForgedV1ByKeyID:     "signer of version 1 not named as that version says",
		testtsa.ForgedSignedAttr:    "verification failure",
		testtsa.ForgedTSTInfo:       "Message digest mismatch",
		testtsa.ForgedESS:           "not the one the signed attributes name",
		testtsa.ForgedImpostorFirst: "not the one the signer's subject key identifier names",
	}
	for _, f := range forgeries {
		t.Run(f.Name, func(t *testing.T) {
			for _, pool := range []*x509.CertPool{srv.Roots(), nil} {
				_, err := Verify(f.Token, d, pool)
				if !errors.Is(err, ErrBadToken) || !strings.Contains(err.Error(), why[f.Name]) {
					t.Errorf("roots %v: got %v, want ErrBadToken saying %q", pool != nil, err, why[f.Name])
				}
			}
			if _, err := c.check(granted(t, f.Token), d, fuzzNonce); !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), why[f.Name]) {
				t.Errorf("at stamping: got %v, want ErrBadResponse saying %q", err, why[f.Name])
			}
		})
	}
}

// TestSignedAttrsInDEROrder: a token whose signed attributes were put out
// of DER order, its signature unchanged (which pkcs7 accepts, sorting them
// again), is refused at stamping and by Verify, whatever names its signer.
func TestSignedAttrsInDEROrder(t *testing.T) {
	srv := testtsa.Start(t, testtsa.Options{Clock: navette.NewFakeClock(at)})
	c := newClient(t, srv, Config{})
	d := digestOf("checkpoint")
	v1, err := c.Stamp(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	_, cKeyID, _, v3 := stampKeyID(t)
	openSSL, msg, openSSLRoots := testtsa.OpenSSLKeyID(t)
	openSSLSum := sha256.Sum256(msg)
	for _, tc := range []struct {
		name   string
		c      *Client
		token  []byte
		digest []byte
		roots  *x509.CertPool
	}{
		{"version 1", c, v1, d, srv.Roots()},
		{"version 3", cKeyID, v3, d, nil},
		{"OpenSSL", nil, openSSL, openSSLSum[:], openSSLRoots},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Verify(tc.token, tc.digest, tc.roots); err != nil {
				t.Fatalf("the token as issued: %v", err)
			}
			reordered, err := testtsa.Reordered(tc.token)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Verify(reordered, tc.digest, tc.roots); !errors.Is(err, ErrBadToken) || !strings.Contains(err.Error(), "not in DER order") {
				t.Errorf("Verify: got %v, want ErrBadToken, not in DER order", err)
			}
			if tc.c == nil {
				return
			}
			if _, err := tc.c.check(granted(t, reordered), tc.digest, fuzzNonce); !errors.Is(err, ErrBadResponse) || !strings.Contains(err.Error(), "not in DER order") {
				t.Errorf("at stamping: got %v, want ErrBadResponse, not in DER order", err)
			}
		})
	}
}
