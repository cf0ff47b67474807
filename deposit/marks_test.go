package deposit

import (
	"testing"

	"navette"
	"navette/seal"
)

// sizedWriter is a checkpointing blob writer of a given CommitSize; only
// its type matters to markEvery.
type sizedWriter struct {
	navette.BlobCheckpointer
	size int64
}

func (w sizedWriter) CommitSize() int64 { return w.size }

// TestCommitSpan: where each commit writes an object of its own (S3),
// marks come every so many whole segments that their sealed bytes, with
// the blob's header, fill one part and no more, so that a commit's bytes
// go up as one part and no tail object.
func TestCommitSpan(t *testing.T) {
	s := &Service{}
	for _, size := range []int64{5 << 20, 8 << 20, 16 << 20} {
		m := s.markEvery(sizedWriter{size: size})
		segs := m.bytes / seal.SegmentSize
		if m.bytes%seal.SegmentSize != 0 || seal.SegmentOffset(segs) > size || seal.SegmentOffset(segs+1) <= size && m.bytes < DefaultCommitBytes {
			t.Errorf("CommitSize %d: marks every %d bytes (%d segments, sealed %d)", size, m.bytes, segs, seal.SegmentOffset(segs))
		}
		if m.every != DefaultCommitEvery {
			t.Errorf("CommitSize %d: marks every %v, want %v", size, m.every, DefaultCommitEvery)
		}
	}
	if m := s.markEvery(sizedWriter{size: 8 << 20}); m.bytes != 127*seal.SegmentSize {
		t.Errorf("8 MiB parts: marks every %d bytes, want 127 segments", m.bytes)
	}
}
