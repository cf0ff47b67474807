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
// an EINVALID error wrapping ErrBadToken.
package tsa

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rand"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/digitorus/pkcs7"
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
	roots    *x509.CertPool // nil without CAFile
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
	if cfg.CAFile != "" {
		if err := c.readRoots(cfg.CAFile); err != nil {
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

// readRoots reads the PEM certificates of file as c's roots.
func (c *Client) readRoots(file string) error {
	pem, err := os.ReadFile(file)
	if err != nil {
		return navette.WrapError(navette.EINVALID, err, "The time-stamping authority's CA file cannot be read.")
	}
	c.roots = x509.NewCertPool()
	if !c.roots.AppendCertsFromPEM(pem) {
		return navette.Errorf(navette.EINVALID, "The time-stamping authority's CA file holds no PEM certificate.")
	}
	return nil
}

// Roots returns the certificates of Config.CAFile, or nil without one: the
// pool to give Verify.
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

// Stamp is what a verified time-stamp token says.
type Stamp struct {
	// Time is the time the authority vouches for (genTime), in UTC.
	Time time.Time
	// Accuracy is the margin the authority gives Time, zero if it gives
	// none.
	Accuracy time.Duration
	// Serial is the token's serial number, in decimal.
	Serial string
	// Policy is the authority's policy under which the token was issued.
	Policy string
	// Signer is the subject of the authority's signing certificate
	// (RFC 2253 form), and Certificate that certificate.
	Signer      string
	Certificate *x509.Certificate
	// Chained reports whether the signing certificate was checked against
	// trusted roots; if false, only the signature by the certificate the
	// token carries was checked.
	Chained bool
}

// Verify checks that token is a time-stamp token for digest (a SHA-256),
// signed by the certificate it carries, which must be a time-stamping
// certificate (RFC 3161 section 2.3) and be the one the token's signed
// attributes name; with roots, that certificate must also chain to one of
// them at the time of the stamp. The signer may be named by issuer and
// serial number (a SignerInfo of version 1) or by subject key identifier
// (version 3): then exactly one certificate of the token must have that
// Subject Key Identifier. It returns an EINVALID error wrapping ErrBadToken
// if not.
func Verify(token, digest []byte, roots *x509.CertPool) (*Stamp, error) {
	ts, cert, err := verify(token, digest, roots)
	if err != nil {
		return nil, navette.WrapError(navette.EINVALID, fmt.Errorf("%w: %w", ErrBadToken, err), "The time-stamp token is not valid.")
	}
	s := &Stamp{
		Time:        ts.Time.UTC(),
		Accuracy:    ts.Accuracy,
		Signer:      cert.Subject.String(),
		Certificate: cert,
		Chained:     roots != nil,
	}
	if ts.SerialNumber != nil {
		s.Serial = ts.SerialNumber.String()
	}
	if ts.Policy != nil {
		s.Policy = ts.Policy.String()
	}
	return s, nil
}

// verify checks a token as Verify does and returns it parsed with the
// signing certificate.
func verify(token, digest []byte, roots *x509.CertPool) (*timestamp.Timestamp, *x509.Certificate, error) {
	sd, err := checkDER(token)
	if err != nil {
		return nil, nil, err
	}
	token, named, err := asIssuerSerial(token, sd)
	if err != nil {
		return nil, nil, err
	}
	p7, cert, err := signer(token)
	if err != nil {
		return nil, nil, err
	}
	if named != nil && !cert.Equal(named) {
		return nil, nil, errors.New("the signing certificate is not the one the signer's subject key identifier names")
	}
	ts, err := stamp(token, digest)
	if err != nil {
		return nil, nil, err
	}
	if !hasTimeStamping(cert) {
		return nil, nil, errors.New("the signing certificate is not for time-stamping")
	}
	if err := checkSigningCertificate(p7, cert); err != nil {
		return nil, nil, err
	}
	if roots != nil {
		if err := chains(roots, p7, cert, ts.Time); err != nil {
			return nil, nil, err
		}
	}
	return ts, cert, nil
}

// signer returns the token's CMS structure and the certificate of its one
// signer, which the token must carry.
func signer(token []byte) (*pkcs7.PKCS7, *x509.Certificate, error) {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, err
	}
	if len(p7.Signers) != 1 {
		return nil, nil, fmt.Errorf("%d signers, not one", len(p7.Signers))
	}
	cert := p7.GetOnlySigner()
	if cert == nil {
		return nil, nil, errors.New("the token does not carry its signing certificate")
	}
	return p7, cert, nil
}

// stamp returns the token's TSTInfo, checking that it stamps digest, a
// SHA-256.
func stamp(token, digest []byte) (*timestamp.Timestamp, error) {
	// timestamp.Parse checks the signature with the certificate the token
	// carries, and parses TSTInfo.
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, err
	}
	if ts.HashAlgorithm != crypto.SHA256 {
		return nil, fmt.Errorf("the token stamps a %v digest, not SHA-256", ts.HashAlgorithm)
	}
	if len(digest) != sha256.Size || subtle.ConstantTimeCompare(ts.HashedMessage, digest) != 1 {
		return nil, errors.New("the token stamps another digest")
	}
	return ts, nil
}

