package auth

import (
	"path/filepath"
	"testing"

	"navette"
	"navette/keyring"
)

// FuzzOpenSealed feeds the sealed sign-in state a browser sends back (the
// OIDC flow cookie, a session's pending state): whatever comes, it is
// refused as unauthorized, never accepted, never a panic.
func FuzzOpenSealed(f *testing.F) {
	keys, err := keyring.Open(filepath.Join(f.TempDir(), "keys"))
	if err != nil {
		f.Fatal(err)
	}
	s := &Service{Keys: keys}
	good, err := s.sealJSON(flow{State: "s", Nonce: "n", Verifier: "v"}, flowAD)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(good))
	f.Add("")
	f.Add(".")
	f.Add(string(good[:len(good)-1]))
	f.Add("0123456789abcdef0123456789abcdef.AAAA")
	f.Fuzz(func(t *testing.T, in string) {
		var got flow
		err := s.openJSON([]byte(in), flowAD, &got)
		if in == string(good) {
			if err != nil || got.State != "s" {
				t.Fatalf("the genuine state was refused: %v", err)
			}
			return
		}
		if err == nil {
			t.Fatalf("%q was accepted as sealed state", in)
		}
		if navette.ErrorCode(err) != navette.EUNAUTHORIZED {
			t.Fatalf("%q: got %v, want EUNAUTHORIZED", in, err)
		}
	})
}

// FuzzNormalizeCode feeds what people type as a code.
func FuzzNormalizeCode(f *testing.F) {
	for _, s := range []string{"1234 5678", "1234-5678", "12345678", "", "１２３４", "12 34\t56"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := normalizeCode(in)
		for _, r := range out {
			if r < '0' || r > '9' {
				t.Fatalf("%q gave %q", in, out)
			}
		}
		if len(out) > len(in) {
			t.Fatalf("%q grew to %q", in, out)
		}
	})
}
