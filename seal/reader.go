package seal

import (
	"errors"
	"fmt"
	"io"
)

// Reader decrypts a blob, or its tail from a given segment on, checking every
// segment as it goes. It reads whole sealed segments and never reads past
// the file's final segment.
type Reader struct {
	r       io.Reader
	k       *Key
	fileID  string
	size    int64
	count   int64  // segments in the file
	next    int64  // index of the next segment to read
	buf     []byte // one sealed segment, decrypted in place; made by Next
	pending []byte // plaintext of the current segment not yet returned by Read
	err     error  // sticky: io.EOF after the final segment, or the failure
}

// NewReader returns a Reader of the blob of file fileID, sealed under k,
// whose plaintext is size bytes long. r must be positioned at
// SegmentOffset(first) of the blob: the Reader returns the plaintext from
// byte first*SegmentSize to the end of the file.
//
// Each segment must authenticate at its index, with the final flag set on
// segment SegmentCount(size)-1 only, and hold exactly the number of
// plaintext bytes size implies. Any failure, short reads included, is an
// error wrapping ErrCorrupt; errors of r other than an unexpected end are
// returned wrapped as they are. After the final segment the Reader returns
// io.EOF without reading further from r. A first equal to SegmentCount(size)
// gives io.EOF at once; a negative size or a first out of range gives an
// error.
func NewReader(r io.Reader, k *Key, fileID string, size int64, first int64) *Reader {
	sr := &Reader{r: r, k: k, fileID: fileID, size: size, next: first}
	switch {
	case size < 0:
		sr.err = fmt.Errorf("seal: negative size %d", size)
		return sr
	case first < 0 || first > SegmentCount(size):
		sr.err = fmt.Errorf("seal: segment %d out of range for a file of %d bytes", first, size)
		return sr
	}
	sr.count = SegmentCount(size)
	if first == sr.count {
		sr.err = io.EOF
	}
	return sr
}

// Next returns the plaintext of the next segment (or, after a Read, what
// remains of the current one). The slice is valid until the next call to Next
// or Read. After the final segment, Next returns io.EOF.
func (r *Reader) Next() ([]byte, error) {
	if len(r.pending) > 0 {
		p := r.pending
		r.pending = nil
		return p, nil
	}
	if r.buf == nil && r.err == nil {
		// One buffer serves every segment, made at the first Next so that
		// callers of NextInto alone never pay for it; a single segment
		// needs no more than its own length.
		n := SealedSegmentSize
		if r.next == r.count-1 {
			n = segmentLen(r.size, r.count, r.next) + Overhead
		}
		r.buf = make([]byte, n)
	}
	return r.NextInto(r.buf)
}

// NextInto is Next reading the segment into buf, which must hold
// SealedSegmentSize bytes, instead of the Reader's own buffer, so that a
// caller can hand segments on without copying them: the plaintext returned
// is a slice of buf. It must not follow a Read that left part of a segment
// unread.
func (r *Reader) NextInto(buf []byte) ([]byte, error) {
	if r.err != nil {
		return nil, r.err
	}
	if r.next >= r.count {
		r.err = io.EOF
		return nil, r.err
	}
	i := r.next
	n := segmentLen(r.size, r.count, i)
	sealed := buf[:n+Overhead]
	if _, err := io.ReadFull(r.r, sealed); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			r.err = fmt.Errorf("%w: segment %d is truncated", ErrCorrupt, i)
		} else {
			r.err = fmt.Errorf("seal: reading segment %d: %w", i, err)
		}
		return nil, r.err
	}
	p, err := r.k.OpenSegment(sealed[NonceSize:NonceSize], r.fileID, i, i == r.count-1, sealed)
	if err != nil {
		r.err = err
		return nil, err
	}
	if len(p) != n { // cannot happen: the length read is the length expected
		r.err = fmt.Errorf("%w: segment %d holds %d bytes, want %d", ErrCorrupt, i, len(p), n)
		return nil, r.err
	}
	r.next++
	return p, nil
}

// Read reads decrypted plaintext into p. It implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for len(r.pending) == 0 {
		seg, err := r.Next()
		if err != nil {
			return 0, err
		}
		r.pending = seg
	}
	n := copy(p, r.pending)
	r.pending = r.pending[n:]
	return n, nil
}

// WriteTo writes the remaining plaintext to w, segment by segment without
// copying. It implements io.WriterTo, so io.Copy uses it.
func (r *Reader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		seg, err := r.Next()
		if err == io.EOF {
			return total, nil
		} else if err != nil {
			return total, err
		}
		n, err := w.Write(seg)
		total += int64(n)
		if err != nil {
			return total, err
		} else if n < len(seg) {
			return total, io.ErrShortWrite
		}
	}
}
