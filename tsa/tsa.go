// Package tsa obtains and checks RFC 3161 time-stamps, through
// github.com/digitorus/timestamp: the trusted time navette puts on its
// journal's signed checkpoints when the operator names a time-stamping
// authority (navette serve --tsa URL).
//
// A Client sends the SHA-256 of a document to the authority over HTTP or
// HTTPS, asks for the authority's certificate and a fresh random nonce, and
// returns the TimeStampToken (a DER CMS ContentInfo) only once it has
// checked the answer: granted, signed by the certificate it carries, for
// that digest and that nonce. Verify checks a token later, offline.
//
// Errors: an authority that cannot be reached, answers an HTTP error, or
// does not answer in time gives an EUNAVAILABLE navette.Error wrapping
// ErrUnavailable (and the network error); an authority that refuses the
// request gives one wrapping ErrRefused; an answer that is not a valid
// time-stamp for the request gives one wrapping ErrBadResponse. In every
// case the caller may try again later. A token that does not verify gives
// an EINVALID error wrapping ErrBadToken and a *TokenError, whose Reason
// says which rule it breaks.
package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/digitorus/timestamp"

	"navette"
)

// Defaults of Config.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultMaxResponse = 256 << 10
)

// Media types of RFC 3161 over HTTP (RFC 3161 section 3.4).
const (
	queryType = "application/timestamp-query"
	replyType = "application/timestamp-reply"
)

// Errors wrapped by the errors of Stamp and Verify, for errors.Is.
var (
	// ErrUnavailable: the authority could not be reached or did not answer
	// in time, or answered an HTTP error.
	ErrUnavailable = errors.New("tsa: time-stamping authority unavailable")
	// ErrRefused: the authority answered with a status other than granted.
	ErrRefused = errors.New("tsa: time-stamping authority refused the request")
	// ErrBadResponse: the answer is not a valid time-stamp for the request.
	ErrBadResponse = errors.New("tsa: invalid answer from the time-stamping authority")
	// ErrBadToken: a time-stamp token does not verify.
	ErrBadToken = errors.New("tsa: invalid time-stamp token")
)

// Object identifiers this package checks.
var (
	oidSignedData           = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo              = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType          = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidSigningCertificate   = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA256               = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// Config says how to reach a time-stamping authority.
type Config struct {
	// URL is the authority's http:// or https:// address. A user and
	// password in it are sent with HTTP basic authentication (over https
	// only) and never appear in errors.
	URL string
	// CAFile is a PEM file of the certificates that the authority's TLS
	// certificate and its signing certificate must chain to. Without it,
	// TLS uses the system's roots and a token's signing certificate is not
	// checked against a root (its signature still is).
	CAFile string
	// Roots, if CAFile is empty, are the certificates of a CA file read
	// already (ReadRoots), used as CAFile's would be.
	Roots *x509.CertPool
	// Timeout bounds a whole request, connection to last byte
	// (DefaultTimeout when zero).
	Timeout time.Duration
	// MaxResponse bounds the size of an answer, in bytes
	// (DefaultMaxResponse when zero).
	MaxResponse int64
}

// Client asks one time-stamping authority for time-stamps. It is safe for
// concurrent use.
type Client struct {
	url      string // without credentials
	desc     string // the URL for errors, password redacted
	user     string
	password string
	roots    *x509.CertPool // nil without CAFile or Roots
	http     *http.Client
	max      int64
}

// New returns a client of the authority cfg names. It returns an EINVALID
// error if the URL or the CA file is not usable.
func New(cfg Config) (*Client, error) {
	u, err := parseAuthorityURL(cfg.URL)
	if err != nil {
		return nil, err
	}
	c := &Client{desc: u.Redacted(), max: cfg.MaxResponse}
	if err := c.takeCredentials(u); err != nil {
		return nil, err
	}
	c.url = u.String()
	if c.max <= 0 {
		c.max = DefaultMaxResponse
	}
	c.roots = cfg.Roots
	if cfg.CAFile != "" {
		if c.roots, err = ReadRoots(cfg.CAFile); err != nil {
			return nil, err
		}
	}
	c.http = newHTTPClient(cfg.Timeout, c.roots)
	return c, nil
}

// parseAuthorityURL checks the authority's URL: http or https, with a
// host.
func parseAuthorityURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, navette.Errorf(navette.EINVALID, "The time-stamping authority's URL must be http:// or https:// with a host.")
	}
	return u, nil
}

// newHTTPClient returns the HTTP client of an authority: no proxy, TLS 1.2
// at least, trusting roots (the system's when nil), redirects not
// followed, and timeout (DefaultTimeout when not positive) for the whole
// exchange and for the answer's headers.
func newHTTPClient(timeout time.Duration, roots *x509.CertPool) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots}
	tr.ResponseHeaderTimeout = timeout
	return &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

// takeCredentials moves the user and password of u, if any, to c; they
// are only sent over https.
func (c *Client) takeCredentials(u *url.URL) error {
	if u.User == nil {
		return nil
	}
	if u.Scheme != "https" {
		return navette.Errorf(navette.EINVALID, "A password for the time-stamping authority is only sent over https.")
	}
	c.user = u.User.Username()
	c.password, _ = u.User.Password()
	u.User = nil
	return nil
}

// ReadRoots reads the PEM certificates of file, the CAs an authority's
// certificates must chain to. It returns an EINVALID error if the file
// cannot be read or holds no certificate.
func ReadRoots(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "The time-stamping authority's CA file cannot be read.")
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, navette.Errorf(navette.EINVALID, "The time-stamping authority's CA file holds no PEM certificate.")
	}
	return roots, nil
}