// chains checks that cert chains, through the certificates of p7, to one
// of roots at the time at.
func chains(roots *x509.CertPool, p7 *pkcs7.PKCS7, cert *x509.Certificate, at time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range p7.Certificates {
		inter.AddCert(c)
	}
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:         roots,
		Intermediates: inter,
		CurrentTime:   at,
		KeyUsages:     []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping},
	})
	if err != nil {
		return fmt.Errorf("the signing certificate does not chain to a trusted root: %w", err)
	}
	return nil
}

// hasTimeStamping reports whether cert's only extended key usage is
// timeStamping, as RFC 3161 section 2.3 requires.
func hasTimeStamping(cert *x509.Certificate) bool {
	return len(cert.ExtKeyUsage) == 1 && cert.ExtKeyUsage[0] == x509.ExtKeyUsageTimeStamping && len(cert.UnknownExtKeyUsage) == 0
}

// signingCertificate is SigningCertificate or SigningCertificateV2, up to
// the first certificate's identifier.
type signingCertificate struct {
	Certs []asn1.RawValue
	Rest  asn1.RawValue `asn1:"optional"`
}

// checkSigningCertificate checks that the token's signed attributes name
// cert as the signer's certificate (ESS signing-certificate, v1 or v2), so
// that the certificate cannot be swapped for another of the same key.
func checkSigningCertificate(p7 *pkcs7.PKCS7, cert *x509.Certificate) error {
	var sc signingCertificate
	if err := p7.UnmarshalSignedAttribute(oidSigningCertificateV2, &sc); err == nil && len(sc.Certs) > 0 {
		return checkCertIDv2(sc.Certs[0].FullBytes, cert)
	}
	if err := p7.UnmarshalSignedAttribute(oidSigningCertificate, &sc); err == nil && len(sc.Certs) > 0 {
		return checkCertIDv1(sc.Certs[0].FullBytes, cert)
	}
	return errors.New("the token's signed attributes do not name the signing certificate")
}

