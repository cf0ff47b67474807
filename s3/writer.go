package s3

import (
	"context"
	"io"
	"os"

	"github.com/minio/minio-go/v7"

	"navette"
)

// writer is the navette.BlobWriter of a Store. It holds at most two part
// buffers: the one filling and the one being uploaded.
type writer struct {
	s      *Store
	key    string
	ctx    context.Context // the writer's requests; Close cancels it
	cancel context.CancelFunc

	st    *state // the committed state, as stored
	fresh bool   // no state is stored yet: the first Commit writes one
	parts []part // parts uploaded after st's, not yet committed

	// buf holds the bytes from offset bufStart on, fewer than PartSize
	// but when full. Its first st.TailSize bytes are the committed tail
	// while bufStart is the end of st's parts.
	buf      *[]byte
	bufStart int64
	spare    *[]byte     // a free buffer, kept for the next part
	flight   chan flight // the part being uploaded, if any

	err    error // the first failure; the writer refuses everything after
	closed bool
}

// flight is the outcome of a part's upload.
type flight struct {
	p   part
	buf *[]byte
	err error
}

// newWriter returns a writer that continues st, reading its tail back.
func (s *Store) newWriter(ctx context.Context, key string, st *state, fresh bool) (*writer, error) {
	buf := getBuf()
	data, err := s.readTail(ctx, key, st.Tail, st.TailSize, (*buf)[:0])
	if err != nil {
		putBuf(buf)
		return nil, err
	}
	*buf = data
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &writer{
		s: s, key: key, ctx: wctx, cancel: cancel,
		st: st, fresh: fresh,
		buf: buf, bufStart: st.Size - st.TailSize,
	}, nil
}

func (w *writer) check() error {
	if w.closed {
		return navette.WrapError(navette.EINTERNAL, os.ErrClosed, "The blob writer is closed.")
	}
	return w.err
}

func (w *writer) fail(err error) error {
	w.err = wrap(err)
	return w.err
}

// Write buffers p, uploading each buffer that fills as a part while the
// next one fills.
func (w *writer) Write(p []byte) (int, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		if len(*w.buf) == PartSize {
			if err := w.sendPart(); err != nil {
				return n, err
			}
		}
		b := *w.buf
		m := copy(b[len(b):PartSize], p)
		*w.buf = b[:len(b)+m]
		p = p[m:]
		n += m
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the part buffers, sparing
// io.Copy its own buffer. An error of r is returned as is, and leaves the
// writer usable: what was read can still be committed.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	var n int64
	for {
		if len(*w.buf) == PartSize {
			if err := w.sendPart(); err != nil {
				return n, err
			}
		}
		b := *w.buf
		m, err := r.Read(b[len(b):PartSize])
		*w.buf = b[:len(b)+m]
		n += int64(m)
		if err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
	}
}

// sendPart starts uploading the full buffer as the next part, once the
// part before it is in, and goes on with the spare buffer.
func (w *writer) sendPart() error {
	if err := w.land(); err != nil {
		return err
	}
	num, err := w.nextPart()
	if err != nil {
		return w.fail(err)
	}
	buf, ctx, upload := w.buf, w.ctx, w.st.Upload
	ch := make(chan flight, 1)
	go func() {
		p, err := w.s.uploadPart(ctx, w.key, upload, num, *buf)
		ch <- flight{p: p, buf: buf, err: err}
	}()
	w.flight = ch
	w.bufStart += int64(len(*buf))
	if w.buf, w.spare = w.spare, nil; w.buf == nil {
		w.buf = getBuf()
	}
	return nil
}

// land waits for the part in flight, if any, and keeps its buffer as the
// spare.
func (w *writer) land() error {
	if w.flight == nil {
		return nil
	}
	f := <-w.flight
	w.flight = nil
	*f.buf = (*f.buf)[:0]
	if w.spare == nil {
		w.spare = f.buf
	} else {
		putBuf(f.buf)
	}
	if f.err != nil {
		return w.fail(f.err)
	}
	w.parts = append(w.parts, f.p)
	return nil
}