// Roots returns the certificates of Config.CAFile (or Config.Roots), or nil
// without them: the pool to give Verify.
func (c *Client) Roots() *x509.CertPool { return c.roots }

// String returns the authority's URL, without password.
func (c *Client) String() string { return c.desc }

// Stamp asks the authority to time-stamp digest, a SHA-256, and returns
// the DER TimeStampToken once it has checked it as Verify does (against
// the roots of Config.CAFile, if any) and that it carries the request's
// nonce. See the package documentation for its errors.
func (c *Client) Stamp(ctx context.Context, digest []byte) ([]byte, error) {
	if len(digest) != sha256.Size {
		return nil, navette.Errorf(navette.EINVALID, "A time-stamp is asked for a SHA-256 digest (%d bytes, not %d).", sha256.Size, len(digest))
	}
	nonce, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 64))
	if err != nil {
		return nil, err
	}
	req := &timestamp.Request{HashAlgorithm: crypto.SHA256, HashedMessage: digest, Certificates: true, Nonce: nonce}
	body, err := req.Marshal()
	if err != nil {
		return nil, err
	}
	answer, err := c.post(ctx, body)
	if err != nil {
		return nil, err
	}
	token, err := c.check(answer, digest, nonce)
	if err != nil {
		return nil, navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("%s: %w", c.desc, err), "The time-stamping authority gave no valid time-stamp; it will be asked again.")
	}
	return token, nil
}

// post sends a time-stamp query and returns the body of the answer.
func (c *Client) post(ctx context.Context, body []byte) ([]byte, error) {
	hreq, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return nil, c.unavailable(err)
	}
	hreq.Header.Set("Content-Type", queryType)
	hreq.Header.Set("Accept", replyType)
	if c.user != "" || c.password != "" {
		hreq.SetBasicAuth(c.user, c.password)
	}
	resp, err := c.http.Do(hreq)
	if err != nil {
		var uerr *url.Error
		if errors.As(err, &uerr) {
			err = uerr.Err // its URL could hold the path's secrets; desc names the authority
		}
		return nil, c.unavailable(err)
	}
	defer resp.Body.Close()
	return c.readAnswer(resp)
}

// unavailable is the error of a query that did not reach the authority or
// got no answer from it.
func (c *Client) unavailable(err error) error {
	return navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("%w: %s: %w", ErrUnavailable, c.desc, err), "The time-stamping authority cannot be reached; it will be asked again.")
}

// readAnswer returns the body of the authority's answer, which must be a
// 200 of at most c.max bytes.
func (c *Client) readAnswer(resp *http.Response) ([]byte, error) {
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil, c.unavailable(fmt.Errorf("HTTP status %s", resp.Status))
	}
	answer, err := io.ReadAll(io.LimitReader(resp.Body, c.max+1))
	if err != nil {
		return nil, c.unavailable(err)
	}
	if int64(len(answer)) > c.max {
		return nil, navette.WrapError(navette.EUNAVAILABLE, fmt.Errorf("%w: %s: answer larger than %d bytes", ErrBadResponse, c.desc, c.max), "The time-stamping authority gave no valid time-stamp; it will be asked again.")
	}
	return answer, nil
}

// response is a TimeStampResp (RFC 3161 section 2.4.2).
type response struct {
	Status struct {
		Status       int
		StatusString []string       `asn1:"optional,utf8"`
		FailInfo     asn1.BitString `asn1:"optional"`
	}
	Token asn1.RawValue `asn1:"optional"`
}

// failures names the PKIFailureInfo bits of RFC 3161.
var failures = map[int]string{
	0: "badAlg", 2: "badRequest", 5: "badDataFormat", 14: "timeNotAvailable",
	15: "unacceptedPolicy", 16: "unacceptedExtension", 17: "addInfoNotAvailable", 25: "systemFailure",
}

// check parses a TimeStampResp for a query of digest with nonce, and
// returns its token once it has verified it. Its errors wrap ErrRefused or
// ErrBadResponse.
func (c *Client) check(answer, digest []byte, nonce *big.Int) ([]byte, error) {
	token, err := parseResponse(answer)
	if err != nil {
		return nil, err
	}
	ts, _, err := verify(token, digest, c.roots)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if ts.Nonce == nil || ts.Nonce.Cmp(nonce) != 0 {
		return nil, fmt.Errorf("%w: the nonce of the time-stamp is not the request's", ErrBadResponse)
	}
	return token, nil
}

// parseResponse returns the token of a granted TimeStampResp.
func parseResponse(answer []byte) ([]byte, error) {
	var resp response
	rest, err := asn1.Unmarshal(answer, &resp)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadResponse, err)
	}
	if len(rest) > 0 {
		return nil, fmt.Errorf("%w: trailing bytes after the answer", ErrBadResponse)
	}
	switch resp.Status.Status {
	case 0, 1: // granted, grantedWithMods
	default:
		return nil, fmt.Errorf("%w: status %d %s", ErrRefused, resp.Status.Status, refusalReasons(resp.Status.FailInfo, resp.Status.StatusString))
	}
	if len(resp.Token.FullBytes) == 0 {
		return nil, fmt.Errorf("%w: granted without a token", ErrBadResponse)
	}
	return resp.Token.FullBytes, nil
}

// refusalReasons returns why the authority refused a time-stamp: the names
// of the failure bits set in info, then its status strings, quoted.
func refusalReasons(info asn1.BitString, status []string) string {
	var why []string
	for bit, name := range failures {
		if info.At(bit) == 1 {
			why = append(why, name)
		}
	}
	for _, s := range status {
		why = append(why, fmt.Sprintf("%q", s))
	}
	return strings.Join(why, " ")
}
