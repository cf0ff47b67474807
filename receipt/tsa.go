package receipt

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"math/big"
	"time"

	"github.com/digitorus/pkcs7"
	"github.com/digitorus/timestamp"
)

// Object identifiers of the time-stamp token's structure.
var (
	oidSignedData         = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 7, 2}
	oidTSTInfo            = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 1, 4}
	oidContentType        = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 3}
	oidSigningCertificate = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 12}
	oidSigningCertV2      = asn1.ObjectIdentifier{1, 2, 840, 113549, 1, 9, 16, 2, 47}
	oidSHA256             = asn1.ObjectIdentifier{2, 16, 840, 1, 101, 3, 4, 2, 1}
)

// The token's CMS structure (RFC 5652), read strictly (DER, nothing after).
type tokenContentInfo struct {
	ContentType asn1.ObjectIdentifier
	Content     tokenSignedData `asn1:"explicit,tag:0"`
}

type tokenSignedData struct {
	Version          int
	DigestAlgorithms []pkix.AlgorithmIdentifier `asn1:"set"`
	EncapContentInfo struct {
		EContentType asn1.ObjectIdentifier
		EContent     []byte `asn1:"explicit,tag:0"`
	}
	Certificates asn1.RawValue     `asn1:"optional,tag:0"`
	CRLs         asn1.RawValue     `asn1:"optional,tag:1"`
	SignerInfos  []tokenSignerInfo `asn1:"set"`
}

type tokenSignerInfo struct {
	Version            int
	SID                asn1.RawValue
	DigestAlgorithm    pkix.AlgorithmIdentifier
	SignedAttrs        asn1.RawValue `asn1:"optional,tag:0"`
	SignatureAlgorithm pkix.AlgorithmIdentifier
	Signature          []byte
	UnsignedAttrs      asn1.RawValue `asn1:"optional,tag:1"`
}

// ESS signing-certificate attributes (RFC 2634, RFC 5035), which bind the
// signer's certificate to the signature.
type essCertID struct {
	CertHash     []byte
	IssuerSerial asn1.RawValue `asn1:"optional"`
}

type essCertIDv2 struct {
	HashAlgorithm pkix.AlgorithmIdentifier `asn1:"optional"`
	CertHash      []byte
	IssuerSerial  asn1.RawValue `asn1:"optional"`
}

// signingCertificate is the attribute's value, of ESS certificate ids
// essCertID (v1) or essCertIDv2.
type signingCertificate[ID essCertID | essCertIDv2] struct {
	Certs    []ID
	Policies asn1.RawValue `asn1:"optional"`
}

// TSAResult is what a valid time-stamp token says.
type TSAResult struct {
	Time     time.Time // the TSA's genTime: the checkpoint existed then
	Accuracy time.Duration
	Serial   string // the token's serial number, in hex
	Policy   string // the TSA's policy OID
	Subject  string // the TSA certificate's subject
	Issuer   string // and its issuer
	// Trusted is set when the TSA certificate chains, at Time, to one of
	// the roots given; otherwise only the signature by the certificate the
	// token embeds was checked.
	Trusted bool
}

// VerifyToken checks an RFC 3161 time-stamp token (DER TimeStampToken, a
// CMS SignedData) over msg: its structure, that its message imprint is
// SHA-256(msg), the CMS signature by the certificate it embeds, that the
// signed ESS signing-certificate attribute names that certificate, that the
// certificate is for time stamping, and, when roots is set, that it chains
// to one of them at the token's time.
//
// The signer may be named by issuer and serial number (a SignerInfo of
// version 1) or by subject key identifier (version 3, RFC 5652 §5.3): then
// exactly one certificate of the token must have that Subject Key
// Identifier, and the token is checked as the version-1 token naming that
// certificate by its issuer and serial number.
func VerifyToken(token, msg []byte, roots *x509.CertPool) (*TSAResult, error) {
	ci, err := checkTokenShape(token)
	if err != nil {
		return nil, err
	}
	token, named, err := asIssuerSerial(token, ci)
	if err != nil {
		return nil, err
	}
	ts, err := parseStamp(token, msg)
	if err != nil {
		return nil, err
	}
	p7, cert, err := tokenSigner(token)
	if err != nil {
		return nil, err
	}
	if named != nil && !cert.Equal(named) {
		return nil, badToken("its signer is not the certificate its subject key identifier names", "son signataire n'est pas le certificat que désigne son identifiant de clé")
	}
	res := &TSAResult{
		Time:     ts.Time.UTC(),
		Accuracy: ts.Accuracy,
		Policy:   ts.Policy.String(),
		Subject:  cert.Subject.String(),
		Issuer:   cert.Issuer.String(),
	}
	if ts.SerialNumber != nil {
		res.Serial = ts.SerialNumber.Text(16)
	}
	if roots != nil {
		if err := chainsTo(roots, p7, cert, ts.Time); err != nil {
			return nil, err
		}
		res.Trusted = true
	}
	return res, nil
}