// checkCertIDv2 checks that der is an ESSCertIDv2 with the SHA-256 of
// cert.
func checkCertIDv2(der []byte, cert *x509.Certificate) error {
	var id struct {
		HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"`
		CertHash      []byte
		IssuerSerial  asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(der, &id); err != nil || len(rest) > 0 {
		return errMalformedCertID
	}
	if id.HashAlgorithm.Algorithm != nil && !id.HashAlgorithm.Algorithm.Equal(oidSHA256) {
		return fmt.Errorf("the signed signing-certificate attribute uses hash %v, not SHA-256", id.HashAlgorithm.Algorithm)
	}
	sum := sha256.Sum256(cert.Raw)
	return sameCertHash(id.CertHash, sum[:])
}

// checkCertIDv1 checks that der is an ESSCertID with the SHA-1 of cert.
func checkCertIDv1(der []byte, cert *x509.Certificate) error {
	var id struct {
		CertHash     []byte
		IssuerSerial asn1.RawValue `asn1:"optional"`
	}
	if rest, err := asn1.Unmarshal(der, &id); err != nil || len(rest) > 0 {
		return errMalformedCertID
	}
	sum := sha1.Sum(cert.Raw)
	return sameCertHash(id.CertHash, sum[:])
}

var errMalformedCertID = errors.New("the signed signing-certificate attribute is malformed")

// sameCertHash checks that the hash the signed attributes name is sum, the
// signing certificate's.
func sameCertHash(named, sum []byte) error {
	if subtle.ConstantTimeCompare(named, sum) != 1 {
		return errors.New("the signing certificate is not the one the signed attributes name")
	}
	return nil
}

// CMS structures (RFC 5652) as checkDER reads them: what the signature
// covers stays raw.
type (
	contentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue // [0] EXPLICIT
	}
	signedData struct {
		Version          int
		DigestAlgorithms []asn1.RawValue `asn1:"set"`
		EncapContentInfo struct {
			EContentType asn1.ObjectIdentifier
			EContent     asn1.RawValue // [0] EXPLICIT OCTET STRING
		}
		Certificates asn1.RawValue `asn1:"optional,tag:0"`
		CRLs         asn1.RawValue `asn1:"optional,tag:1"`
		SignerInfos  []signerInfo  `asn1:"set"`
	}
	signerInfo struct {
		Version            int
		SID                asn1.RawValue
		DigestAlgorithm    asn1.RawValue
		SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
		SignatureAlgorithm asn1.RawValue
		Signature          []byte
		UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
	}
	algorithm struct {
		Algorithm  asn1.ObjectIdentifier
		Parameters asn1.RawValue `asn1:"optional"`
	}
)

// Object identifiers of CMS.
var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
)

// checkDER checks that token is a time-stamp token in DER whose parts
// outside the signature hold the only values they may hold, so that no
// byte of what it claims can change without the token failing: the
// signature covers TSTInfo and the signed attributes (in DER order), the
// signed attributes name the certificate, and this covers the envelope
// (content types, versions, algorithm identifiers, lengths). A token with
// CRLs or unsigned attributes is refused. Certificates other than the
// signer's serve only to build a chain to the roots given to Verify; their
// order is not checked, as it changes no claim. It returns the parsed
// SignedData.
func checkDER(token []byte) (*signedData, error) {
	sd, err := parseSignedData(token)
	if err != nil {
		return nil, err
	}
	si, err := onlySigner(sd)
	if err != nil {
		return nil, err
	}
	if err := checkSignedAttrs(si.SignedAttrs.Bytes); err != nil {
		return nil, err
	}
	if err := checkAlgorithms(sd, si); err != nil {
		return nil, err
	}
	return sd, nil
}

// parseSignedData reads token as a ContentInfo holding a SignedData of
// version 3 whose content is a TSTInfo in an OCTET STRING, with no CRLs.
func parseSignedData(token []byte) (*signedData, error) {
	content, err := signedDataContent(token)
	if err != nil {
		return nil, err
	}
	var sd signedData
	if err := unmarshalDER(content, &sd); err != nil {
		return nil, fmt.Errorf("the token's SignedData is not DER: %w", err)
	}
	if err := checkTSTInfoContent(&sd); err != nil {
		return nil, err
	}
	if len(sd.CRLs.FullBytes) > 0 {
		return nil, errors.New("the token carries CRLs")
	}
	return &sd, nil
}

