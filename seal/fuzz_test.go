package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
)

// The fuzz tests use a fixed key and fixed nonces, so that every fuzzing
// process knows exactly which inputs are genuine: nothing else may ever
// authenticate.

// fuzzNonce returns a fixed nonce for the n-th genuine sealing.
func fuzzNonce(n int) []byte { return stream(fmt.Sprint("fuzz nonce ", n), NonceSize) }

// genuineSegment is a segment sealed under the fuzz key.
type genuineSegment struct {
	fileID    string
	index     int64
	last      bool
	plaintext []byte
}

func FuzzOpenSegment(f *testing.F) {
	k := keyFrom(f, "fuzz")
	genuine := map[string]genuineSegment{} // by sealed bytes
	for n, g := range []genuineSegment{
		{testFileID, 0, true, nil},
		{testFileID, 0, false, []byte("x")},
		{testFileID, 1, true, content(100)},
		{otherFileID, 7, false, content(1000)},
		{"", 0, true, []byte("no file id")},
	} {
		sealed := k.sealSegment(nil, fuzzNonce(n), g.fileID, g.index, g.last, g.plaintext)
		genuine[string(sealed)] = g
		f.Add(sealed, g.fileID, g.index, g.last)
		f.Add(sealed, g.fileID, g.index, !g.last)
		f.Add(sealed, g.fileID, g.index+1, g.last)
		f.Add(sealed[:len(sealed)-1], g.fileID, g.index, g.last)
	}
	f.Fuzz(func(t *testing.T, sealed []byte, fileID string, index int64, last bool) {
		in := bytes.Clone(sealed)
		got, err := k.OpenSegment(nil, fileID, index, last, sealed)
		if !bytes.Equal(in, sealed) {
			t.Fatalf("OpenSegment changed its input")
		}
		g, ok := genuine[string(sealed)]
		if ok && g.fileID == fileID && g.index == index && g.last == last {
			if err != nil || !bytes.Equal(got, g.plaintext) {
				t.Fatalf("genuine segment: got %x, %v, want %x", got, err, g.plaintext)
			}
			return
		}
		if !errors.Is(err, ErrCorrupt) || got != nil {
			t.Fatalf("forged segment (file %q, index %d, last %v): got %x, %v, want %v", fileID, index, last, got, err, ErrCorrupt)
		}
		// In place, the same verdict.
		if len(sealed) >= NonceSize {
			if _, err := k.OpenSegment(sealed[NonceSize:NonceSize], fileID, index, last, sealed); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("forged segment in place: got %v, want %v", err, ErrCorrupt)
			}
		}
	})
}

func FuzzReader(f *testing.F) {
	k := keyFrom(f, "fuzz")
	// Every segment ever sealed under the key holds the test pattern at its
	// place in the file, so any other plaintext is a forgery.
	n := 0
	for _, size := range []int64{0, 1, 100, SegmentSize, SegmentSize + 10} {
		pt := content(size)
		blob := Header()
		count := SegmentCount(size)
		for i := int64(0); i < count; i++ {
			blob = k.sealSegment(blob, fuzzNonce(n), testFileID, i, i == count-1, pt[i*SegmentSize:min((i+1)*SegmentSize, size)])
			n++
		}
		f.Add(blob[HeaderSize:], size, int64(0))
		f.Add(blob[HeaderSize:], size+1, int64(0))
		if count > 1 {
			f.Add(blob[SegmentOffset(1):], size, int64(1))
		}
	}
	f.Fuzz(func(t *testing.T, blob []byte, size, first int64) {
		r := NewReader(bytes.NewReader(blob), k, testFileID, size, first)
		i, total := first, int64(0)
		for {
			seg, err := r.Next()
			if err == io.EOF {
				break
			} else if err != nil {
				if size >= 0 && first >= 0 && first <= SegmentCount(size) && !errors.Is(err, ErrCorrupt) {
					t.Fatalf("segment %d: got %v, want %v", i, err, ErrCorrupt)
				}
				return
			}
			for j, c := range seg {
				if want := patternByte(i*SegmentSize + int64(j)); c != want {
					t.Fatalf("segment %d byte %d: got %#x, want %#x: unsealed data returned", i, j, c, want)
				}
			}
			i++
			total += int64(len(seg))
		}
		if want := size - first*SegmentSize; total != max(want, 0) {
			t.Fatalf("size %d from segment %d: got %d bytes before io.EOF, want %d", size, first, total, want)
		}
	})
}

func FuzzOpenValue(f *testing.F) {
	k := keyFrom(f, "fuzz")
	type value struct{ purpose, id, plaintext string }
	genuine := map[string]value{}
	for n, v := range []value{
		{"file name", testFileID, "Conclusions.pdf"},
		{"message", otherFileID, ""},
		{"", "", "x"},
	} {
		sealed := k.sealValue(fuzzNonce(1000+n), v.purpose, v.id, []byte(v.plaintext))
		genuine[string(sealed)] = v
		f.Add(v.purpose, v.id, sealed)
		f.Add(v.purpose+"x", v.id, sealed)
	}
	f.Fuzz(func(t *testing.T, purpose, id string, sealed []byte) {
		got, err := k.OpenValue(purpose, id, sealed)
		if v, ok := genuine[string(sealed)]; ok && v.purpose == purpose && v.id == id {
			if err != nil || string(got) != v.plaintext {
				t.Fatalf("genuine value: got %q, %v, want %q", got, err, v.plaintext)
			}
			return
		}
		if !errors.Is(err, ErrCorrupt) || got != nil {
			t.Fatalf("forged value (purpose %q, id %q): got %q, %v, want %v", purpose, id, got, err, ErrCorrupt)
		}
	})
}
