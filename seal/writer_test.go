package seal

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

// writeAll seals plaintext through a Writer in chunks of chunk bytes.
func writeAll(t *testing.T, k *Key, plaintext []byte, chunk int) []byte {
	t.Helper()
	var out bytes.Buffer
	w := NewWriter(&out, k, testFileID, int64(len(plaintext)), 0, nil)
	for p := plaintext; len(p) > 0; {
		n := min(chunk, len(p))
		if m, err := w.Write(p[:n]); err != nil || m != n {
			t.Fatalf("Write: %d, %v, want %d", m, err, n)
		}
		p = p[n:]
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

func TestWriterRoundTrip(t *testing.T) {
	k := keyFrom(t, "writer")
	for _, size := range testSizes {
		plain := content(size)
		for _, chunk := range []int{1 << 20, SegmentSize, SegmentSize - 1, 1000, 7} {
			if size > 4*SegmentSize && chunk < 1000 {
				continue
			}
			blob := writeAll(t, k, plain, chunk)
			if int64(len(blob)) != SealedSize(size) {
				t.Fatalf("size %d, chunks of %d: blob of %d bytes, want %d", size, chunk, len(blob), SealedSize(size))
			}
			if !bytes.Equal(blob[:HeaderSize], Header()) {
				t.Fatalf("size %d: header %x", size, blob[:HeaderSize])
			}
			got, err := io.ReadAll(readerAt(k, testFileID, blob, size, 0))
			if err != nil || !bytes.Equal(got, plain) {
				t.Fatalf("size %d, chunks of %d: read back %d bytes, %v", size, chunk, len(got), err)
			}
		}
	}
}

// A Writer resumed from the Pending of the one before, over the blob cut
// where its unfinished segment starts, makes the same file.
func TestWriterResume(t *testing.T) {
	k := keyFrom(t, "writer resume")
	size := int64(3*SegmentSize + 7)
	plain := content(size)
	for _, cut := range []int64{0, 1, SegmentSize - 1, SegmentSize, SegmentSize + 5, size - 1} {
		var out bytes.Buffer
		w := NewWriter(&out, k, testFileID, size, 0, nil)
		if _, err := w.Write(plain[:cut]); err != nil {
			t.Fatal(err)
		}
		if w.Offset() != cut {
			t.Fatalf("cut %d: offset %d", cut, w.Offset())
		}
		partial := bytes.Clone(w.Pending())
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		blob := out.Bytes()
		if cut > 0 {
			blob = blob[:SegmentOffset(cut/SegmentSize)]
		}
		rest := bytes.NewBuffer(bytes.Clone(blob))
		w = NewWriter(rest, k, testFileID, size, cut, partial)
		if _, err := w.Write(plain[cut:]); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(readerAt(k, testFileID, rest.Bytes(), size, 0))
		if err != nil || !bytes.Equal(got, plain) {
			t.Fatalf("cut %d: read back %d bytes, %v", cut, len(got), err)
		}
	}
}

func TestWriterRefuses(t *testing.T) {
	k := keyFrom(t, "writer refuses")
	tests := []struct {
		name           string
		size, off      int64
		partial        []byte
		write          []byte
		wantErrTooLong bool
	}{
		{"past the size", 10, 0, nil, make([]byte, 11), true},
		{"past the size after a resume", 10, 5, make([]byte, 5), make([]byte, 6), true},
		{"negative size", -1, 0, nil, []byte{1}, false},
		{"offset past the size", 10, 11, nil, []byte{1}, false},
		{"partial of the wrong length", SegmentSize + 10, SegmentSize + 3, make([]byte, 2), []byte{1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := NewWriter(io.Discard, k, testFileID, tt.size, tt.off, tt.partial)
			_, err := w.Write(tt.write)
			if err == nil || errors.Is(err, ErrTooLong) != tt.wantErrTooLong {
				t.Errorf("Write: %v", err)
			}
			w.Close()
		})
	}
}

// An error of the underlying writer stops the Writer.
func TestWriterIOError(t *testing.T) {
	k := keyFrom(t, "writer io")
	boom := errors.New("boom")
	w := NewWriter(failWriter{boom}, k, testFileID, 2*SegmentSize, 0, nil)
	if _, err := w.Write(make([]byte, SegmentSize)); !errors.Is(err, boom) {
		t.Fatalf("Write: %v", err)
	}
	if _, err := w.Write([]byte{1}); !errors.Is(err, boom) {
		t.Fatalf("Write after a failure: %v", err)
	}
	if err := w.Close(); !errors.Is(err, boom) {
		t.Fatalf("Close: %v", err)
	}
}

type failWriter struct{ err error }

func (f failWriter) Write([]byte) (int, error) { return 0, f.err }

func TestWriterAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	k := keyFrom(t, "writer allocs")
	plain := content(SegmentSize)
	w := NewWriter(io.Discard, k, testFileID, 1<<30, 0, nil)
	// Segment after segment, the writer allocates nothing.
	if n := testing.AllocsPerRun(7, func() {
		if _, err := w.Write(plain); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("Write: got %v allocations per segment, want 0", n)
	}
}

func BenchmarkWriter(b *testing.B) {
	k := keyFrom(b, "bench")
	size := int64(16 << 20)
	plain := content(size)
	b.SetBytes(size)
	for b.Loop() {
		w := NewWriter(io.Discard, k, testFileID, size, 0, nil)
		if _, err := w.Write(plain); err != nil {
			b.Fatal(err)
		}
		w.Close()
	}
}
