package receipt

import (
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// TestWycheproofEd25519: every case of Project Wycheproof's Ed25519
// verification vectors (testdata/wycheproof, Apache-2.0) goes through the
// checkpoint signature path — verifyEd25519 and the note verifier Key that
// Verify uses — and is accepted exactly when it is valid (malleable and
// non-canonical signatures included).
func TestWycheproofEd25519(t *testing.T) {
	raw, err := os.ReadFile("testdata/wycheproof/ed25519_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Algorithm  string
		TestGroups []struct {
			PublicKey struct{ PK string } `json:"publicKey"`
			Tests     []struct {
				TcID    int `json:"tcId"`
				Comment string
				Msg     string
				Sig     string
				Result  string
			}
		} `json:"testGroups"`
	}
	if err := json.Unmarshal(raw, &file); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, g := range file.TestGroups {
		pub, err := hex.DecodeString(g.PublicKey.PK)
		if err != nil {
			t.Fatal(err)
		}
		key, err := NewKey("wycheproof.test/journal", pub)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := ParseKey(key.String())
		if err != nil {
			t.Fatal(err)
		}
		for _, tc := range g.Tests {
			msg, err1 := hex.DecodeString(tc.Msg)
			sig, err2 := hex.DecodeString(tc.Sig)
			if err1 != nil || err2 != nil {
				t.Fatalf("case %d: bad hex", tc.TcID)
			}
			want := tc.Result == "valid"
			if tc.Result != "valid" && tc.Result != "invalid" {
				t.Fatalf("case %d: result %q", tc.TcID, tc.Result)
			}
			if got := verifyEd25519(pub, msg, sig); got != want {
				t.Errorf("case %d (%s): verifyEd25519 = %v, want %v", tc.TcID, tc.Comment, got, want)
			}
			if got := parsed.Verify(msg, sig); got != want {
				t.Errorf("case %d (%s): Key.Verify = %v, want %v", tc.TcID, tc.Comment, got, want)
			}
			n++
		}
	}
	if n != 151 {
		t.Errorf("%d cases, want 151", n)
	}
}
