package seal

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"testing"
	"testing/iotest"
)

// testSizes are the file sizes of the round-trip tests.
var testSizes = []int64{0, 1, 1000, SegmentSize - 1, SegmentSize, SegmentSize + 1, 2 * SegmentSize, 3*SegmentSize + 7}

// readerAt returns a Reader of blob from segment first.
func readerAt(k *Key, fileID string, blob []byte, size, first int64) *Reader {
	off := min(max(SegmentOffset(first), 0), int64(len(blob)))
	return NewReader(bytes.NewReader(blob[off:]), k, fileID, size, first)
}

// readAllNext reads a Reader to the end with Next.
func readAllNext(r *Reader) ([]byte, error) {
	var out []byte
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return out, nil
		} else if err != nil {
			return out, err
		}
		out = append(out, seg...)
	}
}

func TestReaderRoundTrip(t *testing.T) {
	k := keyFrom(t, "reader")
	for _, size := range testSizes {
		pt := content(size)
		blob := buildBlob(k, testFileID, pt)
		if got := int64(len(blob)); got != SealedSize(size) {
			t.Fatalf("%d bytes: got blob length %d, want %d", size, got, SealedSize(size))
		}
		if !bytes.Equal(blob[:HeaderSize], Header()) {
			t.Fatalf("%d bytes: got header %x, want %x", size, blob[:HeaderSize], Header())
		}
		ways := []struct {
			name string
			read func(r *Reader) ([]byte, error)
		}{
			{"ReadAll", func(r *Reader) ([]byte, error) { return io.ReadAll(r) }},
			{"one byte reads", func(r *Reader) ([]byte, error) { return io.ReadAll(iotest.OneByteReader(r)) }},
			{"Next", readAllNext},
			{"WriteTo", func(r *Reader) ([]byte, error) {
				var b bytes.Buffer
				n, err := r.WriteTo(&b)
				if n != int64(b.Len()) {
					return nil, fmt.Errorf("WriteTo returned %d, wrote %d", n, b.Len())
				}
				return b.Bytes(), err
			}},
		}
		for _, w := range ways {
			name := fmt.Sprintf("%d bytes, %s", size, w.name)
			got, err := w.read(readerAt(k, testFileID, blob, size, 0))
			if err != nil || !bytes.Equal(got, pt) {
				t.Errorf("%q: got %d bytes, %v, want %d bytes", name, len(got), err, size)
			}
		}
		if err := iotest.TestReader(readerAt(k, testFileID, blob, size, 0), pt); err != nil {
			t.Errorf("%d bytes: iotest.TestReader: %v", size, err)
		}
	}
}

func TestReaderFromMiddle(t *testing.T) {
	k := keyFrom(t, "middle")
	size := int64(3*SegmentSize + 7)
	pt := content(size)
	blob := buildBlob(k, testFileID, pt)
	for first := int64(0); first <= SegmentCount(size); first++ {
		got, err := io.ReadAll(readerAt(k, testFileID, blob, size, first))
		if want := pt[min(first*SegmentSize, size):]; err != nil || !bytes.Equal(got, want) {
			t.Errorf("from segment %d: got %d bytes, %v, want %d bytes", first, len(got), err, len(want))
		}
	}
}

func TestReaderMixNextAndRead(t *testing.T) {
	k := keyFrom(t, "mix")
	size := int64(2*SegmentSize + 10)
	pt := content(size)
	r := readerAt(k, testFileID, buildBlob(k, testFileID, pt), size, 0)
	head := make([]byte, 10)
	if _, err := io.ReadFull(r, head); err != nil {
		t.Fatal(err)
	}
	rest, err := readAllNext(r)
	if got := append(head, rest...); err != nil || !bytes.Equal(got, pt) {
		t.Errorf("Read then Next: got %d bytes, %v, want %d bytes", len(got), err, size)
	}
}

func TestReaderArguments(t *testing.T) {
	k := keyFrom(t, "arguments")
	blob := buildBlob(k, testFileID, content(10))
	tests := []struct {
		size, first int64
	}{
		{-1, 0},
		{10, -1},
		{10, 2},
		{SegmentSize + 1, 3},
	}
	for _, tt := range tests {
		_, err := readerAt(k, testFileID, blob, tt.size, tt.first).Next()
		if err == nil || err == io.EOF || errors.Is(err, ErrCorrupt) {
			t.Errorf("size %d from segment %d: got %v, want an argument error", tt.size, tt.first, err)
		}
	}
}

// segment returns a copy of segment i of a blob of size bytes.
func segment(blob []byte, size, i int64) []byte {
	end := SegmentOffset(i) + int64(segmentLen(size, SegmentCount(size), i)) + Overhead
	return bytes.Clone(blob[SegmentOffset(i):end])
}

