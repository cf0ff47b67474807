package tsa

import (
	"bytes"
	"crypto"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"fmt"
	"math/big"
	"reflect"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"

	"navette"
)

// MaxTokenSize bounds the size of a time-stamp token Verify accepts, in
// bytes.
const MaxTokenSize = 64 << 10

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

// Reason names the rule a refused token breaks, so that a caller can say
// why in its own words (receipt does, in English and French).
type Reason int

// Reasons of a TokenError, in the order Verify checks them.
const (
	// TooLarge: the token is larger than MaxTokenSize.
	TooLarge Reason = iota + 1
	// NotDER: the token is not one DER element whose lengths are all in
	// their shortest form (Err says where).
	NotDER
	// NotCMS: the token's CMS envelope, an algorithm identifier or a signed
	// attribute cannot be read as DER.
	NotCMS
	// NotTimeStamp: the token is not a SignedData of version 3 of a
	// TSTInfo, with one signer, one digest algorithm and no CRLs.
	NotTimeStamp
	// UnexpectedSigner: the signer is not named as its version says, its
	// algorithms have parameters or differ from the SignedData's, or it has
	// unsigned attributes or no signed ones.
	UnexpectedSigner
	// AttrsNotInOrder: the signed attributes are not in DER order.
	AttrsNotInOrder
	// UnreadableCertificates: the certificates the token carries cannot be
	// read (Err says why).
	UnreadableCertificates
	// UnknownKeyID: no certificate of the token has the signer's subject
	// key identifier.
	UnknownKeyID
	// TwinKeyID: several certificates of the token have it.
	TwinKeyID
	// Unreadable: the CMS reader refuses the token, or it cannot be
	// rewritten (Err says why).
	Unreadable
	// BadSignature: the signature by the certificate the token carries
	// does not hold, or its TSTInfo cannot be read (Err says why).
	BadSignature
	// NoCertificates: the token carries no certificate.
	NoCertificates
	// OtherDigest: the token does not stamp the SHA-256 digest given.
	OtherDigest
	// NotTSTInfoType: the signed content-type attribute is not TSTInfo.
	NotTSTInfoType
	// NoSignerCertificate: no certificate of the token is its signer's.
	NoSignerCertificate
	// ESSMismatch: the signed ESS signing-certificate attribute does not
	// name the signer's certificate.
	ESSMismatch
	// NotForTimeStamping: the signer's certificate's only extended key
	// usage is not timeStamping.
	NotForTimeStamping
	// NotNamedCertificate: the signer's certificate is not the one its
	// subject key identifier names.
	NotNamedCertificate
	// Untrusted: the signer's certificate does not chain to one of the
	// roots given at the stamp's time (Err says why).
	Untrusted
)

// TokenError is why Verify refused a token: the rule it breaks and, in
// English, what it found. Verify's errors wrap one.
type TokenError struct {
	Reason Reason
	// Err is the parser's or the chain check's error behind Reason, if
	// any.
	Err error
	msg string
}

// Error returns what the verifier found, in English.
func (e *TokenError) Error() string { return e.msg }

// Unwrap returns Err.
func (e *TokenError) Unwrap() error { return e.Err }

// refused returns a TokenError of reason r, caused by err (or nil), saying
// format.
func refused(r Reason, err error, format string, args ...any) *TokenError {
	return &TokenError{Reason: r, Err: err, msg: fmt.Sprintf(format, args...)}
}

// Verify checks that token is a time-stamp token for digest (a SHA-256),
// signed by the certificate it carries, which must be a time-stamping
// certificate (RFC 3161 section 2.3) and be the one the token's signed
// attributes name; with roots, that certificate must also chain to one of
// them at the time of the stamp. The signer may be named by issuer and
// serial number (a SignerInfo of version 1) or by subject key identifier
// (version 3): then exactly one certificate of the token must have that
// Subject Key Identifier. It returns an EINVALID error wrapping ErrBadToken
// and a *TokenError if not.
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
// signing certificate. Its errors are *TokenError.
func verify(token, digest []byte, roots *x509.CertPool) (*timestamp.Timestamp, *x509.Certificate, error) {
	sd, err := checkDER(token)
	if err != nil {
		return nil, nil, err
	}
	token, named, err := asIssuerSerial(token, sd)
	if err != nil {
		return nil, nil, err
	}
	ts, err := stamp(token, digest)
	if err != nil {
		return nil, nil, err
	}
	p7, cert, err := signer(token)
	if err != nil {
		return nil, nil, err
	}
	if named != nil && !cert.Equal(named) {
		return nil, nil, refused(NotNamedCertificate, nil, "the signing certificate is not the one the signer's subject key identifier names")
	}
	if roots != nil {
		if err := chains(roots, p7, cert, ts.Time); err != nil {
			return nil, nil, err
		}
	}
	return ts, cert, nil
}

