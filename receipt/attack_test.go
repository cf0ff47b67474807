package receipt

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"golang.org/x/mod/sumdb/note"
)

// TestForgedTextRefused: an attacker holding one genuine receipt edits its
// JSON text, keeping every signature: each edit that would make the
// receipt say something else is refused by Parse or Verify.
func TestForgedTextRefused(t *testing.T) {
	l := smallLog(t, 1)
	tsa := newTestTSA(t, true)
	good := mustMarshal(t, l.receipt(2, 0, tsa, false))
	claims := string(l.claims[2])
	replace := func(old, new string) func(string) string {
		return func(s string) string { return strings.Replace(s, old, new, 1) }
	}
	inClaims := func(edit func(string) string) func(string) string {
		return func(s string) string {
			q, _ := marshal(claims)
			e, _ := marshal(edit(claims))
			return replace(string(q), string(e))(s)
		}
	}
	for _, tc := range []struct {
		name string
		edit func(string) string
	}{
		{"a member repeated, the second naming another kind", replace(`"kind":"downloaded",`, `"kind":"downloaded","kind":"opened",`)},
		{"a member repeated under a unicode escape", replace(`"kind":"downloaded",`, `"kind":"downloaded","\u006bind":"opened",`)},
		{"an event member repeated", replace(`"detail":"",`, `"detail":"","detail":"forged",`)},
		{"a member differently cased", replace(`"kind":"downloaded",`, `"Kind":"opened","kind":"downloaded",`)},
		{"an unknown member", replace(`"kind":"downloaded",`, `"kind":"downloaded","note":"the sender authorised it",`)},
		{"data after the object", func(s string) string { return s + `{"kind":"opened"}` }},
		{"garbage after the object", func(s string) string { return s + "x" }},
		{"a second document after a newline", func(s string) string { return s + "\n" + s }},
		{"a byte order mark", func(s string) string { return "\ufeff" + s }},
		{"invalid UTF-8 in a label", replace(`"id":"rcpt-2"`, "\"id\":\"rcpt-2\xff\"")},
		{"claims null", replace(`"claims":`, `"claims":null,"x":`)},
		{"claims re-serialised with members reordered", inClaims(func(c string) string {
			var m map[string]any
			if err := json.Unmarshal([]byte(c), &m); err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(m) // sorted keys
			return string(b)
		})},
		{"claims with a trailing space", inClaims(func(c string) string { return c + " " })},
		{"claims with whitespace inside", inClaims(func(c string) string { return strings.Replace(c, `,"kind"`, `, "kind"`, 1) })},
		{"claims with a member repeated", inClaims(func(c string) string {
			return strings.TrimSuffix(c, "}") + `,"kind":"opened"}`
		})},
		{"claims with a character escaped", inClaims(func(c string) string { return strings.Replace(c, `"v":1`, `"\u0076":1`, 1) })},
		{"claims with a number written differently", inClaims(func(c string) string { return strings.Replace(c, `"v":1`, `"v":1.0`, 1) })},
		{"claims with trailing data", inClaims(func(c string) string { return c + `{"kind":"opened"}` })},
		{"claims of another file's download", inClaims(func(string) string { return string(l.claims[3]) })},
		{"the index as 2.0", replace(`"index":2,`, `"index":2.0,`)},
		{"the index as 2e0", replace(`"index":2,`, `"index":2e0,`)},
		{"the index as a string", replace(`"index":2,`, `"index":"2",`)},
		{"the size with a leading zero", replace(`"size":1002,`, `"size":01002,`)},
		{"the size past int64", replace(`"size":1002,`, `"size":18446744073709552618,`)},
		{"the tree size as a float", replace(`"tree_size":6,`, `"tree_size":6.0,`)},
		{"the time with an offset", replace(`"time":"2026-12-05T13:08:46.123456Z"`, `"time":"2026-12-05T14:08:46.123456+01:00"`)},
		{"the time to the millisecond", replace(`"time":"2026-12-05T13:08:46.123456Z"`, `"time":"2026-12-05T13:08:46.123Z"`)},
		{"the time a second later", replace(`"time":"2026-12-05T13:08:46.123456Z"`, `"time":"2026-12-05T13:08:47.123456Z"`)},
		{"the sha256 in upper case", func(s string) string {
			h := fmt.Sprintf("%x", l.events[2].SHA256)
			return replace(h, strings.ToUpper(h))(s)
		}},
		{"the sha256 emptied", func(s string) string {
			return replace(fmt.Sprintf(`"sha256":"%x"`, l.events[2].SHA256), `"sha256":""`)(s)
		}},
		{"a proof hash in non-canonical base64", func(s string) string {
			var r Receipt
			if err := json.Unmarshal([]byte(s), &r); err != nil {
				t.Fatal(err)
			}
			b64 := base64.StdEncoding.EncodeToString(r.Inclusion.Hashes[0])
			odd := b64[:42] + string(nextB64(b64[42])) + "="
			return replace(b64, odd)(s)
		}},
		{"the proof hashes in unpadded URL base64", func(s string) string {
			// Unpadded, every hash's text changes, in the URL alphabet
			// wherever its base64 holds + or /.
			var r Receipt
			if err := json.Unmarshal([]byte(s), &r); err != nil {
				t.Fatal(err)
			}
			for _, h := range r.Inclusion.Hashes {
				s = replace(base64.StdEncoding.EncodeToString(h), base64.RawURLEncoding.EncodeToString(h))(s)
			}
			return s
		}},
		{"time_source server-clock with the token kept", replace(`"time_source":"tsa"`, `"time_source":"server-clock"`)},
		{"the format v2", replace(`"format":"navette-receipt/v1"`, `"format":"navette-receipt/v2"`)},
		{"the timestamp emptied", func(s string) string {
			i := strings.Index(s, `"timestamp":"`)
			j := strings.Index(s[i+13:], `"`)
			return s[:i+13] + s[i+13+j:]
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			forged := tc.edit(string(good))
			if forged == string(good) {
				t.Fatal("the edit changed nothing")
			}
			if res, err := verifyBytes([]byte(forged), l.vkey, tsa); err == nil {
				t.Errorf("the forged receipt verifies: %s\n%s", forged, res.Text("en"))
			}
		})
	}
}

