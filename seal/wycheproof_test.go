package seal

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"os"
	"testing"
)

// wycheproofAEAD is the part of a Wycheproof AEAD test file the test reads.
type wycheproofAEAD struct {
	NumberOfTests int `json:"numberOfTests"`
	TestGroups    []struct {
		KeySize int `json:"keySize"`
		IVSize  int `json:"ivSize"`
		TagSize int `json:"tagSize"`
		Tests   []struct {
			TcID    int      `json:"tcId"`
			Comment string   `json:"comment"`
			Flags   []string `json:"flags"`
			Key     string   `json:"key"`
			IV      string   `json:"iv"`
			AAD     string   `json:"aad"`
			Msg     string   `json:"msg"`
			CT      string   `json:"ct"`
			Tag     string   `json:"tag"`
			Result  string   `json:"result"`
		} `json:"tests"`
	} `json:"testGroups"`
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWycheproofAESGCM runs Project Wycheproof's AES-GCM vectors through
// sealAD and openAD, the AEAD steps that sealing segments and values calls,
// for every case the format can carry: a 256-bit key, a 96-bit nonce and a
// 128-bit tag. A valid case must seal to its nonce || ct || tag and open to
// its message, also in place; an invalid one must not open. Other key sizes
// must be refused by NewKey; other nonce and tag sizes have no place in the
// format and are counted apart.
func TestWycheproofAESGCM(t *testing.T) {
	raw, err := os.ReadFile("testdata/wycheproof/aes_gcm_test.json")
	if err != nil {
		t.Fatal(err)
	}
	var f wycheproofAEAD
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatal(err)
	}
	var run, valid, invalid, refusedKeys, other, total int
	for _, g := range f.TestGroups {
		for _, tc := range g.Tests {
			total++
			key := unhex(t, tc.Key)
			if g.KeySize != 8*KeySize {
				if _, err := NewKey(key); err == nil {
					t.Errorf("tcId %d: NewKey accepted a %d-bit key", tc.TcID, g.KeySize)
				}
				refusedKeys++
				continue
			}
			if g.IVSize != 8*NonceSize || g.TagSize != 8*TagSize {
				other++
				continue
			}
			run++
			k, err := NewKey(key)
			if err != nil {
				t.Fatalf("tcId %d: %v", tc.TcID, err)
			}
			iv, aad, msg := unhex(t, tc.IV), unhex(t, tc.AAD), unhex(t, tc.Msg)
			sealed := append(append(append([]byte{}, iv...), unhex(t, tc.CT)...), unhex(t, tc.Tag)...)
			switch tc.Result {
			case "valid":
				valid++
				if got := k.sealAD(nil, iv, msg, aad); !bytes.Equal(got, sealed) {
					t.Errorf("tcId %d (%s): sealAD gave %x, want %x", tc.TcID, tc.Comment, got, sealed)
				}
				got, err := k.openAD(nil, sealed, aad)
				if err != nil || !bytes.Equal(got, msg) {
					t.Errorf("tcId %d (%s): openAD gave %x, %v; want %x", tc.TcID, tc.Comment, got, err, msg)
				}
				inPlace := bytes.Clone(sealed)
				got, err = k.openAD(inPlace[NonceSize:NonceSize], inPlace, aad)
				if err != nil || !bytes.Equal(got, msg) {
					t.Errorf("tcId %d (%s): openAD in place gave %x, %v; want %x", tc.TcID, tc.Comment, got, err, msg)
				}
			case "invalid":
				invalid++
				if got, err := k.openAD(nil, sealed, aad); err == nil {
					t.Errorf("tcId %d (%s, %v): openAD accepted an invalid case, gave %x", tc.TcID, tc.Comment, tc.Flags, got)
				}
			default:
				t.Errorf("tcId %d: result %q: decide what the format does with it", tc.TcID, tc.Result)
			}
		}
	}
	if total != f.NumberOfTests {
		t.Errorf("read %d cases, the file announces %d", total, f.NumberOfTests)
	}
	if run == 0 || valid == 0 || invalid == 0 {
		t.Errorf("ran %d cases (%d valid, %d invalid): the file lost the format's sizes", run, valid, invalid)
	}
	t.Logf("%d cases: %d run through sealAD/openAD (%d valid, %d invalid), %d keys refused by NewKey, %d with a nonce or tag size the format cannot carry", total, run, valid, invalid, refusedKeys, other)
}