// parseStamp reads the token's TSTInfo, checking the signature by the
// certificate it carries and that it time-stamps SHA-256(msg).
func parseStamp(token, msg []byte) (*timestamp.Timestamp, error) {
	bad := badToken
	ts, err := timestamp.Parse(token)
	if err != nil {
		return nil, bad("the signature does not hold (%v)", "la signature ne tient pas (%v)", err)
	}
	if len(ts.Certificates) == 0 {
		return nil, bad("it carries no TSA certificate, so its signature cannot be checked", "il ne porte pas le certificat de l'autorité, sa signature ne peut être vérifiée")
	}
	sum := sha256.Sum256(msg)
	if ts.HashAlgorithm != crypto.SHA256 || !bytes.Equal(ts.HashedMessage, sum[:]) {
		return nil, bad("it does not time-stamp this checkpoint (SHA-256 of the checkpoint differs)", "il n'horodate pas ce point de contrôle (l'empreinte SHA-256 diffère)")
	}
	return ts, nil
}

// tokenSigner returns the token's CMS structure and its signer's
// certificate, checking that the signed content type is a TSTInfo, that
// the signed ESS attribute names the certificate and that the certificate
// is for time stamping.
func tokenSigner(token []byte) (*pkcs7.PKCS7, *x509.Certificate, error) {
	bad := badToken
	p7, err := pkcs7.Parse(token)
	if err != nil {
		return nil, nil, bad("%v", "%v", err)
	}
	var ct asn1.ObjectIdentifier
	if err := p7.UnmarshalSignedAttribute(oidContentType, &ct); err != nil || !ct.Equal(oidTSTInfo) {
		return nil, nil, bad("the signed content type is not a TSTInfo", "le type de contenu signé n'est pas un TSTInfo")
	}
	cert := p7.GetOnlySigner()
	if cert == nil {
		return nil, nil, bad("no certificate for its signer", "aucun certificat pour son signataire")
	}
	if !essNames(p7, cert) {
		return nil, nil, bad("its signed signing-certificate attribute does not name the certificate it carries", "son attribut signé de certificat de signature ne désigne pas le certificat qu'il porte")
	}
	if !hasEKU(cert, x509.ExtKeyUsageTimeStamping) {
		return nil, nil, bad("the TSA certificate is not for time stamping", "le certificat de l'autorité n'est pas destiné à l'horodatage")
	}
	return p7, cert, nil
}

// badToken returns VerifyToken's failure, in English and French.
func badToken(en, fr string, args ...any) error {
	f := failf(en, fr, args...)
	return &Failure{EN: "the time-stamp token is invalid: " + f.EN, FR: "le jeton d'horodatage est invalide : " + f.FR}
}

// checkTokenShape checks that token is a DER CMS SignedData of a TSTInfo
// with one signer, as a time-stamp token is, and returns it parsed.
func checkTokenShape(token []byte) (*tokenContentInfo, error) {
	bad := badToken
	if len(token) > MaxTokenSize {
		return nil, bad("larger than %d bytes", "plus de %d octets", MaxTokenSize)
	}
	if err := strictDER(token); err != nil {
		return nil, bad("not a DER CMS structure (%v)", "structure CMS DER illisible (%v)", err)
	}
	var ci tokenContentInfo
	if rest, err := asn1.Unmarshal(token, &ci); err != nil || len(rest) != 0 {
		return nil, bad("not a DER CMS structure", "structure CMS DER illisible")
	}
	if !ci.isTimeStamp() {
		return nil, bad("not a time-stamp token with one signer", "pas un jeton d'horodatage à un seul signataire")
	}
	if !ci.Content.signerExpected() {
		return nil, bad("unexpected signer information", "informations de signataire inattendues")
	}
	if !inDEROrder(ci.Content.SignerInfos[0].SignedAttrs.Bytes) {
		return nil, bad("its signed attributes are not in DER order", "ses attributs signés ne sont pas dans l'ordre DER")
	}
	return &ci, nil
}