func TestReaderTampering(t *testing.T) {
	k := keyFrom(t, "tampering")
	size := int64(3*SegmentSize + 7) // segments 0, 1, 2 full, 3 of 7 bytes
	pt := content(size)
	blob := buildBlob(k, testFileID, pt)
	seg := func(i int64) []byte { return segment(blob, size, i) }
	join := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	flip := func(off int64) []byte {
		b := bytes.Clone(blob)
		b[off] ^= 0x01
		return b
	}
	other := buildBlob(k, otherFileID, pt)
	otherKey := buildBlob(keyFrom(t, "other key"), testFileID, pt)
	twoFull := buildBlob(k, testFileID, pt[:2*SegmentSize])

	tests := []struct {
		name  string
		blob  []byte
		size  int64
		first int64
	}{
		{"nonce of segment 0 flipped", flip(SegmentOffset(0)), size, 0},
		{"last nonce byte of segment 0 flipped", flip(SegmentOffset(0) + NonceSize - 1), size, 0},
		{"ciphertext of segment 0 flipped", flip(SegmentOffset(0) + NonceSize), size, 0},
		{"ciphertext of segment 1 flipped", flip(SegmentOffset(1) + NonceSize + 4321), size, 0},
		{"tag of segment 2 flipped", flip(SegmentOffset(3) - 1), size, 0},
		{"first tag byte of final segment flipped", flip(int64(len(blob)) - TagSize), size, 0},
		{"last byte of final segment flipped", flip(int64(len(blob)) - 1), size, 0},
		{"segments 0 and 1 swapped", join(Header(), seg(1), seg(0), seg(2), seg(3)), size, 0},
		{"segments 1 and 2 swapped", join(Header(), seg(0), seg(2), seg(1), seg(3)), size, 0},
		{"segment 0 repeated", join(Header(), seg(0), seg(0), seg(2), seg(3)), size, 0},
		{"final segment truncated by a byte", blob[:len(blob)-1], size, 0},
		{"final segment cut to its nonce", blob[:SegmentOffset(3)+NonceSize], size, 0},
		{"final segment dropped", blob[:SegmentOffset(3)], size, 0},
		{"final segment dropped, size shrunk", blob[:SegmentOffset(3)], 3 * SegmentSize, 0},
		{"two segments dropped, size shrunk", blob[:SegmentOffset(2)], 2 * SegmentSize, 0},
		{"final segment dropped, size shrunk to the byte", blob[:SegmentOffset(3)-1], 3*SegmentSize - 1, 0},
		{"final segment replaced by a non-final one", join(twoFull[:SegmentOffset(1)], seg(1)), 2 * SegmentSize, 0},
		{"final segment sealed as non-final", join(Header(), seg(0), seg(1), seg(2), k.SealSegment(nil, testFileID, 3, false, pt[3*SegmentSize:])), size, 0},
		{"non-final segment sealed as final", join(Header(), seg(0), k.SealSegment(nil, testFileID, 1, true, pt[SegmentSize:2*SegmentSize]), seg(2), seg(3)), size, 0},
		{"segment 1 from another file", join(Header(), seg(0), segment(other, size, 1), seg(2), seg(3)), size, 0},
		{"final segment from another file", join(blob[:SegmentOffset(3)], segment(other, size, 3)), size, 0},
		{"segment 0 under another key", join(Header(), segment(otherKey, size, 0), seg(1), seg(2), seg(3)), size, 0},
		{"older shorter re-seal of segment 1", join(Header(), seg(0), k.SealSegment(nil, testFileID, 1, false, pt[SegmentSize:SegmentSize+100]), seg(2), seg(3)), size, 0},
		{"older shorter re-seal of segment 1, padded", join(Header(), seg(0), k.SealSegment(nil, testFileID, 1, false, pt[SegmentSize:SegmentSize+100]), make([]byte, SegmentSize-100), seg(2), seg(3)), size, 0},
		{"older shorter re-seal of the final segment", join(blob[:SegmentOffset(3)], k.SealSegment(nil, testFileID, 3, true, pt[3*SegmentSize:3*SegmentSize+3])), size, 0},
		{"older shorter re-seal of the final segment, padded", join(blob[:SegmentOffset(3)], k.SealSegment(nil, testFileID, 3, true, pt[3*SegmentSize:3*SegmentSize+3]), []byte{0, 0, 0, 0}), size, 0},
		{"empty blob", Header(), size, 0},
		{"empty file's segment dropped", Header(), 0, 0},
		{"from segment 2, segments 2 and 3 swapped", join(Header(), seg(0), seg(1), seg(3), seg(2)), size, 2},
		{"from segment 2, final segment dropped", blob[:SegmentOffset(3)], size, 2},
		{"from segment 3, final segment truncated", blob[:len(blob)-1], size, 3},
		{"from segment 1, segment 1 from another file", join(Header(), seg(0), segment(other, size, 1), seg(2), seg(3)), size, 1},
		{"from segment 1, segment 0 read as segment 1", join(Header(), seg(0), seg(0), seg(2), seg(3)), size, 1},
	}
	for _, tt := range tests {
		got, err := io.ReadAll(readerAt(k, testFileID, tt.blob, tt.size, tt.first))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("%q: got %d bytes, %v, want %v", tt.name, len(got), err, ErrCorrupt)
		}
	}
}