// nextB64 returns the base64 digit after c, so that the last digit of a
// padded encoding gets non-zero padding bits.
func nextB64(c byte) byte {
	const digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	return digits[(strings.IndexByte(digits, c)+1)%64]
}

// TestRewrittenTextSaysTheSame: the edits of a receipt's text that Parse
// accepts (members reordered, white space, escaped characters in strings,
// the token dropped with its time source) give a receipt that proves no
// more than the genuine one: the same event, claims, checkpoint and key,
// and no time-stamp it did not have.
func TestRewrittenTextSaysTheSame(t *testing.T) {
	l := smallLog(t, 1)
	tsa := newTestTSA(t, true)
	good := mustMarshal(t, l.receipt(2, 0, tsa, false))
	want, err := verifyBytes(good, l.vkey, tsa)
	if err != nil {
		t.Fatal(err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(good, &top); err != nil {
		t.Fatal(err)
	}
	reordered, _ := json.Marshal(top) // members sorted by name
	var indented bytes.Buffer
	if err := json.Indent(&indented, good, "", "\t"); err != nil {
		t.Fatal(err)
	}
	escaped := strings.Replace(string(good), `"type":"file.downloaded"`, `"type":"file\u002edownloaded"`, 1)
	for name, text := range map[string]string{
		"members reordered":     string(reordered),
		"indented":              indented.String() + "\n",
		"a character escaped":   escaped,
		"a member name escaped": strings.Replace(string(good), `"deposit_id":"dep1","issued_at"`, `"deposit\u005fid":"dep1","issued_at"`, 1),
	} {
		got, err := verifyBytes([]byte(text), l.vkey, tsa)
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: proves %+v, the genuine one %+v", name, got, want)
		}
	}
}

// TestForgedProofRefused: an attacker edits a genuine receipt's proof,
// checkpoint, keys or token: each is refused.
func TestForgedProofRefused(t *testing.T) {
	l := smallLog(t, 1)
	other := smallLog(t, 2) // another journal of the same name and events, another key
	tsa := newTestTSA(t, true)
	late := newTestTSA(t, true)
	late.now = late.cert.NotAfter.Add(time.Hour)
	early := newTestTSA(t, true)
	early.now = early.cert.NotBefore.Add(-time.Hour)
	// Without a token, so that a change of the checkpoint's bytes must be
	// caught by the checkpoint's own check; the token's cases add one.
	good := func() *Receipt { return l.receipt(2, 0, nil, false) }
	stamp := func(r *Receipt, tsa *testTSA, msg []byte) { r.Timestamp, r.TimeSource = tsa.stamp(msg), TimeSourceTSA }
	extraSig := func(r *Receipt, name string, hash uint32, sig []byte) {
		b := binary.BigEndian.AppendUint32(nil, hash)
		r.Checkpoint += "— " + name + " " + base64.StdEncoding.EncodeToString(append(b, sig...)) + "\n"
	}
	k := l.key(t)
	c1, c2 := collidingKeys(t)
	for _, tc := range []struct {
		name   string
		mutate func(r *Receipt)
		keys   []string
		opts   *Options
	}{
		{"the index past the tree", func(r *Receipt) { r.Event.Index = r.Inclusion.TreeSize }, nil, nil},
		{"the index far past the tree", func(r *Receipt) { r.Event.Index = 1 << 62 }, nil, nil},
		{"a negative index", func(r *Receipt) { r.Event.Index = -1 }, nil, nil},
		{"a tree size of 0", func(r *Receipt) { r.Inclusion.TreeSize = 0; r.Event.Index = 0 }, nil, nil},
		{"an extra proof hash", func(r *Receipt) { r.Inclusion.Hashes = append(r.Inclusion.Hashes, make([]byte, 32)) }, nil, nil},
		{"an extra proof hash first", func(r *Receipt) { r.Inclusion.Hashes = append([]Base64{make([]byte, 32)}, r.Inclusion.Hashes...) }, nil, nil},
		{"a proof hash missing", func(r *Receipt) { r.Inclusion.Hashes = r.Inclusion.Hashes[1:] }, nil, nil},
		{"the last proof hash missing", func(r *Receipt) { r.Inclusion.Hashes = r.Inclusion.Hashes[:len(r.Inclusion.Hashes)-1] }, nil, nil},
		{"the proof hashes reversed", func(r *Receipt) {
			h := r.Inclusion.Hashes
			for i, j := 0, len(h)-1; i < j; i, j = i+1, j-1 {
				h[i], h[j] = h[j], h[i]
			}
		}, nil, nil},
		{"another leaf's proof", func(r *Receipt) { r.Inclusion = l.receipt(3, 0, nil, false).Inclusion }, nil, nil},
		{"the leaf hash as the event", func(r *Receipt) {
			// A proof of the leaf's parent node, one level up, as if it were a leaf.
			r.Inclusion.Hashes = r.Inclusion.Hashes[1:]
			r.Event.Index /= 2
		}, nil, nil},
		{"an event of deposit B relabelled as deposit A", func(r *Receipt) {
			b := l.receipt(3, 0, nil, false)
			b.Event.DepositID, b.DepositID = "dep2", "dep2"
			*r = *b
		}, nil, nil},
		{"a checkpoint of another journal of the same name", func(r *Receipt) { r.Checkpoint = string(other.checkpoint(6)) }, nil, nil},
		{"a checkpoint of an older size, the proof kept", func(r *Receipt) { r.Checkpoint = string(l.checkpoint(5)) }, nil, nil},
		{"a checkpoint of an older size, its size and proof", func(r *Receipt) {
			s := l.receipt(2, 3, nil, false)
			r.Checkpoint, r.Inclusion = string(l.checkpoint(4)), s.Inclusion
		}, nil, nil},
		{"a checkpoint signed by both keys, the trusted one's signature forged", func(r *Receipt) {
			r.Checkpoint = string(l.checkpoint(6, other.signer))
			extraSig(r, testOrigin, k.KeyHash(), make([]byte, 64))
		}, nil, nil},
		{"a trusted key's signature repeated, forged", func(r *Receipt) {
			extraSig(r, testOrigin, k.KeyHash(), make([]byte, 64))
		}, nil, nil},
		{"a trusted key's signature repeated, the first forged", func(r *Receipt) {
			body, sigs, _ := strings.Cut(r.Checkpoint, "\n\n")
			bogus := base64.StdEncoding.EncodeToString(append(binary.BigEndian.AppendUint32(nil, k.KeyHash()), make([]byte, 64)...))
			r.Checkpoint = body + "\n\n— " + testOrigin + " " + bogus + "\n" + sigs
		}, nil, nil},
		{"an unknown key's signature of 1 byte", func(r *Receipt) { extraSig(r, "someone", 7, []byte{1}) }, nil, nil},
		{"an unknown key's signature in non-canonical base64", func(r *Receipt) {
			b64 := base64.StdEncoding.EncodeToString(append(binary.BigEndian.AppendUint32(nil, 7), make([]byte, 64)...))
			r.Checkpoint += "— someone " + b64[:len(b64)-2] + string(nextB64(b64[len(b64)-2])) + "=\n"
		}, nil, nil},
		{"a checkpoint re-signed by a key whose hash collides with the trusted one's", func(r *Receipt) {
			r.Checkpoint = string(l.checkpoint(6, c2.signer))
		}, []string{c1.vkey}, nil},
		{"a checkpoint with its origin changed, signed by another trusted key", func(r *Receipt) {
			s, _ := newTestKey(t, "other.test/navette-journal", 9)
			body, _, _ := strings.Cut(r.Checkpoint, "\n\n")
			msg, err := note.Sign(&note.Note{Text: strings.Replace(body, testOrigin, "other.test/navette-journal", 1) + "\n"}, s)
			if err != nil {
				t.Fatal(err)
			}
			r.Checkpoint = string(msg)
		}, []string{l.vkey}, nil},
		{"a token over the checkpoint's body alone", func(r *Receipt) {
			body, _, _ := strings.Cut(r.Checkpoint, "\n\n")
			stamp(r, tsa, []byte(body+"\n"))
		}, nil, nil},
		{"a token over another receipt's checkpoint", func(r *Receipt) { stamp(r, tsa, other.checkpoint(6)) }, nil, nil},
		{"a token over the checkpoint's digest given as the message", func(r *Receipt) {
			sum := sha256.Sum256([]byte(r.Checkpoint))
			stamp(r, tsa, sum[:])
		}, nil, nil},
		{"a token dated after its certificate expired, checked to the root", func(r *Receipt) {
			stamp(r, late, []byte(r.Checkpoint))
		}, nil, &Options{TSARoots: late.roots}},
		{"a token dated before its certificate was valid, checked to the root", func(r *Receipt) {
			stamp(r, early, []byte(r.Checkpoint))
		}, nil, &Options{TSARoots: early.roots}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := good()
			tc.mutate(r)
			keys := tc.keys
			if keys == nil {
				keys = []string{l.vkey}
			}
			if res, err := Verify(r, keys, tc.opts); err == nil {
				t.Errorf("the forged receipt verifies:\n%s", res.Text("en"))
			}
			// Through its text too, as a verifier reads it.
			if data, err := r.Marshal(); err == nil {
				if parsed, err := Parse(data); err == nil {
					if res, err := Verify(parsed, keys, tc.opts); err == nil {
						t.Errorf("the forged receipt's text verifies:\n%s", res.Text("en"))
					}
				}
			}
		})
	}
}