// inDEROrder reports whether the elements of set, the content of a SET OF,
// stand in DER order (X.690 section 11.6: by their encodings, as octet
// strings), so that one set has one encoding. The signature covers the
// signed attributes in that order (RFC 5652 section 5.4) and
// github.com/digitorus/pkcs7 sorts them before checking it: without this,
// a token whose attributes were reordered would verify too, in other bytes.
func inDEROrder(set []byte) bool {
	var prev []byte
	for rest := set; len(rest) > 0; {
		var e asn1.RawValue
		var err error
		if rest, err = asn1.Unmarshal(rest, &e); err != nil || bytes.Compare(prev, e.FullBytes) > 0 {
			return false
		}
		prev = e.FullBytes
	}
	return true
}

// isTimeStamp reports whether ci is a SignedData of version 3 of a
// TSTInfo, with one signer, one digest algorithm and no CRLs.
func (ci *tokenContentInfo) isTimeStamp() bool {
	sd := &ci.Content
	return ci.ContentType.Equal(oidSignedData) && sd.Version == 3 && sd.EncapContentInfo.EContentType.Equal(oidTSTInfo) &&
		len(sd.SignerInfos) == 1 && len(sd.DigestAlgorithms) == 1 && len(sd.CRLs.FullBytes) == 0
}

// signerExpected reports whether the one signer of sd is named as its
// version says (see namesSigner), digests with sd's one digest algorithm,
// has algorithms without parameters, and signed attributes but no unsigned
// ones.
func (sd *tokenSignedData) signerExpected() bool {
	si := &sd.SignerInfos[0]
	return si.namesSigner() && sd.DigestAlgorithms[0].Algorithm.Equal(si.DigestAlgorithm.Algorithm) &&
		nullParams(sd.DigestAlgorithms[0]) && nullParams(si.DigestAlgorithm) && nullParams(si.SignatureAlgorithm) &&
		len(si.SignedAttrs.FullBytes) != 0 && len(si.UnsignedAttrs.FullBytes) == 0
}

// namesSigner reports whether si is of version 1 with a sid of
// IssuerAndSerialNumber (a SEQUENCE), or of version 3 with a sid of
// [0] IMPLICIT SubjectKeyIdentifier (a non-empty OCTET STRING).
func (si *tokenSignerInfo) namesSigner() bool {
	sid := &si.SID
	switch si.Version {
	case 1:
		return sid.Class == asn1.ClassUniversal && sid.Tag == asn1.TagSequence && sid.IsCompound
	case 3:
		return sid.Class == asn1.ClassContextSpecific && sid.Tag == 0 && !sid.IsCompound && len(sid.Bytes) > 0
	}
	return false
}

// issuerAndSerial is the sid of a SignerInfo of version 1.
type issuerAndSerial struct {
	Issuer asn1.RawValue
	Serial *big.Int
}

// asIssuerSerial returns token, whose parsed form is ci, unchanged when its
// signer is of version 1. When it is of version 3, it returns the token
// rewritten as of version 1, naming by issuer and serial number the one
// certificate of the token whose Subject Key Identifier is the sid, and
// that certificate. Neither the SignerInfo's version nor its sid is signed
// (RFC 5652 §5.4: the signature covers the signed attributes, which cover
// the content), so the rewritten token is signed exactly when token is,
// and github.com/digitorus/pkcs7, which reads only version 1, checks it as
// it checks any other; the caller checks that the certificate it finds is
// the one returned.
func asIssuerSerial(token []byte, ci *tokenContentInfo) ([]byte, *x509.Certificate, error) {
	si := ci.Content.SignerInfos[0]
	if si.Version != 3 {
		return token, nil, nil
	}
	cert, err := certByKeyID(ci.Content.Certificates.Bytes, si.SID.Bytes)
	if err != nil {
		return nil, nil, err
	}
	again, err := asn1.Marshal(*ci)
	if err != nil || !bytes.Equal(again, token) {
		return nil, nil, badToken("not a DER CMS structure", "structure CMS DER illisible")
	}
	sid, err := asn1.Marshal(issuerAndSerial{asn1.RawValue{FullBytes: cert.RawIssuer}, cert.SerialNumber})
	if err != nil {
		return nil, nil, badToken("%v", "%v", err)
	}
	si.Version, si.SID = 1, asn1.RawValue{FullBytes: sid}
	v1 := *ci
	v1.Content.SignerInfos = []tokenSignerInfo{si}
	out, err := asn1.Marshal(v1)
	if err != nil {
		return nil, nil, badToken("%v", "%v", err)
	}
	return out, cert, nil
}

