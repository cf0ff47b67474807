package seal

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"testing"
)

const (
	testFileID  = "k7x2mq4vn5hp3wt6rj2ycb4dfs7gaz5e"
	otherFileID = "b2c3d4e5f6g7h2i3j4k5l6m7n2o3p4q5"
)

// keyFrom returns the Key derived from a label, so tests are reproducible.
func keyFrom(tb testing.TB, label string) *Key {
	tb.Helper()
	raw := sha256.Sum256([]byte(label))
	k, err := NewKey(raw[:])
	if err != nil {
		tb.Fatal(err)
	}
	return k
}

// patternByte is byte o of every test file: all test content is a prefix of
// one endless pattern, so a fuzzer can tell sealed data from anything else.
func patternByte(o int64) byte { return byte(o*131 + o>>13 + o>>17) }

// content returns the first size bytes of the test pattern.
func content(size int64) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = patternByte(int64(i))
	}
	return b
}

// sealSegments seals plaintext as a file's segments, without the header.
func sealSegments(k *Key, fileID string, plaintext []byte) [][]byte {
	n := SegmentCount(int64(len(plaintext)))
	segs := make([][]byte, n)
	for i := int64(0); i < n; i++ {
		end := min((i+1)*SegmentSize, int64(len(plaintext)))
		segs[i] = k.SealSegment(nil, fileID, i, i == n-1, plaintext[i*SegmentSize:end])
	}
	return segs
}

// buildBlob returns the blob of plaintext sealed as file fileID.
func buildBlob(k *Key, fileID string, plaintext []byte) []byte {
	return bytes.Join(append([][]byte{Header()}, sealSegments(k, fileID, plaintext)...), nil)
}

func TestHeader(t *testing.T) {
	want := []byte("NVTSEAL\x00\x01\x10\x00\x00\x00\x00\x00\x00")
	h := Header()
	if !bytes.Equal(h, want) {
		t.Fatalf("Header: got %x, want %x", h, want)
	}
	h[0] = 'X'
	if got := Header(); !bytes.Equal(got, want) {
		t.Errorf("Header after changing a copy: got %x, want %x", got, want)
	}
	if 1<<h[9] != SegmentSize {
		t.Errorf("header segment size: got %d, want %d", 1<<h[9], SegmentSize)
	}
}

func TestSizes(t *testing.T) {
	tests := []struct {
		size   int64
		count  int64
		sealed int64
	}{
		{0, 1, HeaderSize + Overhead},
		{1, 1, HeaderSize + Overhead + 1},
		{SegmentSize - 1, 1, HeaderSize + SealedSegmentSize - 1},
		{SegmentSize, 1, HeaderSize + SealedSegmentSize},
		{SegmentSize + 1, 2, HeaderSize + SealedSegmentSize + Overhead + 1},
		{3*SegmentSize + 7, 4, HeaderSize + 3*SealedSegmentSize + Overhead + 7},
		{1 << 30, 1 << 14, HeaderSize + (1<<14)*SealedSegmentSize},
	}
	for _, tt := range tests {
		if got := SegmentCount(tt.size); got != tt.count {
			t.Errorf("SegmentCount(%d): got %d, want %d", tt.size, got, tt.count)
		}
		if got := SealedSize(tt.size); got != tt.sealed {
			t.Errorf("SealedSize(%d): got %d, want %d", tt.size, got, tt.sealed)
		}
		if got := int64(len(buildBlobSize(t, tt.size))); tt.size < 1<<20 && got != tt.sealed {
			t.Errorf("blob of %d bytes: got length %d, want %d", tt.size, got, tt.sealed)
		}
	}
	if got, want := SegmentOffset(3), int64(HeaderSize+3*SealedSegmentSize); got != want {
		t.Errorf("SegmentOffset(3): got %d, want %d", got, want)
	}
}

// buildBlobSize returns a blob of size pattern bytes, or nil for large sizes.
func buildBlobSize(tb testing.TB, size int64) []byte {
	if size >= 1<<20 {
		return nil
	}
	return buildBlob(keyFrom(tb, "sizes"), testFileID, content(size))
}

func TestNewKey(t *testing.T) {
	for _, n := range []int{0, 16, 24, 31, 33, 64} {
		if _, err := NewKey(make([]byte, n)); err == nil {
			t.Errorf("NewKey of %d bytes: got nil error, want an error", n)
		}
	}
	k := GenerateKey()
	if len(k) != KeySize {
		t.Fatalf("GenerateKey: got %d bytes, want %d", len(k), KeySize)
	}
	if bytes.Equal(k, GenerateKey()) {
		t.Errorf("GenerateKey twice: got the same key")
	}
	if _, err := NewKey(k); err != nil {
		t.Errorf("NewKey(GenerateKey()): got %v, want nil", err)
	}
}

