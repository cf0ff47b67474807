package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/sha256"
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

// TestTamperedToken flips bits of each byte of a token in turn: no
// altered token verifies.
func TestTamperedToken(t *testing.T) {
	srv := testtsa.Start(t, testtsa.Options{})
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
					t.Errorf("roots %v: byte %d of %d xor %#x: verified %+v", roots, i, len(token), mask, s)
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

// TestOnlySignerOfVersion1: a signer named by subject key identifier
// (version 3) is refused at stamping, since receipt.VerifyToken, which
// checks receipts offline, accepts version 1 only; a token the server took
// must verify offline too.
func TestOnlySignerOfVersion1(t *testing.T) {
	attrs := asn1.RawValue{FullBytes: []byte{0xa0, 0x00}}
	for _, tc := range []struct {
		version int
		ok      bool
	}{{1, true}, {3, false}, {0, false}, {2, false}} {
		sd := &signedData{SignerInfos: []signerInfo{{Version: tc.version, SignedAttrs: attrs}}}
		if _, err := onlySigner(sd); (err == nil) != tc.ok {
			t.Errorf("signer version %d: got %v, want ok %v", tc.version, err, tc.ok)
		}
	}
}