// key returns the log's verifier key, parsed.
func (l *testLog) key(t *testing.T) *Key {
	k, err := ParseKey(l.vkey)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// testSigner is a signer and its verifier key.
type testSigner struct {
	signer note.Signer
	vkey   string
}

// collidingKeys returns two Ed25519 keys named testOrigin whose key hashes
// are equal: 4 bytes, found by trying seeds (a birthday search of about
// 2^16 keys, done once; the seeds are kept here).
func collidingKeys(t *testing.T) (a, b testSigner) {
	mk := func(n uint64) testSigner {
		var seed [32]byte
		binary.BigEndian.PutUint64(seed[24:], n)
		priv := ed25519.NewKeyFromSeed(seed[:])
		pub := priv.Public().(ed25519.PublicKey)
		k, err := NewKey(testOrigin, pub)
		if err != nil {
			t.Fatal(err)
		}
		skey := fmt.Sprintf("PRIVATE+KEY+%s+%08x+%s", testOrigin, k.KeyHash(), base64.StdEncoding.EncodeToString(append([]byte{algEd25519}, seed[:]...)))
		s, err := note.NewSigner(skey)
		if err != nil {
			t.Fatal(err)
		}
		return testSigner{s, k.String()}
	}
	a, b = mk(54559), mk(87683)
	ka, _ := ParseKey(a.vkey)
	kb, _ := ParseKey(b.vkey)
	if ka.KeyHash() != kb.KeyHash() || a.vkey == b.vkey {
		t.Fatalf("keys %s and %s do not collide", a.vkey, b.vkey)
	}
	return a, b
}

// TestRetiredKeyBound: a key list's retirement line bounds the trees its
// key may have signed: a checkpoint of the tree at the retirement, or a
// smaller one, verifies; one of a larger tree, signed with a copy of the
// retired key, is refused, naming the key and the size; a list without the
// line, as earlier servers publish, accepts it as before.
func TestRetiredKeyBound(t *testing.T) {
	l := newTestLog(t, 7)
	for i := range 10 {
		l.addDownload(i)
	}
	retired := RetiredLine(l.vkey, 6)
	if want := "# retired " + strings.Join(strings.Split(l.vkey, "+")[:2], "+") + " 6"; retired != want {
		t.Fatalf("RetiredLine = %q, want %q", retired, want)
	}
	for _, tc := range []struct {
		size int64
		ok   bool
	}{{5, true}, {6, true}, {7, false}, {10, false}} {
		r := l.receipt(0, tc.size, nil, false)
		_, err := Verify(r, []string{l.vkey, retired}, nil)
		if (err == nil) != tc.ok {
			t.Errorf("tree of %d, key retired at 6: %v", tc.size, err)
		}
		if err != nil && !strings.Contains(err.Error(), "retired when the journal had 6 events") {
			t.Errorf("tree of %d: %v", tc.size, err)
		}
		if _, err := Verify(r, []string{l.vkey}, nil); err != nil {
			t.Errorf("tree of %d, without the retirement line: %v", tc.size, err)
		}
	}

	// The published list, read as navette verify reads a --key file.
	keys, err := ParseKeys("# navette's keys\n" + retired + "\n" + l.vkey + "\n")
	if err != nil || len(keys) != 1 {
		t.Fatalf("ParseKeys = %v, %v", keys, err)
	}
	if n, ok := keys[0].Retired(); !ok || n != 6 || strings.Join(keys[0].Lines(), "\n") != l.vkey+"\n"+retired {
		t.Errorf("parsed: retired %d %v, lines %q", n, ok, keys[0].Lines())
	}
	if _, err := Verify(l.receipt(0, 10, nil, false), keys[0].Lines(), nil); err == nil {
		t.Error("the parsed key's lines accept a tree beyond its retirement")
	}
	res, err := Verify(l.receipt(0, 6, nil, false), keys[0].Lines(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if text := res.Text("en"); !strings.Contains(text, l.vkey+" (a key retired since, at tree size 6: it signs no larger tree)") {
		t.Errorf("the report does not say the key was retired:\n%s", text)
	}

	// Another key's line bounds nothing; a malformed one is refused.
	_, other := newTestKey(t, testOrigin, 8)
	if _, err := Verify(l.receipt(0, 10, nil, false), []string{l.vkey, RetiredLine(other, 1)}, nil); err != nil {
		t.Errorf("another key's retirement: %v", err)
	}
	for _, bad := range []string{"# retired " + l.vkey + " 6", "# retired x+00000000 -1", "# retired x+00000000 06", "# retired x+00000000"} {
		if _, err := ParseKeys(l.vkey + "\n" + bad + "\n"); err == nil {
			t.Errorf("ParseKeys accepted %q", bad)
		}
		if _, err := Verify(l.receipt(0, 5, nil, false), []string{l.vkey, bad}, nil); err == nil {
			t.Errorf("Verify accepted %q", bad)
		}
	}
}

// TestRetiredLineAsMeant: a retirement line bounds its key whatever the
// case of the key's hash (a signature finds the key by the hash's value,
// the line compared the text: a list with the hash in capitals, which
// ParseKey accepts, and its own Lines, bounded nothing), and a line meant
// as one but spelled otherwise ("#retired", "# Retired", a tab) is refused
// rather than skipped as a comment, which left its key unbounded.
func TestRetiredLineAsMeant(t *testing.T) {
	l := newTestLog(t, 7)
	for i := range 10 {
		l.addDownload(i)
	}
	parts := strings.SplitN(l.vkey, "+", 3)
	if strings.ToUpper(parts[1]) == parts[1] {
		t.Fatalf("the test key's hash %s has no letter: choose another seed", parts[1])
	}
	upper := parts[0] + "+" + strings.ToUpper(parts[1]) + "+" + parts[2]
	r := l.receipt(0, 10, nil, false)
	for _, keys := range [][]string{
		{upper, RetiredLine(upper, 6)}, {l.vkey, RetiredLine(upper, 6)}, {upper, RetiredLine(l.vkey, 6)},
	} {
		if _, err := Verify(r, keys, nil); err == nil {
			t.Errorf("Verify(%q) accepts a tree of 10 by a key retired at 6", keys)
		}
		parsed, err := ParseKeys(strings.Join(keys, "\n"))
		if err != nil || len(parsed) != 1 {
			t.Fatalf("ParseKeys(%q) = %v, %v", keys, parsed, err)
		}
		if n, ok := parsed[0].Retired(); !ok || n != 6 {
			t.Errorf("ParseKeys(%q): retired %d %v, want at 6", keys, n, ok)
		}
		if _, err := Verify(r, parsed[0].Lines(), nil); err == nil {
			t.Errorf("the lines %q accept a tree of 10 by a key retired at 6", parsed[0].Lines())
		}
	}
	id := parts[0] + "+" + parts[1]
	for _, bad := range []string{"#retired " + id + " 6", "# Retired " + id + " 6", "#\tretired " + id + " 6", "# retired  " + id + " 6", "# RETIRED " + id + " 6"} {
		if _, err := ParseKeys(l.vkey + "\n" + bad + "\n"); err == nil {
			t.Errorf("ParseKeys skipped %q as a comment", bad)
		}
		if _, err := Verify(r, []string{l.vkey, bad}, nil); err == nil {
			t.Errorf("Verify skipped %q", bad)
		}
	}
	if _, err := ParseKeys("# navette's keys, some retired since\n" + l.vkey + "\n"); err != nil {
		t.Errorf("a comment that mentions retired keys: %v", err)
	}
}

// TestReceiptNeverIssuedRefused: whoever reads the journal (its events and
// inclusion proofs are the auditors' and admins', and a database copy's)
// can assemble, without any key, a receipt of any event it holds. For the
// events navette gives no receipt of, the kind would state what did not
// happen: a notice to the sender (a first download, the expiry report) or
// of a withdrawal as the notice of the deposit to its recipient, an expiry
// without claims (every recipient had fetched every file) as a deposit not
// fetched. Each is refused; the events navette gives receipts of verify.
func TestReceiptNeverIssuedRefused(t *testing.T) {
	l := newTestLog(t, 1)
	at := Time{time.Date(2026, 12, 5, 13, 0, 0, 0, time.UTC)}
	notice := func(detail string) int64 {
		return l.add(Event{Time: at, Type: "notice.sent", DepositID: "dep1", Detail: detail}, "")
	}
	for _, tc := range []struct {
		name string
		i    int64
		ok   bool
	}{
		{"the deposit's notice to its recipient", notice("deposit lawyer n1"), true},
		{"a reminder", notice("reminder lawyer n2"), true},
		{"the notice to the sender of a first download", notice("receipt sender n3"), false},
		{"the expiry report to the sender", notice("expiry_report sender n4"), false},
		{"the notice of a withdrawal", notice("withdrawn lawyer n5"), false},
		{"the notice of a download limit", notice("download_limit sender n6"), false},
		{"a notice whose detail is its kind alone", notice("deposit"), true},
		{"a notice without detail", notice(""), false},
		{"a notice of a kind that begins as deposit's", notice("deposits lawyer n7"), false},
		{"an expiry with claims", l.add(Event{Time: at, Type: "deposit.expired", DepositID: "dep1"}, "unclaimed"), true},
		{"an expiry without claims", l.add(Event{Time: at, Type: "deposit.expired", DepositID: "dep1"}, ""), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := l.receipt(tc.i, 0, nil, false)
			res, err := verifyBytes(mustMarshal(t, r), l.vkey, newTestTSA(t, true))
			switch {
			case tc.ok && err != nil:
				t.Errorf("%q: got %v, want a valid receipt", tc.name, err)
			case !tc.ok && err == nil:
				t.Errorf("%q: the receipt navette never issues verifies:\n%s", tc.name, res.Text("fr"))
			}
		})
	}
}
