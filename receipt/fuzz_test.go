package receipt

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"navette/internal/testtsa"
)

// FuzzParse: Parse never panics, and what it accepts is written back by
// Marshal as a document it accepts again, identically; Verify of it never
// panics.
func FuzzParse(f *testing.F) {
	l := smallLog(f, 1)
	tsa := newTestTSA(f, true)
	f.Add(mustMarshal(f, l.receipt(2, 0, tsa, false)))
	f.Add(mustMarshal(f, l.receipt(3, 0, nil, true)))
	if v, err := os.ReadFile("../testdata/proof-vectors.json"); err == nil {
		f.Add(v)
	}
	f.Add([]byte(`{"format":"navette-receipt/v1"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Parse(data)
		if err != nil {
			return
		}
		again, err := r.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		r2, err := Parse(again)
		if err != nil {
			t.Fatalf("Parse accepts %q but not its own rewrite %q: %v", data, again, err)
		}
		if again2, _ := r2.Marshal(); !bytes.Equal(again, again2) {
			t.Fatalf("rewrite not stable")
		}
		if res, err := Verify(r, []string{l.vkey}, &Options{TSARoots: tsa.roots}); err == nil {
			_ = res.Text("fr") + res.Text("en")
		}
	})
}

// FuzzVerifyToken: the time-stamp token check never panics on any bytes.
func FuzzVerifyToken(f *testing.F) {
	l := smallLog(f, 1)
	tsa := newTestTSA(f, true)
	r := l.receipt(2, 0, tsa, false)
	f.Add([]byte(r.Timestamp))
	f.Add(tsa.stampWith([]byte(r.Checkpoint), false))
	byKeyID, err := testtsa.ByKeyID([]byte(r.Timestamp), tsa.cert)
	if err != nil {
		f.Fatal(err)
	}
	if _, err := VerifyToken(byKeyID, []byte(r.Checkpoint), tsa.roots); err != nil {
		f.Fatal(err)
	}
	f.Add(byKeyID)
	f.Fuzz(func(t *testing.T, token []byte) {
		_, _ = VerifyToken(token, []byte(r.Checkpoint), tsa.roots)
	})
}

// FuzzParseKeys: the key list parser never panics, every key it accepts
// is written back as it was read, and the lines of the keys it accepts
// (a key and its retirement line) read back with the same bounds.
func FuzzParseKeys(f *testing.F) {
	l := smallLog(f, 1)
	f.Add(l.vkey + "\n# old\n" + l.vkey)
	f.Add("a+00000000+AQ==")
	id := strings.Join(strings.SplitN(l.vkey, "+", 3)[:2], "+")
	f.Add(l.vkey + "\n# retired " + id + " 6\n# retired " + strings.ToUpper(id) + " 3\n")
	f.Add("# retired " + id + " 0\n" + l.vkey + "\n" + l.vkey)
	f.Fuzz(func(t *testing.T, text string) {
		keys, err := ParseKeys(text)
		if err != nil {
			return
		}
		var lines []string
		for _, k := range keys {
			if k2, err := ParseKey(k.String()); err != nil || k2.String() != k.String() {
				t.Fatalf("key %q not read back: %v", k, err)
			}
			lines = append(lines, k.Lines()...)
		}
		again, err := ParseKeys(strings.Join(lines, "\n"))
		if err != nil || len(again) != len(keys) {
			t.Fatalf("the keys' lines %q do not read back: %v", lines, err)
		}
		for i, k := range keys {
			n, ok := k.Retired()
			if n2, ok2 := again[i].Retired(); n2 != n || ok2 != ok {
				t.Fatalf("key %q retired at %d (%v), read back at %d (%v)", k, n, ok, n2, ok2)
			}
		}
	})
}

// FuzzParseClaims: the claims parser never panics, and a document it
// accepts is of version 1.
func FuzzParseClaims(f *testing.F) {
	l := smallLog(f, 1)
	for _, c := range l.claims {
		if c != nil {
			f.Add(c)
		}
	}
	f.Add([]byte(`{"v":1,"kind":"downloaded","file":{"id":"f","size":-1,"sha256":"00"}}`))
	f.Add([]byte(`{"v":1,"v":2}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseClaims(data)
		if err == nil && c.V != 1 {
			t.Fatalf("version %d accepted", c.V)
		}
	})
}

// FuzzOpenCheckpoint: opening a signed checkpoint never panics, and one it
// accepts was signed by the trusted key: its body and the key's signature
// line, any other line by an unknown key.
func FuzzOpenCheckpoint(f *testing.F) {
	l := smallLog(f, 1)
	other := smallLog(f, 2)
	known, err := keyList([]string{l.vkey})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(l.checkpoint(6))
	f.Add(l.checkpoint(3, l.signer, other.signer))
	f.Add(append(l.checkpoint(2), "— navette.test/navette-journal AAAAAAAA\n"...))
	f.Add([]byte("o\n1\nAAAA\n\n— o AAAA\n"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		key, origin, size, _, err := openCheckpoint(msg, known)
		if err != nil {
			return
		}
		if key.String() != l.vkey || origin != testOrigin || size < 1 {
			t.Fatalf("opened as %v, %q, %d", key, origin, size)
		}
	})
}
