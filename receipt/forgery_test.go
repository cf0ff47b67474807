package receipt

import (
	"bytes"
	"encoding/json"
	"testing"
)

// TestForgeryEveryByte: flipping any bit pattern of any single byte of a
// real receipt's JSON — event fields, claims, each proof hash, the
// checkpoint's text and signature, the TSA token, the labels bound to the
// event — makes it fail to parse or to verify, never panic. The only bytes
// exempt are those of the two labels no proof covers ("id" and
// "issued_at"'s values), which must still never make a forged field pass.
func TestForgeryEveryByte(t *testing.T) {
	l := newTestLog(t, 1)
	for i := range 3 {
		l.addDownload(i)
	}
	tsa := newTestTSA(t, true)
	for _, tc := range []struct {
		name string
		r    *Receipt
	}{
		{"with claims and token", l.receipt(1, 0, tsa, false)},
		{"redacted, server clock", l.receipt(2, 0, nil, true)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := mustMarshal(t, tc.r)
			if _, err := verifyBytes(data, l.vkey, tsa); err != nil {
				t.Fatal(err)
			}
			free := labelRanges(t, data)
			masks := []byte{0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80}
			if testing.Short() {
				masks = []byte{0x01, 0x20}
			}
			forged := bytes.Clone(data)
			passed := 0
			for i := range data {
				if free[i] {
					continue
				}
				for _, m := range masks {
					forged[i] = data[i] ^ m
					if _, err := verifyBytes(forged, l.vkey, tsa); err == nil {
						passed++
						if passed < 10 {
							t.Errorf("byte %d ^ %#02x (%q in …%s…) still verifies", i, m, data[i], context(data, i))
						}
					}
				}
				forged[i] = data[i]
			}
			if passed > 0 {
				t.Errorf("%d forgeries of %d bytes verified", passed, len(data))
			}
		})
	}
}

// verifyBytes parses and verifies, with and without the TSA's root.
func verifyBytes(data []byte, key string, tsa *testTSA) (*Result, error) {
	r, err := Parse(data)
	if err != nil {
		return nil, err
	}
	if _, err := Verify(r, []string{key}, nil); err != nil {
		return nil, err
	}
	return Verify(r, []string{key}, &Options{TSARoots: tsa.roots})
}

// labelRanges marks the bytes of the "id" and "issued_at" values.
func labelRanges(t *testing.T, data []byte) map[int]bool {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		t.Fatal(err)
	}
	free := map[int]bool{}
	for _, k := range []string{"id", "issued_at"} {
		key := []byte(`"` + k + `":`)
		i := bytes.Index(data, key)
		if i < 0 {
			t.Fatalf("no %s", k)
		}
		for j := i + len(key); j < i+len(key)+len(top[k]); j++ {
			free[j] = true
		}
	}
	return free
}

func context(b []byte, i int) string {
	lo, hi := max(0, i-12), min(len(b), i+12)
	return string(b[lo:hi])
}

// TestTokenEveryByte: flipping any bit of the DER time-stamp token makes it
// fail, with or without a trusted root.
func TestTokenEveryByte(t *testing.T) {
	l := newTestLog(t, 1)
	l.addDownload(0)
	tsa := newTestTSA(t, true)
	r := l.receipt(0, 0, tsa, false)
	tok := []byte(r.Timestamp)
	if _, err := VerifyToken(tok, []byte(r.Checkpoint), tsa.roots); err != nil {
		t.Fatal(err)
	}
	forged := bytes.Clone(tok)
	for i := range tok {
		for b := range 8 {
			forged[i] = tok[i] ^ 1<<b
			for _, roots := range []*Options{{}, {TSARoots: tsa.roots}} {
				if _, err := VerifyToken(forged, []byte(r.Checkpoint), roots.TSARoots); err == nil {
					t.Errorf("token byte %d ^ %#02x still verifies (trusted roots: %v)", i, 1<<b, roots.TSARoots != nil)
				}
			}
		}
		forged[i] = tok[i]
	}
}

// TestCheckpointEveryByte: flipping any bit of the signed checkpoint note
// makes the receipt fail.
func TestCheckpointEveryByte(t *testing.T) {
	l := newTestLog(t, 1)
	l.addDownload(0)
	l.addDownload(1)
	r := l.receipt(1, 0, nil, false)
	cp := []byte(r.Checkpoint)
	for i := range cp {
		for b := range 8 {
			f := *r
			forged := bytes.Clone(cp)
			forged[i] ^= 1 << b
			f.Checkpoint = string(forged)
			if _, err := Verify(&f, []string{l.vkey}, nil); err == nil {
				t.Errorf("checkpoint byte %d ^ %#02x still verifies", i, 1<<b)
			}
		}
	}
}
