package evidence

import (
	"bytes"
	"crypto/x509"
	"log/slog"
	"os/exec"
	"strings"
	"testing"

	"navette"
	"navette/receipt/receipttest"
)

// TestAttestationStatesTSARoot: a receipt's attestation says the
// time-stamping authority was verified against a trusted root when the
// service holds the authority's roots and its token chains to them; only
// the token's signature otherwise, a token that does not chain to them
// being logged; a token that does not hold is no attestation.
func TestAttestationStatesTSARoot(t *testing.T) {
	const (
		rooted   = "Certificat vérifié auprès d'une autorité de certification de confiance lors de l'émission"
		unrooted = "Certificat signature vérifiée ; certificat non rapproché d'une autorité de certification de confiance lors de l'émission"
	)
	log := receipttest.NewLog(t, "navette.example/navette-journal")
	i := log.AddDownload("dep1", "file1", "pv.pdf", []byte("procès-verbal"))
	authority, other := receipttest.NewTSA(t), receipttest.NewTSA(t)
	r := log.Receipt(i, authority, false)
	for _, tc := range []struct {
		name   string
		roots  *x509.CertPool
		want   string
		warned bool
	}{
		{"the authority's root", authority.Roots, rooted, false},
		{"no root", nil, unrooted, false},
		{"another authority's root", other.Roots, unrooted, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs bytes.Buffer
			s := &Service{Verifiers: func() []string { return []string{log.Key} }, TSARoots: tc.roots, Log: slog.New(slog.NewTextHandler(&logs, nil))}
			b, err := s.renderPDF(t.Context(), r, receipttest.JSON(t, r))
			if err != nil {
				t.Fatal(err)
			}
			if text := pdfText(t, b); !strings.Contains(text, tc.want) {
				t.Errorf("the attestation does not say %q:\n%s", tc.want, text)
			}
			if warned := strings.Contains(logs.String(), "does not chain to the time-stamping authority's roots"); warned != tc.warned {
				t.Errorf("warned %v, want %v: %s", warned, tc.warned, logs.String())
			}
		})
	}
	garbage := log.ReceiptStamped(i, func([]byte) []byte { return []byte("not a token") }, false)
	s := &Service{Verifiers: func() []string { return []string{log.Key} }, TSARoots: authority.Roots}
	if _, err := s.renderPDF(t.Context(), garbage, receipttest.JSON(t, garbage)); !navette.IsCode(err, navette.EINTERNAL) {
		t.Errorf("the attestation of a receipt whose token is garbage: %v, want EINTERNAL", err)
	}
}

// pdfText returns the text of a PDF as poppler's pdftotext reads it from
// its standard input, its spaces and line breaks made single spaces.
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	cmd := exec.Command("pdftotext", "-layout", "-enc", "UTF-8", "-", "-")
	cmd.Stdin = bytes.NewReader(pdf)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return strings.Join(strings.Fields(string(out)), " ")
}
