package receipt

import (
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"math/big"
	"time"

	"navette/tsa"
)

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
// CMS SignedData) over msg as tsa.Verify does, its message imprint being
// SHA-256(msg): its structure, the CMS signature by the certificate it
// embeds, that the signed ESS signing-certificate attribute names that
// certificate, that the certificate is for time stamping, and, when roots
// is set, that it chains to one of them at the token's time. Its failures
// say why in English and French.
func VerifyToken(token, msg []byte, roots *x509.CertPool) (*TSAResult, error) {
	sum := sha256.Sum256(msg)
	s, err := tsa.Verify(token, sum[:], roots)
	if err != nil {
		return nil, tokenFailure(err)
	}
	res := &TSAResult{
		Time:     s.Time,
		Accuracy: s.Accuracy,
		Policy:   s.Policy,
		Subject:  s.Signer,
		Issuer:   s.Certificate.Issuer.String(),
		Trusted:  s.Chained,
	}
	if n, ok := new(big.Int).SetString(s.Serial, 10); ok {
		res.Serial = n.Text(16)
	}
	return res, nil
}

// tokenWords are VerifyToken's words for each reason tsa.Verify gives, in
// English and French; detail is set when they show the reason's error.
var tokenWords = map[tsa.Reason]struct {
	en, fr string
	detail bool
}{
	tsa.NotDER:                 {"not a DER CMS structure (%v)", "structure CMS DER illisible (%v)", true},
	tsa.NotCMS:                 {"not a DER CMS structure", "structure CMS DER illisible", false},
	tsa.NotTimeStamp:           {"not a time-stamp token with one signer", "pas un jeton d'horodatage à un seul signataire", false},
	tsa.UnexpectedSigner:       {"unexpected signer information", "informations de signataire inattendues", false},
	tsa.AttrsNotInOrder:        {"its signed attributes are not in DER order", "ses attributs signés ne sont pas dans l'ordre DER", false},
	tsa.UnreadableCertificates: {"its certificates cannot be read (%v)", "ses certificats sont illisibles (%v)", true},
	tsa.UnknownKeyID:           {"no certificate it carries has its signer's subject key identifier", "aucun des certificats qu'il porte n'a l'identifiant de clé de son signataire", false},
	tsa.TwinKeyID:              {"several of the certificates it carries have its signer's subject key identifier", "plusieurs des certificats qu'il porte ont l'identifiant de clé de son signataire", false},
	tsa.Unreadable:             {"%v", "%v", true},
	tsa.BadSignature:           {"the signature does not hold (%v)", "la signature ne tient pas (%v)", true},
	tsa.NoCertificates:         {"it carries no TSA certificate, so its signature cannot be checked", "il ne porte pas le certificat de l'autorité, sa signature ne peut être vérifiée", false},
	tsa.OtherDigest:            {"it does not time-stamp this checkpoint (SHA-256 of the checkpoint differs)", "il n'horodate pas ce point de contrôle (l'empreinte SHA-256 diffère)", false},
	tsa.NotTSTInfoType:         {"the signed content type is not a TSTInfo", "le type de contenu signé n'est pas un TSTInfo", false},
	tsa.NoSignerCertificate:    {"no certificate for its signer", "aucun certificat pour son signataire", false},
	tsa.ESSMismatch:            {"its signed signing-certificate attribute does not name the certificate it carries", "son attribut signé de certificat de signature ne désigne pas le certificat qu'il porte", false},
	tsa.NotForTimeStamping:     {"the TSA certificate is not for time stamping", "le certificat de l'autorité n'est pas destiné à l'horodatage", false},
	tsa.NotNamedCertificate:    {"its signer is not the certificate its subject key identifier names", "son signataire n'est pas le certificat que désigne son identifiant de clé", false},
	tsa.Untrusted:              {"the TSA certificate does not chain to a trusted root (%v)", "le certificat de l'autorité ne remonte pas à une racine de confiance (%v)", true},
}

// tokenFailure returns the Failure of VerifyToken for err, an error of
// tsa.Verify, in the words of tokenWords.
func tokenFailure(err error) error {
	var te *tsa.TokenError
	if !errors.As(err, &te) {
		return badToken("%v", "%v", err)
	}
	if te.Reason == tsa.TooLarge {
		return badToken("larger than %d bytes", "plus de %d octets", MaxTokenSize)
	}
	w, ok := tokenWords[te.Reason]
	if !ok {
		return badToken("%v", "%v", te)
	}
	var args []any
	if w.detail {
		args = append(args, te.Err)
	}
	return badToken(w.en, w.fr, args...)
}

// badToken returns VerifyToken's failure, in English and French.
func badToken(en, fr string, args ...any) error {
	f := failf(en, fr, args...)
	return &Failure{EN: "the time-stamp token is invalid: " + f.EN, FR: "le jeton d'horodatage est invalide : " + f.FR}
}
