package receipt

import (
	"encoding/json"
	"testing"
)

// TestBase64IsCanonical: the base64 a receipt, a key or a checkpoint
// carries is read only in its canonical form. Go's strict decoding still
// skips CR and LF within the text, so a digest with "\r\n" in it was read
// as the same digest: two receipt texts, one receipt.
func TestBase64IsCanonical(t *testing.T) {
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{`"AQID"`, true},
		{`""`, true},
		{`"AQ\r\nID"`, false},
		{`"AQID\n"`, false},
		{`"\rAQID"`, false},
		{`"AQI="`, true},
		{`"AQJ="`, false}, // padding bits set
		{`"AQI"`, false},  // padding missing
	} {
		var b Base64
		err := json.Unmarshal([]byte(tc.in), &b)
		if (err == nil) != tc.ok {
			t.Errorf("%s: got %v, want ok %v", tc.in, err, tc.ok)
		}
	}
	if _, ok := decodeEd25519Key("AbPm\r\n" + "3xmV0ZrqCZ1I7DdpMPgMhIyhQiXwRw4hzOJ7u7JQ"); ok {
		t.Error("a verifier key with CR LF within its base64 was read")
	}
	if _, err := decodeRoot("AQIDAAAAAAAAAAAAAAAAAAAAA\r\rAAAAAAAAAAAAAAAAAA="); err == nil {
		t.Error("a root hash with CR within its base64 was read")
	}
	if _, err := decodeRoot("AQIDAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="); err != nil {
		t.Errorf("a canonical root hash: %v", err)
	}
}