func TestSegmentRoundTrip(t *testing.T) {
	k := keyFrom(t, "round trip")
	for _, n := range []int{0, 1, 100, SegmentSize - 1, SegmentSize} {
		for _, last := range []bool{false, true} {
			name := fmt.Sprintf("%d bytes, last %v", n, last)
			pt := content(int64(n))
			sealed := k.SealSegment([]byte("prefix"), testFileID, 5, last, pt)
			if !bytes.HasPrefix(sealed, []byte("prefix")) {
				t.Fatalf("%q: SealSegment did not append to dst", name)
			}
			sealed = sealed[len("prefix"):]
			if len(sealed) != n+Overhead {
				t.Fatalf("%q: got sealed length %d, want %d", name, len(sealed), n+Overhead)
			}
			got, err := k.OpenSegment([]byte("x"), testFileID, 5, last, sealed)
			if err != nil || !bytes.Equal(got, append([]byte("x"), pt...)) {
				t.Fatalf("%q: OpenSegment: got %d bytes, %v, want the plaintext", name, len(got), err)
			}
			// In place: the plaintext replaces the ciphertext.
			got, err = k.OpenSegment(sealed[NonceSize:NonceSize], testFileID, 5, last, sealed)
			if err != nil || !bytes.Equal(got, pt) || (n > 0 && &got[0] != &sealed[NonceSize]) {
				t.Fatalf("%q: OpenSegment in place: got %d bytes, %v, want the plaintext in place", name, len(got), err)
			}
		}
	}
}

func TestSealSegmentInPlace(t *testing.T) {
	k := keyFrom(t, "in place")
	pt := content(1000)
	want := k.sealSegment(nil, make([]byte, NonceSize), testFileID, 0, true, pt)
	buf := make([]byte, SealedSegmentSize)
	copy(buf[NonceSize:], pt)
	got := k.sealSegment(buf[:0], make([]byte, NonceSize), testFileID, 0, true, buf[NonceSize:NonceSize+len(pt)])
	if !bytes.Equal(got, want) || &got[0] != &buf[0] {
		t.Fatalf("sealing in place: got %x..., want %x... in buf", got[:32], want[:32])
	}
	if got := k.SealSegment(nil, testFileID, 0, true, pt); bytes.Equal(got[:NonceSize], k.SealSegment(nil, testFileID, 0, true, pt)[:NonceSize]) {
		t.Errorf("two sealings: got the same nonce %x, want random nonces", got[:NonceSize])
	}
}

func TestSealSegmentTooLong(t *testing.T) {
	k := keyFrom(t, "too long")
	defer func() {
		if recover() == nil {
			t.Errorf("SealSegment of %d bytes: did not panic", SegmentSize+1)
		}
	}()
	k.SealSegment(nil, testFileID, 0, true, make([]byte, SegmentSize+1))
}

func TestOpenSegmentRefused(t *testing.T) {
	k := keyFrom(t, "refused")
	pt := content(300)
	sealed := k.SealSegment(nil, testFileID, 2, false, pt)
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x80
		return b
	}
	tests := []struct {
		name   string
		key    *Key
		fileID string
		index  int64
		last   bool
		sealed []byte
	}{
		{"other key", keyFrom(t, "other"), testFileID, 2, false, sealed},
		{"other file", k, otherFileID, 2, false, sealed},
		{"other file id prefix", k, testFileID[:31], 2, false, sealed},
		{"empty file id", k, "", 2, false, sealed},
		{"other index", k, testFileID, 3, false, sealed},
		{"negative index", k, testFileID, -2, false, sealed},
		{"final flag", k, testFileID, 2, true, sealed},
		{"nonce flipped", k, testFileID, 2, false, flip(0)},
		{"ciphertext flipped", k, testFileID, 2, false, flip(NonceSize + 17)},
		{"tag flipped", k, testFileID, 2, false, flip(len(sealed) - 1)},
		{"truncated", k, testFileID, 2, false, sealed[:len(sealed)-1]},
		{"tag only", k, testFileID, 2, false, sealed[len(sealed)-Overhead:]},
		{"too short", k, testFileID, 2, false, sealed[:Overhead-1]},
		{"empty", k, testFileID, 2, false, nil},
		{"extended", k, testFileID, 2, false, append(bytes.Clone(sealed), 0)},
		{"too long", k, testFileID, 2, false, make([]byte, SealedSegmentSize+1)},
		{"a value", k, testFileID, 2, false, k.SealValue("name", testFileID, pt)},
	}
	for _, tt := range tests {
		got, err := tt.key.OpenSegment(nil, tt.fileID, tt.index, tt.last, tt.sealed)
		if !errors.Is(err, ErrCorrupt) || got != nil {
			t.Errorf("%q: got %d bytes, %v, want %v", tt.name, len(got), err, ErrCorrupt)
		}
	}
}

func TestSegmentAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	k := keyFrom(t, "allocs")
	pt := content(SegmentSize)
	buf := make([]byte, 0, SealedSegmentSize)
	var sealed []byte
	if n := testing.AllocsPerRun(50, func() { sealed = k.SealSegment(buf[:0], testFileID, 7, false, pt) }); n != 0 {
		t.Errorf("SealSegment: got %v allocations, want 0", n)
	}
	out := make([]byte, 0, SegmentSize)
	if n := testing.AllocsPerRun(50, func() {
		if _, err := k.OpenSegment(out[:0], testFileID, 7, false, sealed); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("OpenSegment: got %v allocations, want 0", n)
	}
}

func TestValue(t *testing.T) {
	k := keyFrom(t, "values")
	for _, pt := range []string{"", "a", "Conclusions récapitulatives n° 3.pdf", string(content(5000))} {
		sealed := k.SealValue("name", testFileID, []byte(pt))
		if len(sealed) != len(pt)+Overhead {
			t.Fatalf("%q: got sealed length %d, want %d", pt, len(sealed), len(pt)+Overhead)
		}
		got, err := k.OpenValue("name", testFileID, sealed)
		if err != nil || string(got) != pt {
			t.Fatalf("%q: OpenValue: got %q, %v, want the plaintext", pt, got, err)
		}
	}

	sealed := k.SealValue("reference", testFileID, []byte("RG 24/01234"))
	flipped := bytes.Clone(sealed)
	flipped[NonceSize] ^= 1
	tests := []struct {
		name    string
		key     *Key
		purpose string
		id      string
		sealed  []byte
	}{
		{"other key", keyFrom(t, "other"), "reference", testFileID, sealed},
		{"other purpose", k, "message", testFileID, sealed},
		{"other id", k, "reference", otherFileID, sealed},
		{"purpose and id shifted", k, "referencek", testFileID[1:], sealed},
		{"flipped", k, "reference", testFileID, flipped},
		{"truncated", k, "reference", testFileID, sealed[:len(sealed)-1]},
		{"too short", k, "reference", testFileID, sealed[:Overhead-1]},
		{"nil", k, "reference", testFileID, nil},
		{"a segment", k, "reference", testFileID, k.SealSegment(nil, testFileID, 0, true, []byte("RG 24/01234"))},
	}
	for _, tt := range tests {
		got, err := tt.key.OpenValue(tt.purpose, tt.id, tt.sealed)
		if !errors.Is(err, ErrCorrupt) || got != nil {
			t.Errorf("%q: got %q, %v, want %v", tt.name, got, err, ErrCorrupt)
		}
	}
}

func TestDomainSeparation(t *testing.T) {
	seg := appendSegmentAD(nil, testFileID, 0, true)
	val := appendValueAD(nil, "name", testFileID)
	if bytes.HasPrefix(seg, []byte(valueDomain)) || bytes.HasPrefix(val, Header()[:8]) || bytes.Equal(seg[:8], val[:8]) {
		t.Errorf("segment AD %q and value AD %q: got a common prefix, want distinct domains", seg[:8], val[:8])
	}
}

func BenchmarkSealSegment(b *testing.B) {
	k := keyFrom(b, "bench")
	pt := content(SegmentSize)
	buf := make([]byte, 0, SealedSegmentSize)
	b.SetBytes(SegmentSize)
	for i := 0; b.Loop(); i++ {
		k.SealSegment(buf[:0], testFileID, int64(i), false, pt)
	}
}

func BenchmarkOpenSegment(b *testing.B) {
	k := keyFrom(b, "bench")
	sealed := k.SealSegment(nil, testFileID, 1, false, content(SegmentSize))
	buf := make([]byte, 0, SegmentSize)
	b.SetBytes(SegmentSize)
	for b.Loop() {
		if _, err := k.OpenSegment(buf[:0], testFileID, 1, false, sealed); err != nil {
			b.Fatal(err)
		}
	}
}