// nextPart returns the number of the next part, making the multipart upload
// first if there is none yet. The new upload's id is recorded at once in a
// state that commits nothing new, so that no upload goes unrecorded.
func (w *writer) nextPart() (int, error) {
	num := len(w.st.Parts) + len(w.parts) + 1
	if num >= maxParts { // the last number is kept for Finish's tail
		return 0, navette.Errorf(navette.ETOOLARGE, "The blob is too large for the S3 blob store.")
	}
	if w.st.Upload != "" {
		return num, nil
	}
	id, err := w.s.core.NewMultipartUpload(w.ctx, w.s.bucket, w.s.blobName(w.key), minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return 0, err
	}
	st := *w.st
	st.Upload = id
	if err := w.s.writeState(w.ctx, w.key, &st); err != nil {
		_ = w.s.core.AbortMultipartUpload(w.ctx, w.s.bucket, w.s.blobName(w.key), id)
		return 0, err
	}
	w.st, w.fresh = &st, false
	return num, nil
}

// Commit makes everything written so far durable in the object store: it
// waits for the part in flight, uploads the buffer as a part if it holds at
// least 5 MiB or else writes it as a new tail object, then writes the state
// object, which is the commit point, and deletes the tail that no state
// can name any more. After a failure the writer refuses everything; the
// caller appends again at its committed offset.
func (w *writer) Commit() error {
	if err := w.check(); err != nil {
		return err
	}
	if err := w.commit(); err != nil {
		return w.fail(err)
	}
	return nil
}

func (w *writer) commit() error {
	if err := w.land(); err != nil {
		return err
	}
	if err := w.uploadFullBuf(); err != nil {
		return err
	}
	tail := *w.buf
	size := w.bufStart + int64(len(tail))
	if !w.fresh && size == w.st.Size && len(w.parts) == 0 {
		return nil // nothing new
	}
	old, st := w.st, w.nextState(size)
	if err := w.writeTail(st, tail); err != nil {
		return err
	}
	if err := w.s.writeState(w.ctx, w.key, st); err != nil {
		return err
	}
	w.st, w.parts, w.fresh = st, nil, false
	// The new state names old's tail as its previous commit's; the tail
	// before it is garbage.
	w.s.removeUnnamedTails(w.ctx, w.key, st, prevTail(old))
	return nil
}

// writeTail writes tail, if not empty, as a new tail object, and records it
// in st.
func (w *writer) writeTail(st *state, tail []byte) error {
	if len(tail) == 0 {
		return nil
	}
	st.Tail, st.TailSize = navette.NewID(), int64(len(tail))
	return w.s.putTail(w.ctx, w.key, st.Tail, tail)
}

// uploadFullBuf uploads the buffer as the next part if it holds a part's
// worth.
func (w *writer) uploadFullBuf() error {
	if len(*w.buf) < minPart {
		return nil
	}
	num, err := w.nextPart()
	if err != nil {
		return err
	}
	p, err := w.s.uploadPart(w.ctx, w.key, w.st.Upload, num, *w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, p)
	w.bufStart += int64(len(*w.buf))
	*w.buf = (*w.buf)[:0]
	return nil
}

// nextState returns the state of the next commit, of size bytes, without
// its tail: the parts committed and those uploaded since, and the commit
// before it unless the blob is new.
func (w *writer) nextState(size int64) *state {
	old := w.st
	st := &state{
		Version: stateVersion,
		Upload:  old.Upload,
		Parts:   append(old.Parts[:len(old.Parts):len(old.Parts)], w.parts...),
		Size:    size,
	}
	if !w.fresh {
		st.Prev = &commit{Parts: len(old.Parts), Tail: old.Tail, TailSize: old.TailSize, Size: old.Size}
	}
	return st
}

// Close releases the writer: it stops the part in flight and returns the
// buffers to the pool. What was not committed is lost. Closing twice does
// nothing.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.cancel()
	if w.flight != nil {
		f := <-w.flight
		w.flight = nil
		putBuf(f.buf)
	}
	putBuf(w.buf)
	putBuf(w.spare)
	w.buf, w.spare = nil, nil
	return nil
}