// stamp returns the token's TSTInfo, checking the signature by the
// certificate it carries, which it must carry, and that it stamps digest,
// a SHA-256.
func stamp(token, digest []byte) (*timestamp.Timestamp, error) {
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, refused(BadSignature, err, "%v", err)
	}
	if len(ts.Certificates) == 0 {
		return nil, refused(NoCertificates, nil, "the token does not carry its signing certificate")
	}
	if ts.HashAlgorithm != crypto.SHA256 {
		return nil, refused(OtherDigest, nil, "the token stamps a %v digest, not SHA-256", ts.HashAlgorithm)
	}
	if len(digest) != sha256.Size || subtle.ConstantTimeCompare(ts.HashedMessage, digest) != 1 {
		return nil, refused(OtherDigest, nil, "the token stamps another digest")
	}
	return ts, nil
}

// signer returns the token's CMS structure and the certificate of its one
// signer, checking that the signed content type is TSTInfo, that the
// signed ESS attribute names the certificate and that the certificate is
// for time-stamping only.
func signer(token []byte) (*pkcs7.PKCS7, *x509.Certificate, error) {
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, refused(Unreadable, err, "%v", err)
	}
	var ct asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(oidContentType, &ct); err != nil || !ct.Equal(oidTSTInfo) {
		return nil, nil, refused(NotTSTInfoType, nil, "the token's signed content type is not TSTInfo")
	}
	cert := p7.GetOnlySigner()
	if cert == nil {
		return nil, nil, refused(NoSignerCertificate, nil, "the token does not carry its signing certificate")
	}
	if err := checkSigningCertificate(p7, cert); err != nil {
		return nil, nil, refused(ESSMismatch, nil, "%v", err)
	}
	if !hasTimeStamping(cert) {
		return nil, nil, refused(NotForTimeStamping, nil, "the signing certificate is not for time-stamping")
	}
	return p7, cert, nil
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
		return refused(Untrusted, err, "the signing certificate does not chain to a trusted root: %v", err)
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
// cert as the signer's certificate, so that the certificate cannot be
// swapped for another of the same key: by the ESS signing-certificate-v2
// attribute (RFC 5035) when the token has one, else by the v1 attribute
// (RFC 2634).
func checkSigningCertificate(p7 *pkcs7.PKCS7, cert *x509.Certificate) error {
	if v2, ok := signedAttr(p7, oidSigningCertificateV2); ok {
		return checkCertID(v2, cert, checkCertIDv2)
	}
	if v1, ok := signedAttr(p7, oidSigningCertificate); ok {
		return checkCertID(v1, cert, checkCertIDv1)
	}
	return errors.New("the token's signed attributes do not name the signing certificate")
}

// signedAttr returns the values (the content of the SET) of the signed
// attribute of type oid of p7's signer, and whether it has one.
func signedAttr(p7 *pkcs7.PKCS7, oid asn1.ObjectIdentifier) ([]byte, bool) {
	if len(p7.Signers) == 0 {
		return nil, false
	}
	for _, a := range p7.Signers[0].AuthenticatedAttributes {
		if a.Type.Equal(oid) {
			return a.Value.Bytes, true
		}
	}
	return nil, false
}

// checkCertID checks that values, those of a signing-certificate
// attribute, start with a SigningCertificate whose first identifier names
// cert, as check says.
func checkCertID(values []byte, cert *x509.Certificate, check func([]byte, *x509.Certificate) error) error {
	var sc signingCertificate
	if _, err := asn1.Unmarshal(values, &sc); err != nil || len(sc.Certs) == 0 {
		return errors.New("the token's signed attributes do not name the signing certificate")
	}
	return check(sc.Certs[0].FullBytes, cert)
}

