package testtsa

import (
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/asn1"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

// Token is a time-stamp token (a DER CMS SignedData of a TSTInfo, one
// signer) taken apart, for tests that forge tokens: change its parts, sign
// it again with Sign if the forger holds a key, and put it back together
// with Bytes. The parts that stay as they were are kept raw.
type Token struct {
	// Version is the SignerInfo's: 1 when SID is an IssuerAndSerialNumber,
	// 3 when it is a [0] SubjectKeyIdentifier.
	Version int
	// SID is the signer identifier, as DER (see IssuerSerial and KeyID).
	SID []byte
	// Content is the DER TSTInfo.
	Content []byte
	// Certs are the DER certificates the token carries, in order.
	Certs [][]byte
	// Attrs are the signed attributes.
	Attrs []Attribute
	// Signature is the signer's signature over the signed attributes.
	Signature []byte

	digestAlgs, digestAlg, sigAlg asn1.RawValue
}

// Attribute is a CMS attribute: a type and its values.
type Attribute struct {
	Type   asn1.ObjectIdentifier
	Values asn1.RawValue // the SET OF values, as DER
}

// CMS structures, with what Token keeps raw left raw.
type (
	tokenContentInfo struct {
		ContentType asn1.ObjectIdentifier
		Content     asn1.RawValue // [0] EXPLICIT SignedData
	}
	tokenSignedData struct {
		Version          int
		DigestAlgorithms asn1.RawValue
		EncapContentInfo struct {
			EContentType asn1.ObjectIdentifier
			EContent     []byte `asn1:"explicit,tag:0"`
		}
		Certificates asn1.RawValue `asn1:"optional,tag:0"`
		SignerInfos  asn1.RawValue
	}
	tokenSignerInfo struct {
		Version            int
		SID                asn1.RawValue
		DigestAlgorithm    asn1.RawValue
		SignedAttrs        asn1.RawValue `asn1:"tag:0"`
		SignatureAlgorithm asn1.RawValue
		Signature          []byte
	}
)

// Object identifiers of CMS and of the attributes tests change.
var (
	oidSignedData = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo    = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	// OIDSigningTime is the signing-time attribute's type.
	OIDSigningTime = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 5}
	// OIDSigningCertificateV2 is the ESS signing-certificate-v2 attribute's
	// type (RFC 5035).
	OIDSigningCertificateV2 = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
)

// ParseToken takes a token of one signer with signed attributes and no
// unsigned ones apart.
func ParseToken(der []byte) (*Token, error) {
	var ci tokenContentInfo
	if _, err := asn1.Unmarshal(der, &ci); err != nil {
		return nil, err
	}
	var sd tokenSignedData
	if _, err := asn1.Unmarshal(ci.Content.Bytes, &sd); err != nil {
		return nil, err
	}
	var si tokenSignerInfo
	if rest, err := asn1.Unmarshal(sd.SignerInfos.Bytes, &si); err != nil || len(rest) > 0 {
		return nil, errors.New("testtsa: not a token of one signer")
	}
	t := &Token{Version: si.Version, SID: si.SID.FullBytes, Content: sd.EncapContentInfo.EContent, Signature: si.Signature,
		digestAlgs: sd.DigestAlgorithms, digestAlg: si.DigestAlgorithm, sigAlg: si.SignatureAlgorithm}
	for rest := sd.Certificates.Bytes; len(rest) > 0; {
		var c asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &c); err != nil {
			return nil, err
		}
		t.Certs = append(t.Certs, c.FullBytes)
	}
	for rest := si.SignedAttrs.Bytes; len(rest) > 0; {
		var a Attribute
		var err error
		if rest, err = asn1.Unmarshal(rest, &a); err != nil {
			return nil, err
		}
		t.Attrs = append(t.Attrs, a)
	}
	return t, nil
}

// Bytes puts the token back together, its signed attributes in DER order.
func (t *Token) Bytes() ([]byte, error) {
	attrs, err := t.signedAttrs()
	if err != nil {
		return nil, err
	}
	attrs[0] = 0xa0 // [0] IMPLICIT SET OF
	si, err := asn1.Marshal(tokenSignerInfo{Version: t.Version, SID: asn1.RawValue{FullBytes: t.SID}, DigestAlgorithm: t.digestAlg,
		SignedAttrs: asn1.RawValue{FullBytes: attrs}, SignatureAlgorithm: t.sigAlg, Signature: t.Signature})
	if err != nil {
		return nil, err
	}
	sd := tokenSignedData{Version: 3, DigestAlgorithms: t.digestAlgs,
		SignerInfos: asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: si}}
	sd.EncapContentInfo.EContentType, sd.EncapContentInfo.EContent = oidTSTInfo, t.Content
	if len(t.Certs) > 0 {
		sd.Certificates = asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: bytes.Join(t.Certs, nil)}
	}
	content, err := asn1.Marshal(sd)
	if err != nil {
		return nil, err
	}
	return asn1.Marshal(tokenContentInfo{ContentType: oidSignedData, Content: asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, IsCompound: true, Bytes: content}})
}