func TestReaderFlipEveryByte(t *testing.T) {
	k := keyFrom(t, "flip")
	for _, size := range []int64{0, 1000, SegmentSize + 10} {
		blob := buildBlob(k, testFileID, content(size))
		step := int64(1)
		if size > SegmentSize {
			step = 97 // and every byte near segment boundaries
		}
		for off := int64(HeaderSize); off < int64(len(blob)); off++ {
			rel := (off - HeaderSize) % SealedSegmentSize
			if off%step != 0 && rel > 40 && rel < SealedSegmentSize-40 && off < int64(len(blob))-40 {
				continue
			}
			b := bytes.Clone(blob)
			b[off] ^= 0x40
			got, err := io.ReadAll(readerAt(k, testFileID, b, size, 0))
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("%d bytes, byte %d flipped: got %d bytes, %v, want %v", size, off, len(got), err, ErrCorrupt)
			}
		}
	}
}

// countingReader counts the bytes read from it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

func TestReaderStopsAtFinalSegment(t *testing.T) {
	k := keyFrom(t, "trailing")
	for _, size := range testSizes {
		pt := content(size)
		blob := append(buildBlob(k, testFileID, pt), "trailing garbage"...)
		for _, first := range []int64{0, SegmentCount(size) - 1} {
			cr := &countingReader{r: bytes.NewReader(blob[SegmentOffset(first):])}
			r := NewReader(cr, k, testFileID, size, first)
			got, err := io.ReadAll(r)
			if err != nil || !bytes.Equal(got, pt[first*SegmentSize:]) {
				t.Errorf("%d bytes from segment %d: got %d bytes, %v, want %d bytes", size, first, len(got), err, size-first*SegmentSize)
			}
			if want := SealedSize(size) - SegmentOffset(first); cr.n != want {
				t.Errorf("%d bytes from segment %d: got %d bytes read from the blob, want %d", size, first, cr.n, want)
			}
			if _, err := r.Next(); err != io.EOF {
				t.Errorf("%d bytes from segment %d: Next after the end: got %v, want %v", size, first, err, io.EOF)
			}
		}
	}
}

func TestReaderIOError(t *testing.T) {
	k := keyFrom(t, "io error")
	size := int64(SegmentSize + 1)
	blob := buildBlob(k, testFileID, content(size))
	boom := errors.New("disk on fire")
	r := NewReader(io.MultiReader(bytes.NewReader(blob[HeaderSize:HeaderSize+100]), iotest.ErrReader(boom)), k, testFileID, size, 0)
	_, err := io.ReadAll(r)
	if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
		t.Errorf("read error: got %v, want %v and not %v", err, boom, ErrCorrupt)
	}
	if _, again := r.Read(make([]byte, 1)); again != err {
		t.Errorf("read after error: got %v, want %v", again, err)
	}
}

func TestReaderAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	k := keyFrom(t, "reader allocs")
	size := int64(8 * SegmentSize)
	blob := buildBlob(k, testFileID, content(size))
	br := bytes.NewReader(nil)
	r := NewReader(br, k, testFileID, size, 0)
	// Segment after segment, the reader allocates nothing.
	br.Reset(blob[HeaderSize:])
	if n := testing.AllocsPerRun(7, func() {
		if _, err := r.Next(); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Next: got %v allocations per segment, want 0", n)
	}
}

func BenchmarkReader(b *testing.B) {
	k := keyFrom(b, "bench")
	size := int64(16 << 20)
	blob := buildBlob(k, testFileID, content(size))
	br := bytes.NewReader(nil)
	b.SetBytes(size)
	for b.Loop() {
		br.Reset(blob[HeaderSize:])
		n, err := io.Copy(io.Discard, NewReader(br, k, testFileID, size, 0))
		if err != nil || n != size {
			b.Fatalf("got %d bytes, %v, want %d", n, err, size)
		}
	}
}

// NextInto reads each segment into the caller's buffer, so that segments
// already returned stay intact while the next ones are read.
func TestReaderNextInto(t *testing.T) {
	k := keyFrom(t, "next into")
	for _, size := range testSizes {
		plain := content(size)
		r := readerAt(k, testFileID, buildBlob(k, testFileID, plain), size, 0)
		var segs [][]byte
		for {
			p, err := r.NextInto(make([]byte, SealedSegmentSize))
			if err == io.EOF {
				break
			} else if err != nil {
				t.Fatalf("size %d: %v", size, err)
			}
			segs = append(segs, p)
		}
		if got := bytes.Join(segs, nil); !bytes.Equal(got, plain) {
			t.Fatalf("size %d: read %d bytes, not the file", size, len(got))
		}
	}
}