// signedDataContent reads token as a ContentInfo of type SignedData and
// returns the DER of the SignedData.
func signedDataContent(token []byte) ([]byte, error) {
	var ci contentInfo
	if err := unmarshalDER(token, &ci); err != nil {
		return nil, fmt.Errorf("the token is not DER: %w", err)
	}
	if !ci.ContentType.Equal(oidSignedData) || !explicit0(ci.Content) {
		return nil, errors.New("the token is not CMS SignedData")
	}
	return ci.Content.Bytes, nil
}

// checkTSTInfoContent checks that sd is of version 3 and that its content
// is a TSTInfo in an OCTET STRING.
func checkTSTInfoContent(sd *signedData) error {
	if sd.Version != 3 || !sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) || !explicit0(sd.EncapContentInfo.EContent) {
		return errors.New("the token's SignedData is not a TSTInfo of version 3")
	}
	var content asn1.RawValue
	if err := unmarshalDER(sd.EncapContentInfo.EContent.Bytes, &content); err != nil || !universal(content, asn1.TagOctetString, false) {
		return errors.New("the token's content is not an OCTET STRING")
	}
	return nil
}

// onlySigner returns the one signer of sd, named as its version says (see
// namesSigner), with signed attributes and no unsigned ones.
func onlySigner(sd *signedData) (*signerInfo, error) {
	if len(sd.SignerInfos) != 1 {
		return nil, fmt.Errorf("%d signers, not one", len(sd.SignerInfos))
	}
	si := &sd.SignerInfos[0]
	if !si.namesSigner() {
		return nil, fmt.Errorf("signer of version %d not named as that version says (1: issuer and serial number, 3: subject key identifier)", si.Version)
	}
	if len(si.UnsignedAttrs.FullBytes) > 0 {
		return nil, errors.New("the token carries unsigned attributes")
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return nil, errors.New("the token carries no signed attributes")
	}
	return si, nil
}

// namesSigner reports whether si is of version 1 with a sid of
// IssuerAndSerialNumber (a SEQUENCE), or of version 3 with a sid of
// [0] IMPLICIT SubjectKeyIdentifier (a non-empty OCTET STRING), as RFC 5652
// section 5.3 has it.
func (si *signerInfo) namesSigner() bool {
	switch si.Version {
	case 1:
		return universal(si.SID, asn1.TagSequence, true)
	case 3:
		return si.SID.Class == asn1.ClassContextSpecific && si.SID.Tag == 0 && !si.SID.IsCompound && len(si.SID.Bytes) > 0
	}
	return false
}

// asIssuerSerial returns token, whose SignedData is sd, unchanged when its
// signer is of version 1. When it is of version 3, it returns the token
// rewritten as of version 1, naming by issuer and serial number the one
// certificate of the token whose Subject Key Identifier is the sid, and
// that certificate. Neither the SignerInfo's version nor its sid is signed
// (RFC 5652 section 5.4: the signature covers the signed attributes, which
// cover the content), so the rewritten token is signed exactly when token
// is, and github.com/digitorus/pkcs7, which reads only version 1, checks
// it as any other; the caller checks that the certificate it finds is the
// one returned.
func asIssuerSerial(token []byte, sd *signedData) ([]byte, *x509.Certificate, error) {
	si := sd.SignerInfos[0]
	if si.Version != 3 {
		return token, nil, nil
	}
	cert, err := keyIDCert(sd.Certificates.Bytes, si.SID.Bytes)
	if err != nil {
		return nil, nil, err
	}
	sid, err := asn1.Marshal(struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}{asn1.RawValue{FullBytes: cert.RawIssuer}, cert.SerialNumber})
	if err != nil {
		return nil, nil, err
	}
	si.Version, si.SID = 1, asn1.RawValue{FullBytes: sid}
	v1 := *sd
	v1.SignerInfos = []signerInfo{si}
	content, err := asn1.Marshal(v1)
	if err != nil {
		return nil, nil, err
	}
	out, err := asn1.Marshal(contentInfo{oidSignedData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: content}})
	return out, cert, err
}