// signedAttrs returns the DER SET OF the signed attributes: what the
// signature covers (RFC 5652 section 5.4).
func (t *Token) signedAttrs() ([]byte, error) {
	return asn1.MarshalWithParams(t.Attrs, "set")
}

// Sign signs the token's signed attributes with key (ECDSA or RSA
// PKCS #1 v1.5, SHA-256), as its signer would.
func (t *Token) Sign(key crypto.Signer) error {
	attrs, err := t.signedAttrs()
	if err != nil {
		return err
	}
	sum := sha256.Sum256(attrs)
	t.Signature, err = key.Sign(rand.Reader, sum[:], crypto.SHA256)
	return err
}

// SetAttr sets the value of the signed attribute of type oid, added if the
// token has none, to the DER of value.
func (t *Token) SetAttr(oid asn1.ObjectIdentifier, value any) error {
	der, err := asn1.Marshal(value)
	if err != nil {
		return err
	}
	values := asn1.RawValue{Class: asn1.ClassUniversal, Tag: asn1.TagSet, IsCompound: true, Bytes: der}
	for i := range t.Attrs {
		if t.Attrs[i].Type.Equal(oid) {
			t.Attrs[i].Values = values
			return nil
		}
	}
	t.Attrs = append(t.Attrs, Attribute{Type: oid, Values: values})
	return nil
}

// IssuerSerial returns the DER signer identifier naming cert by issuer and
// serial number (SignerInfo version 1).
func IssuerSerial(cert *x509.Certificate) []byte {
	der, err := asn1.Marshal(struct {
		Issuer asn1.RawValue
		Serial *big.Int
	}{asn1.RawValue{FullBytes: cert.RawIssuer}, cert.SerialNumber})
	if err != nil {
		panic(err)
	}
	return der
}

// KeyID returns the DER signer identifier [0] IMPLICIT
// SubjectKeyIdentifier naming the certificate of key identifier ski
// (SignerInfo version 3).
func KeyID(ski []byte) []byte {
	der, err := asn1.Marshal(asn1.RawValue{Class: asn1.ClassContextSpecific, Tag: 0, Bytes: ski})
	if err != nil {
		panic(err)
	}
	return der
}

// ESSCertIDv2 returns a signing-certificate-v2 attribute value naming cert
// by its SHA-256 (the hash algorithm left out, as its default).
func ESSCertIDv2(cert *x509.Certificate) any {
	sum := sha256.Sum256(cert.Raw)
	type essCertIDv2 struct{ CertHash []byte }
	return struct{ Certs []essCertIDv2 }{[]essCertIDv2{{sum[:]}}}
}

// ByKeyID returns token with its signer named by the subject key
// identifier of cert (version 3) instead of its issuer and serial number:
// what the authority does with Options.KeyID. The signature stands, since
// the signer identifier is not signed.
func ByKeyID(token []byte, cert *x509.Certificate) ([]byte, error) {
	t, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	if len(cert.SubjectKeyId) == 0 {
		return nil, errors.New("testtsa: the certificate has no subject key identifier")
	}
	t.Version, t.SID = 3, KeyID(cert.SubjectKeyId)
	return t.Bytes()
}

// OpenSSLKeyID returns testdata/tsa-keyid's token, made by OpenSSL alone
// (testdata/tsa-keyid/gen.sh) and so by no code of navette or its
// libraries: its signer is named by subject key identifier, it stamps
// message (SHA-256), and it chains to roots.
func OpenSSLKeyID(tb testing.TB) (token, message []byte, roots *x509.CertPool) {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(file), "..", "..", "testdata", "tsa-keyid")
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			tb.Fatal(err)
		}
		return b
	}
	roots = x509.NewCertPool()
	if !roots.AppendCertsFromPEM(read("root.pem")) {
		tb.Fatal("testtsa: no root in testdata/tsa-keyid/root.pem")
	}
	return read("token.der"), read("message.txt"), roots
}

// Reordered returns token with its signed attributes in the reverse of
// their DER order: the same attributes and signature, in bytes that DER
// forbids (X.690 section 11.6). A verifier that sorts them again before it
// checks the signature, as RFC 5652 has it compute the digest, accepts it
// unless it checks their order.
func Reordered(token []byte) ([]byte, error) {
	t, err := ParseToken(token)
	if err != nil {
		return nil, err
	}
	if len(t.Attrs) < 2 {
		return nil, errors.New("testtsa: fewer than two signed attributes")
	}
	var sorted [][]byte
	for _, a := range t.Attrs {
		b, err := asn1.Marshal(a)
		if err != nil {
			return nil, err
		}
		sorted = append(sorted, b)
	}
	slices.SortFunc(sorted, bytes.Compare)
	from := bytes.Join(sorted, nil)
	slices.Reverse(sorted)
	i := bytes.Index(token, from)
	if i < 0 || bytes.Contains(token[i+1:], from) {
		return nil, errors.New("testtsa: the signed attributes are not in the token once")
	}
	out := bytes.Clone(token)
	copy(out[i:], bytes.Join(sorted, nil))
	return out, nil
}