// certByKeyID returns the one certificate of certs, the content of the
// token's certificates field, whose Subject Key Identifier is ski.
func certByKeyID(certs, ski []byte) (*x509.Certificate, error) {
	all, err := x509.ParseCertificates(certs)
	if err != nil {
		return nil, badToken("its certificates cannot be read (%v)", "ses certificats sont illisibles (%v)", err)
	}
	var found *x509.Certificate
	for _, c := range all {
		if !bytes.Equal(c.SubjectKeyId, ski) {
			continue
		}
		if found != nil {
			return nil, badToken("several of the certificates it carries have its signer's subject key identifier", "plusieurs des certificats qu'il porte ont l'identifiant de clé de son signataire")
		}
		found = c
	}
	if found == nil {
		return nil, badToken("no certificate it carries has its signer's subject key identifier", "aucun des certificats qu'il porte n'a l'identifiant de clé de son signataire")
	}
	return found, nil
}

// chainsTo checks that the TSA certificate cert of the token p7 chains to
// one of roots at the token's time at.
func chainsTo(roots *x509.CertPool, p7 *pkcs7.PKCS7, cert *x509.Certificate, at time.Time) error {
	inter := x509.NewCertPool()
	for _, c := range p7.Certificates {
		inter.AddCert(c)
	}
	if _, err := cert.Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter, CurrentTime: at,
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageTimeStamping}}); err != nil {
		return badToken("the TSA certificate does not chain to a trusted root (%v)", "le certificat de l'autorité ne remonte pas à une racine de confiance (%v)", err)
	}
	return nil
}

// nullParams reports whether an algorithm identifier has no parameters or
// an ASN.1 NULL.
func nullParams(a pkix.AlgorithmIdentifier) bool {
	p := a.Parameters.FullBytes
	return len(p) == 0 || bytes.Equal(p, []byte{0x05, 0x00})
}

// essNames reports whether the token's signed ESS signing-certificate
// attribute (v2, or v1 with SHA-1) holds the hash of cert first.
func essNames(p7 *pkcs7.PKCS7, cert *x509.Certificate) bool {
	var v2 signingCertificate[essCertIDv2]
	if err := p7.UnmarshalSignedAttribute(oidSigningCertV2, &v2); err == nil {
		return len(v2.Certs) > 0 && essV2Names(&v2.Certs[0], cert)
	}
	var v1 signingCertificate[essCertID]
	if err := p7.UnmarshalSignedAttribute(oidSigningCertificate, &v1); err == nil && len(v1.Certs) > 0 {
		return certHashIs(crypto.SHA1, cert, v1.Certs[0].CertHash)
	}
	return false
}

// essV2Names reports whether the ESSCertIDv2 id holds the hash of cert,
// by its hash algorithm: SHA-256 when it names none, SHA-384 or SHA-512.
func essV2Names(id *essCertIDv2, cert *x509.Certificate) bool {
	h := crypto.SHA256
	if alg := id.HashAlgorithm.Algorithm; len(alg) != 0 && !alg.Equal(oidSHA256) {
		switch {
		case alg.Equal(pkcs7.OIDDigestAlgorithmSHA384):
			h = crypto.SHA384
		case alg.Equal(pkcs7.OIDDigestAlgorithmSHA512):
			h = crypto.SHA512
		default:
			return false
		}
	}
	return certHashIs(h, cert, id.CertHash)
}

// certHashIs reports whether sum is the hash h of cert.
func certHashIs(h crypto.Hash, cert *x509.Certificate, sum []byte) bool {
	d := h.New()
	d.Write(cert.Raw)
	return bytes.Equal(d.Sum(nil), sum)
}

func hasEKU(c *x509.Certificate, u x509.ExtKeyUsage) bool {
	for _, e := range c.ExtKeyUsage {
		if e == u {
			return true
		}
	}
	return false
}

// maxDERDepth bounds the nesting strictDER follows.
const maxDERDepth = 32

// strictDER checks that b is exactly one DER element whose every
// constructed element is exactly filled by its children, each length in its
// shortest form: encoding/asn1 and the CMS parser skip some lengths (an
// explicit tag's, an attribute set's), so a token must pass this first for
// every byte of it to matter.
func strictDER(b []byte) error {
	rest, err := derElement(b, 0)
	if err == nil && len(rest) != 0 {
		err = errors.New("data after the DER element")
	}
	return err
}

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