// keyIDCert returns the one certificate of certs, the content of the
// token's certificates field, whose Subject Key Identifier is ski.
func keyIDCert(certs, ski []byte) (*x509.Certificate, error) {
	all, err := x509.ParseCertificates(certs)
	if err != nil {
		return nil, fmt.Errorf("the token's certificates cannot be read: %w", err)
	}
	var found []*x509.Certificate
	for _, c := range all {
		if bytes.Equal(c.SubjectKeyId, ski) {
			found = append(found, c)
		}
	}
	if len(found) != 1 {
		return nil, fmt.Errorf("%d certificates of the token have the signer's subject key identifier, not one", len(found))
	}
	return found[0], nil
}

// checkSignedAttrs checks that attrs, the content of the signed
// attributes, is a run of DER Attribute SEQUENCEs, each of a type and a
// SET of values, in DER order (X.690 section 11.6: the signature covers
// them in that order, and github.com/digitorus/pkcs7 sorts them before
// checking it, so a token whose attributes were reordered would verify too,
// in other bytes).
func checkSignedAttrs(attrs []byte) error {
	var prev []byte
	for rest := attrs; len(rest) > 0; {
		var attr asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &attr); err != nil {
			return fmt.Errorf("the token's signed attributes are not DER: %w", err)
		}
		if bytes.Compare(prev, attr.FullBytes) > 0 {
			return errors.New("the token's signed attributes are not in DER order")
		}
		prev = attr.FullBytes
		var a struct {
			Type   asn1.ObjectIdentifier
			Values asn1.RawValue
		}
		if !universal(attr, asn1.TagSequence, true) || unmarshalDER(attr.FullBytes, &a) != nil || !universal(a.Values, asn1.TagSet, true) {
			return errors.New("a signed attribute of the token is not DER")
		}
	}
	return nil
}

// checkAlgorithms checks every algorithm identifier of sd and its signer
// si, and that the digest algorithms sd lists are the signer's.
func checkAlgorithms(sd *signedData, si *signerInfo) error {
	for _, a := range append([]asn1.RawValue{si.DigestAlgorithm, si.SignatureAlgorithm}, sd.DigestAlgorithms...) {
		if err := checkAlgorithm(a.FullBytes); err != nil {
			return err
		}
	}
	for _, a := range sd.DigestAlgorithms {
		if !bytes.Equal(a.FullBytes, si.DigestAlgorithm.FullBytes) {
			return errors.New("the token's digest algorithms are not the signer's")
		}
	}
	return nil
}

// universal reports whether v is a universal element of the tag given,
// constructed or not.
func universal(v asn1.RawValue, tag int, compound bool) bool {
	return v.Class == asn1.ClassUniversal && v.Tag == tag && v.IsCompound == compound
}

// explicit0 reports whether v is a [0] EXPLICIT wrapper.
func explicit0(v asn1.RawValue) bool {
	return v.Class == asn1.ClassContextSpecific && v.Tag == 0 && v.IsCompound
}

// checkAlgorithm checks that der is an AlgorithmIdentifier in DER whose
// parameters are absent or NULL.
func checkAlgorithm(der []byte) error {
	var a algorithm
	if err := unmarshalDER(der, &a); err != nil {
		return fmt.Errorf("an algorithm identifier of the token is not DER: %w", err)
	}
	if p := a.Parameters.FullBytes; len(p) > 0 && !bytes.Equal(p, []byte{5, 0}) {
		return fmt.Errorf("algorithm %v has parameters", a.Algorithm)
	}
	return nil
}

// unmarshalDER parses der into v and checks that der is the DER encoding
// of what it parsed, with nothing after.
func unmarshalDER(der []byte, v any) error {
	rest, err := asn1.Unmarshal(der, v)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return errors.New("trailing bytes")
	}
	again, err := asn1.Marshal(reflect.ValueOf(v).Elem().Interface())
	if err != nil {
		return err
	}
	if !bytes.Equal(again, der) {
		return errors.New("not the canonical encoding")
	}
	return nil
}
