package s3

import (
	"context"
	"io"
	"os"

	"github.com/minio/minio-go/v7"

	"navette"
)

// writer is the navette.BlobWriter of a Store. It holds at most two
// chunks: the part filling and the part being uploaded. It takes the one
// filling only once bytes arrive for it, from the Store's capped pool or,
// when none is free, by waiting for its own part in flight and reusing
// its buffer, or else as a spool file; it never waits for anything but
// its own upload, so writers cannot stop each other.
type writer struct {
	s      *Store
	key    string
	ctx    context.Context // the writer's requests; Close cancels it
	cancel context.CancelFunc

	st    *state // the committed state, as stored
	fresh bool   // no state is stored yet: the first Commit writes one
	parts []part // parts uploaded after st's, not yet committed

	// cur holds the bytes from offset bufStart on, fewer than PartSize
	// but when full; nil for none. Its first st.TailSize bytes are the
	// committed tail while bufStart is the end of st's parts. The tail is
	// read back only once bytes come after it (loaded).
	cur      *chunk
	loaded   bool
	bufStart int64
	flight   chan flight // the part being uploaded, if any
	inFlight *chunk      // the chunk of that part

	err    error // the first failure; the writer refuses everything after
	closed bool
}

// flight is the outcome of a part's upload.
type flight struct {
	p   part
	err error
}

// newWriter returns a writer that continues st.
func (s *Store) newWriter(ctx context.Context, key string, st *state, fresh bool) *writer {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	return &writer{
		s: s, key: key, ctx: wctx, cancel: cancel,
		st: st, fresh: fresh,
		loaded: st.TailSize == 0, bufStart: st.Size - st.TailSize,
	}
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

// Write buffers p, uploading each part that fills while the next one
// fills.
func (w *writer) Write(p []byte) (int, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	n := 0
	for len(p) > 0 {
		if err := w.room(); err != nil {
			return n, err
		}
		m, err := w.cur.write(p)
		p = p[m:]
		n += m
		if err != nil {
			return n, w.fail(err)
		}
	}
	return n, nil
}

// ReadFrom reads r to its end straight into the parts, sparing io.Copy its
// own buffer. An error of r is returned as is, and leaves the writer
// usable: what was read can still be committed.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	var n int64
	for {
		if err := w.room(); err != nil {
			return n, err
		}
		m, rerr, err := w.cur.readFrom(r)
		n += int64(m)
		switch {
		case err != nil:
			return n, w.fail(err)
		case rerr == io.EOF:
			return n, nil
		case rerr != nil:
			return n, rerr
		}
	}
}

// room makes sure that cur has room: it sends a full part, and takes a
// chunk if there is none, reading the committed tail into the first.
func (w *writer) room() error {
	if w.cur != nil && w.cur.room() == 0 {
		if err := w.sendPart(); err != nil {
			return err
		}
	}
	if w.cur != nil {
		return nil
	}
	c, err := w.take()
	if err != nil {
		return w.fail(err)
	}
	w.cur = c
	if !w.loaded {
		w.loaded = true
		if err := w.s.readTail(w.ctx, w.key, w.st.Tail, w.st.TailSize, c); err != nil {
			return w.fail(err)
		}
	}
	return nil
}

// take returns an empty chunk: a free buffer of the pool, else the buffer
// of the writer's own part in flight once it is in, else a spool file.
func (w *writer) take() (*chunk, error) {
	if b := w.s.bufs.tryBuf(); b != nil {
		return w.s.bufs.inBuf(b), nil
	}
	if w.inFlight != nil && w.inFlight.buf != nil {
		c, err := w.land()
		if err != nil {
			w.s.bufs.put(c)
			return nil, err
		}
		return c, c.reset()
	}
	return w.s.bufs.spool()
}

// sendPart starts uploading the full chunk as the next part, once the part
// before it is in; the next bytes take a new chunk.
func (w *writer) sendPart() error {
	if err := w.settle(); err != nil {
		return err
	}
	num, err := w.nextPart()
	if err != nil {
		return w.fail(err)
	}
	c, ctx, upload := w.cur, w.ctx, w.st.Upload
	ch := make(chan flight, 1)
	go func() {
		p, err := w.s.uploadPart(ctx, w.key, upload, num, c)
		ch <- flight{p: p, err: err}
	}()
	w.flight, w.inFlight, w.cur = ch, c, nil
	w.bufStart += c.n
	return nil
}

// land waits for the part in flight, if any, and returns its chunk.
func (w *writer) land() (*chunk, error) {
	if w.flight == nil {
		return nil, nil
	}
	f := <-w.flight
	c := w.inFlight
	w.flight, w.inFlight = nil, nil
	if f.err != nil {
		return c, w.fail(f.err)
	}
	w.parts = append(w.parts, f.p)
	return c, nil
}

// settle waits for the part in flight, if any, and gives its chunk back.
func (w *writer) settle() error {
	c, err := w.land()
	w.s.bufs.put(c)
	return err
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
// waits for the part in flight, uploads the filling part if it holds at
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
	if err := w.settle(); err != nil {
		return err
	}
	if !w.loaded {
		return nil // nothing written, not even the committed tail read back
	}
	if err := w.uploadFullPart(); err != nil {
		return err
	}
	size := w.size()
	if !w.fresh && size == w.st.Size && len(w.parts) == 0 {
		return nil // nothing new
	}
	old, st := w.st, w.nextState(size)
	if err := w.writeTail(st); err != nil {
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

// size returns the length of the blob with what was written.
func (w *writer) size() int64 {
	if w.cur == nil {
		return w.bufStart
	}
	return w.bufStart + w.cur.n
}

// writeTail writes the filling part, if not empty, as a new tail object,
// and records it in st.
func (w *writer) writeTail(st *state) error {
	if w.cur == nil || w.cur.n == 0 {
		return nil
	}
	st.Tail, st.TailSize = navette.NewID(), w.cur.n
	return w.s.putTail(w.ctx, w.key, st.Tail, w.cur)
}

// uploadFullPart uploads the filling part as the next part if it holds a
// part's worth, and gives its chunk back.
func (w *writer) uploadFullPart() error {
	if w.cur == nil || w.cur.n < minPart {
		return nil
	}
	num, err := w.nextPart()
	if err != nil {
		return err
	}
	p, err := w.s.uploadPart(w.ctx, w.key, w.st.Upload, num, w.cur)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, p)
	w.bufStart += w.cur.n
	w.s.bufs.put(w.cur)
	w.cur = nil
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

// Close releases the writer: it stops the part in flight and gives its
// chunks back. What was not committed is lost. Closing twice does
// nothing.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.cancel()
	c, _ := w.land()
	w.s.bufs.put(c)
	w.s.bufs.put(w.cur)
	w.cur = nil
	return nil
}
