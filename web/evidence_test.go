package web

import (
	"strings"
	"testing"

	"navette"
)

// TestPurgedReceiptLabel: the receipt of a purge is listed for what it
// attests, the destruction of the encryption key (receipt.Text), not an
// erasure of the files: their blobs are deleted after it, perhaps later.
func TestPurgedReceiptLabel(t *testing.T) {
	for lang, want := range map[string]string{"fr": "clé de chiffrement détruite", "en": "encryption key destroyed"} {
		if got := tr(lang, kindLabels[navette.ProofPurged]); !strings.Contains(got, want) {
			t.Errorf("%q: got %q, want it to say %q", lang, got, want)
		}
	}
}
