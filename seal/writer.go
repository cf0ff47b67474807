package seal

import (
	"errors"
	"fmt"
	"io"
	"sync"
)

// ErrTooLong is returned by a Writer given more bytes than the file's size.
var ErrTooLong = errors.New("seal: more bytes than the file's size")

// bufPool holds the buffers of Writers: one sealed segment each, held by a
// Writer only while it seals a segment or keeps the bytes of an unfinished
// one, so that a Writer waiting for its next bytes holds none.
var bufPool = sync.Pool{New: func() any { b := make([]byte, SealedSegmentSize); return &b }}

// Writer seals the plaintext written to it into the blob of a file whose
// size is known in advance, and writes each segment to the underlying
// writer as soon as it is complete, the final one as soon as the file's last
// byte arrives. It implements io.WriteCloser.
//
// A Writer can start anywhere in the file, so that an upload can resume:
// NewWriter takes the plaintext of the segment left unfinished (Pending of
// the Writer before) and the underlying writer must then be positioned
// where that segment starts. A Writer that starts at offset 0 writes the
// blob's header first.
type Writer struct {
	w       io.Writer
	k       *Key
	fileID  string
	size    int64
	off     int64 // plaintext bytes given so far, from the file's start
	count   int64
	header  bool    // the header is still to be written
	buf     *[]byte // one sealed segment, from bufPool; nil when none is held
	pending int     // plaintext bytes of the unfinished segment, at buf[NonceSize:]
	closed  bool
	err     error
}

// NewWriter returns a Writer of the blob of file fileID, sealed under k,
// whose plaintext is size bytes long, starting at plaintext offset off.
// partial is the plaintext of the unfinished segment before off, off modulo
// SegmentSize bytes long; w must be positioned at SegmentOffset(off /
// SegmentSize) of the blob, or at its start when off is 0. A negative size,
// an off out of range or a partial of the wrong length makes every Write
// fail.
func NewWriter(w io.Writer, k *Key, fileID string, size, off int64, partial []byte) *Writer {
	sw := &Writer{w: w, k: k, fileID: fileID, size: size, off: off, header: off == 0}
	switch {
	case size < 0 || off < 0 || off > size:
		sw.err = fmt.Errorf("seal: offset %d out of range for a file of %d bytes", off, size)
		return sw
	case int64(len(partial)) != off%SegmentSize:
		sw.err = fmt.Errorf("seal: %d bytes of unfinished segment at offset %d", len(partial), off)
		return sw
	}
	sw.count = SegmentCount(size)
	if len(partial) > 0 {
		sw.pending = copy((*sw.hold())[NonceSize:], partial)
	}
	return sw
}

// hold returns the Writer's buffer, taking one from bufPool if it holds
// none.
func (w *Writer) hold() *[]byte {
	if w.buf == nil {
		w.buf = bufPool.Get().(*[]byte)
	}
	return w.buf
}

// release gives the Writer's buffer back, unless it holds the bytes of an
// unfinished segment.
func (w *Writer) release() {
	if w.buf != nil && w.pending == 0 {
		bufPool.Put(w.buf)
		w.buf = nil
	}
}

// Offset returns the number of plaintext bytes of the file given so far.
func (w *Writer) Offset() int64 { return w.off }

// Size returns the size of the file.
func (w *Writer) Size() int64 { return w.size }

// Pending returns the plaintext of the unfinished segment: the bytes since
// the last segment written out. The slice is valid until the next Write or
// Close.
func (w *Writer) Pending() []byte {
	if w.buf == nil || w.pending == 0 {
		return nil
	}
	return (*w.buf)[NonceSize : NonceSize+w.pending]
}

// Write seals p, writing out every segment it completes. Bytes past the
// file's size are refused with ErrTooLong; an error of the underlying
// writer is returned as is and makes every later Write fail.
func (w *Writer) Write(p []byte) (int, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.closed {
		return 0, errors.New("seal: write to a closed Writer")
	}
	if int64(len(p)) > w.size-w.off {
		return 0, ErrTooLong
	}
	if w.header && len(p) > 0 {
		if _, err := w.w.Write(header[:]); err != nil {
			w.err = err
			return 0, err
		}
		w.header = false
	}
	n := 0
	for len(p) > 0 {
		index := w.off / SegmentSize
		end := segmentLen(w.size, w.count, index)
		want := end - w.pending
		if w.pending == 0 && len(p) >= want {
			// A whole segment: sealed straight from p.
			if err := w.emit(index, p[:want]); err != nil {
				return n, err
			}
			p, n, w.off = p[want:], n+want, w.off+int64(want)
			continue
		}
		m := copy((*w.hold())[NonceSize+w.pending:NonceSize+end], p)
		p, n, w.off, w.pending = p[m:], n+m, w.off+int64(m), w.pending+m
		if m == want {
			full := (*w.buf)[NonceSize : NonceSize+w.pending]
			if err := w.emit(index, full); err != nil {
				return n, err
			}
		}
	}
	return n, nil
}

// emit seals plaintext, all of segment index, into the buffer (in place
// when plaintext is already there), writes it out and gives the buffer
// back.
func (w *Writer) emit(index int64, plaintext []byte) error {
	out := w.k.SealSegment((*w.hold())[:0], w.fileID, index, index == w.count-1, plaintext)
	w.pending = 0
	_, err := w.w.Write(out)
	w.release()
	if err != nil {
		w.err = err
		return err
	}
	return nil
}

// Close seals the only segment of an empty file, which no Write completes,
// and releases the Writer's buffer. It does not seal an unfinished segment:
// a file whose bytes have not all arrived is resumed from Pending, read
// before Close. It returns the first error of the underlying writer.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.err == nil && w.size == 0 && w.header {
		if _, w.err = w.w.Write(header[:]); w.err == nil {
			w.header = false
			w.emit(0, nil)
		}
	}
	if w.buf != nil {
		bufPool.Put(w.buf)
		w.buf = nil
	}
	return w.err
}