// checkCertIDv2 checks that der is an ESSCertIDv2 with the SHA-256 of
// cert.
func checkCertIDv2(der []byte, cert *x509.Certificate) error {
	var id struct {
		HashAlgorithm algorithm `asn1:"optional"`
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
	if len(token) > MaxTokenSize {
		return nil, refused(TooLarge, nil, "the token is larger than %d bytes", MaxTokenSize)
	}
	if err := strictDER(token); err != nil {
		return nil, refused(NotDER, err, "the token is not DER: %v", err)
	}
	sd, err := parseSignedData(token)
	if err != nil {
		return nil, err
	}
	si, err := onlySigner(sd)
	if err != nil {
		return nil, err
	}
	if err := checkAlgorithms(sd, si); err != nil {
		return nil, err
	}
	if err := checkSignedAttrs(si.SignedAttrs.Bytes); err != nil {
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
		return nil, refused(NotCMS, err, "the token's SignedData is not DER: %v", err)
	}
	if err := checkTSTInfoContent(&sd); err != nil {
		return nil, err
	}
	if len(sd.CRLs.FullBytes) > 0 {
		return nil, refused(NotTimeStamp, nil, "the token carries CRLs")
	}
	return &sd, nil
}

// signedDataContent reads token as a ContentInfo of type SignedData and
// returns the DER of the SignedData.
func signedDataContent(token []byte) ([]byte, error) {
	var ci contentInfo
	if err := unmarshalDER(token, &ci); err != nil {
		return nil, refused(NotCMS, err, "the token is not DER: %v", err)
	}
	if !explicit0(ci.Content) {
		return nil, refused(NotCMS, nil, "the token is not CMS SignedData")
	}
	if !ci.ContentType.Equal(oidSignedData) {
		return nil, refused(NotTimeStamp, nil, "the token is not CMS SignedData")
	}
	return ci.Content.Bytes, nil
}

// checkTSTInfoContent checks that sd is of version 3 and that its content
// is a TSTInfo in an OCTET STRING.
func checkTSTInfoContent(sd *signedData) error {
	if !explicit0(sd.EncapContentInfo.EContent) {
		return refused(NotCMS, nil, "the token's content is not an OCTET STRING")
	}
	var content asn1.RawValue
	if err := unmarshalDER(sd.EncapContentInfo.EContent.Bytes, &content); err != nil || !universal(content, asn1.TagOctetString, false) {
		return refused(NotCMS, err, "the token's content is not an OCTET STRING")
	}
	if sd.Version != 3 || !sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) {
		return refused(NotTimeStamp, nil, "the token's SignedData is not a TSTInfo of version 3")
	}
	return nil
}

// onlySigner returns the one signer of sd, named as its version says (see namesSigner), with signed attributes and
// no unsigned ones.
func onlySigner(sd *signedData) (*signerInfo, error) {
	if len(sd.SignerInfos) != 1 {
		return nil, refused(NotTimeStamp, nil, "%d signers, not one", len(sd.SignerInfos))
	}
	si := &sd.SignerInfos[0]
	if !si.namesSigner() {
		return nil, refused(UnexpectedSigner, nil, "signer of version %d not named as that version says (1: issuer and serial number, 3: subject key identifier)", si.Version)
	}
	if len(si.UnsignedAttrs.FullBytes) > 0 {
		return nil, refused(UnexpectedSigner, nil, "the token carries unsigned attributes")
	}
	if len(si.SignedAttrs.FullBytes) == 0 {
		return nil, refused(UnexpectedSigner, nil, "the token carries no signed attributes")
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
		return nil, nil, refused(Unreadable, err, "%v", err)
	}
	si.Version, si.SID = 1, asn1.RawValue{FullBytes: sid}
	v1 := *sd
	v1.SignerInfos = []signerInfo{si}
	content, err := asn1.Marshal(v1)
	if err != nil {
		return nil, nil, refused(Unreadable, err, "%v", err)
	}
	out, err := asn1.Marshal(contentInfo{oidSignedData, asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: content}})
	if err != nil {
		return nil, nil, refused(Unreadable, err, "%v", err)
	}
	return out, cert, nil
}

// keyIDCert returns the one certificate of certs, the content of the
// token's certificates field, whose Subject Key Identifier is ski.
func keyIDCert(certs, ski []byte) (*x509.Certificate, error) {
	all, err := x509.ParseCertificates(certs)
	if err != nil {
		return nil, refused(UnreadableCertificates, err, "the token's certificates cannot be read: %v", err)
	}
	var found []*x509.Certificate
	for _, c := range all {
		if bytes.Equal(c.SubjectKeyId, ski) {
			found = append(found, c)
		}
	}
	switch len(found) {
	case 0:
		return nil, refused(UnknownKeyID, nil, "0 certificates of the token have the signer's subject key identifier, not one")
	case 1:
		return found[0], nil
	}
	return nil, refused(TwinKeyID, nil, "%d certificates of the token have the signer's subject key identifier, not one", len(found))
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
			return refused(AttrsNotInOrder, err, "the token's signed attributes are not DER: %v", err)
		}
		if bytes.Compare(prev, attr.FullBytes) > 0 {
			return refused(AttrsNotInOrder, nil, "the token's signed attributes are not in DER order")
		}
		prev = attr.FullBytes
		var a struct {
			Type   asn1.ObjectIdentifier
			Values asn1.RawValue
		}
		if !universal(attr, asn1.TagSequence, true) || unmarshalDER(attr.FullBytes, &a) != nil || !universal(a.Values, asn1.TagSet, true) {
			return refused(NotCMS, nil, "a signed attribute of the token is not DER")
		}
	}
	return nil
}

// checkAlgorithms checks every algorithm identifier of sd and its signer
// si, and that sd lists one digest algorithm, the signer's.
func checkAlgorithms(sd *signedData, si *signerInfo) error {
	if len(sd.DigestAlgorithms) != 1 {
		return refused(NotTimeStamp, nil, "%d digest algorithms, not one", len(sd.DigestAlgorithms))
	}
	for _, a := range append([]asn1.RawValue{si.DigestAlgorithm, si.SignatureAlgorithm}, sd.DigestAlgorithms...) {
		if err := checkAlgorithm(a.FullBytes); err != nil {
			return err
		}
	}
	for _, a := range sd.DigestAlgorithms {
		if !bytes.Equal(a.FullBytes, si.DigestAlgorithm.FullBytes) {
			return refused(UnexpectedSigner, nil, "the token's digest algorithms are not the signer's")
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
		return refused(NotCMS, err, "an algorithm identifier of the token is not DER: %v", err)
	}
	if p := a.Parameters.FullBytes; len(p) > 0 && !bytes.Equal(p, []byte{5, 0}) {
		return refused(UnexpectedSigner, nil, "algorithm %v has parameters", a.Algorithm)
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

// maxDERDepth bounds the nesting strictDER follows.
const maxDERDepth = 32

// strictDER checks that b is exactly one DER element whose every
// constructed element is exactly filled by its children, each length in its
// shortest form: encoding/asn1 and the CMS parser skip some lengths (an
// explicit tag's, an attribute set's, those inside the certificates and
// the attributes' values), so a token must pass this first for every byte
// of it to matter.
func strictDER(b []byte) error {
	rest, err := derElement(b, 0)
	if err == nil && len(rest) != 0 {
		err = errors.New("data after the DER element")
	}
	return err
}

// derElement checks the DER element b starts with, and its children if
// it is constructed, at nesting depth, and returns what follows it.
func derElement(b []byte, depth int) ([]byte, error) {
	if depth > maxDERDepth {
		return nil, errors.New("DER nested too deep")
	}
	if len(b) < 2 {
		return nil, errors.New("DER element truncated")
	}
	id := b[0]
	if id&0x1f == 0x1f {
		return nil, errors.New("DER high tag number")
	}
	l, b, err := derLength(b[1:])
	if err != nil {
		return nil, err
	}
	if l > len(b) {
		return nil, errors.New("DER element truncated")
	}
	content, rest := b[:l], b[l:]
	if id&0x20 != 0 {
		for len(content) > 0 {
			if content, err = derElement(content, depth+1); err != nil {
				return nil, err
			}
		}
	}
	return rest, nil
}

// derLength reads a DER length, of at most three bytes after the first, in
// its shortest form, and returns it and what follows it.
func derLength(b []byte) (int, []byte, error) {
	l := int(b[0])
	b = b[1:]
	if l&0x80 == 0 {
		return l, b, nil
	}
	n := l & 0x7f
	if n == 0 || n > 3 || len(b) < n || b[0] == 0 {
		return 0, nil, errors.New("DER length not in its shortest definite form")
	}
	l = 0
	for _, c := range b[:n] {
		l = l<<8 | int(c)
	}
	if l < 0x80 {
		return 0, nil, errors.New("DER length not in its shortest form")
	}
	return l, b[n:], nil
}
