package s3

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/minio/minio-go/v7"

	"navette"
)

// writer is the navette.BlobWriter of a Store, and a
// navette.BlobCheckpointer. It holds at most two chunks: the part filling
// and the part being uploaded (and, while a checkpoint's tail goes up, the
// chunk it was read from). It takes the one filling only once bytes arrive
// for it, from the Store's capped pool or, when none is free, by waiting
// for its own part in flight and reusing its buffer, or else as a spool
// file; it never waits for anything but its own upload, so writers cannot
// stop each other.
//
// A checkpoint (Checkpoint, Commit) notes the parts sent so far and the
// filling part's bytes; its sync waits for those parts, writes the filling
// part's bytes as a tail object, then the state object, which is the
// commit point, while the writer's goroutine goes on filling the next part.
type writer struct {
	s      *Store
	key    string
	ctx    context.Context // the writer's requests; Close cancels it
	cancel context.CancelFunc

	// mu guards st, fresh, parts and err, which a checkpoint's sync
	// changes while the writer's goroutine writes. stateMu is held across
	// each write of the state object, so that they come one at a time,
	// each made from the state committed last.
	mu      sync.Mutex
	stateMu sync.Mutex
	st      *state    // the committed state, as stored
	fresh   bool      // no state is stored yet: the first commit writes one
	parts   []*flight // parts sent after st's, in order, in flight or in
	err     error     // the first failure; the writer refuses everything after

	// cur holds the bytes from offset bufStart on, fewer than PartSize
	// but when full; nil for none. Its first st.TailSize bytes are the
	// committed tail while bufStart is the end of st's parts. The tail is
	// read back only once bytes come after it (loaded).
	cur      *chunk
	loaded   bool
	bufStart int64
	inFlight *flight     // the part being uploaded, if any
	marked   int64       // the size at the last checkpoint; -1 for none while fresh
	marks    []*snapshot // checkpoints that may still hold a chunk
	closed   bool
}

// flight is a part sent: done is closed once its upload has ended, with
// p or err.
type flight struct {
	num  int
	c    *chunk
	done chan struct{}
	p    part
	err  error
}

// snapshot is what a checkpoint commits: the blob's first size bytes, the
// parts sent before it then the bytes of tail, which it holds until its
// sync has written them.
type snapshot struct {
	size     int64
	parts    []*flight
	tail     *chunk
	body     io.ReadSeeker // tail's bytes at the checkpoint
	n        int64
	sum      string
	released atomic.Bool
}

// newWriter returns a writer that continues st.
func (s *Store) newWriter(ctx context.Context, key string, st *state, fresh bool) *writer {
	wctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	w := &writer{
		s: s, key: key, ctx: wctx, cancel: cancel,
		st: st, fresh: fresh,
		loaded: st.TailSize == 0, bufStart: st.Size - st.TailSize,
		marked: st.Size,
	}
	if fresh {
		w.marked = -1
	}
	return w
}

var (
	_ navette.BlobCheckpointer = (*writer)(nil)
	_ navette.CommitSizer      = (*writer)(nil)
)

// CommitSize is the part size: a commit writes the filling part's bytes
// as a tail object, so commits closer together write much of each part
// twice.
func (w *writer) CommitSize() int64 { return PartSize }

func (w *writer) check() error {
	if w.closed {
		return navette.WrapError(navette.EINTERNAL, os.ErrClosed, "The blob writer is closed.")
	}
	return w.failure()
}

// failure returns the writer's failure, if any.
func (w *writer) failure() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// fail records err as the writer's failure, unless there was one, and
// returns the one recorded.
func (w *writer) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = wrap(err)
	}
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
// of the writer's own part in flight once it is in (unless a checkpoint
// still reads it), else a spool file.
func (w *writer) take() (*chunk, error) {
	var c *chunk
	if b := w.s.bufs.tryBuf(); b != nil {
		c = w.s.bufs.inBuf(b)
	} else if w.inFlight != nil && w.inFlight.c.buf != nil {
		landed, err := w.land()
		if err != nil {
			w.release(landed)
			return nil, err
		}
		if landed.refs.Load() != 1 {
			w.release(landed)
			return w.take()
		}
		return landed, landed.reset()
	} else {
		var err error
		if c, err = w.s.bufs.spool(); err != nil {
			return nil, err
		}
	}
	c.refs.Store(1)
	return c, nil
}

// release lets go of the writer's hold on c, giving it back if nothing
// else holds it; nil does nothing.
func (w *writer) release(c *chunk) {
	if c != nil && c.refs.Add(-1) == 0 {
		w.s.bufs.put(c)
	}
}

// sendPart starts uploading the full chunk as the next part, once the part
// before it is in; the next bytes take a new chunk.
func (w *writer) sendPart() error {
	if err := w.settle(); err != nil {
		return err
	}
	num, upload, err := w.nextPart()
	if err != nil {
		return w.fail(err)
	}
	f := &flight{num: num, c: w.cur, done: make(chan struct{})}
	ctx := w.ctx
	go func() {
		defer close(f.done)
		f.p, f.err = w.s.uploadPart(ctx, w.key, upload, num, f.c)
	}()
	w.mu.Lock()
	w.parts = append(w.parts, f)
	w.mu.Unlock()
	w.inFlight, w.cur = f, nil
	w.bufStart += f.c.n
	return nil
}

// land waits for the part in flight, if any, and returns its chunk.
func (w *writer) land() (*chunk, error) {
	f := w.inFlight
	if f == nil {
		return nil, nil
	}
	<-f.done
	w.inFlight = nil
	if f.err != nil {
		return f.c, w.fail(f.err)
	}
	return f.c, nil
}

// settle waits for the part in flight, if any, and lets go of its chunk.
func (w *writer) settle() error {
	c, err := w.land()
	w.release(c)
	return err
}

// nextPart returns the number of the next part and the multipart upload's
// id, making the upload first if there is none yet. The new upload's id is
// recorded at once in a state that commits nothing new, so that no upload
// goes unrecorded.
func (w *writer) nextPart() (int, string, error) {
	w.mu.Lock()
	num := len(w.st.Parts) + len(w.parts) + 1
	upload := w.st.Upload
	w.mu.Unlock()
	if num >= maxParts { // the last number is kept for Finish's tail
		return 0, "", navette.Errorf(navette.ETOOLARGE, "The blob is too large for the S3 blob store.")
	}
	if upload != "" {
		return num, upload, nil
	}
	id, err := w.s.core.NewMultipartUpload(w.ctx, w.s.bucket, w.s.blobName(w.key), minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return 0, "", err
	}
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	w.mu.Lock()
	st := *w.st
	w.mu.Unlock()
	st.Upload = id
	if err := w.s.writeState(w.ctx, w.key, &st); err != nil {
		_ = w.s.core.AbortMultipartUpload(w.ctx, w.s.bucket, w.s.blobName(w.key), id)
		return 0, "", err
	}
	w.mu.Lock()
	w.st, w.fresh = &st, false
	w.mu.Unlock()
	return num, id, nil
}

// Commit makes everything written so far durable in the object store: it
// is a checkpoint whose sync runs at once. After a failure the writer
// refuses everything; the caller appends again at its committed offset.
func (w *writer) Commit() error {
	sync, err := w.Checkpoint()
	if err != nil {
		return err
	}
	return sync()
}

// Checkpoint notes what was written so far and returns its sync, which
// waits for the parts sent, writes the filling part's bytes as a tail
// object (or, if they are a part's worth, sends them as a part here
// first), then the state object, and deletes the tail that no state can
// name any more. A failed sync fails the writer.
func (w *writer) Checkpoint() (func() error, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	sn, err := w.mark()
	if err != nil {
		return nil, w.fail(err)
	}
	if sn == nil {
		return func() error { return nil }, nil
	}
	return func() error {
		defer w.unmark(sn)
		if err := w.sync(sn); err != nil {
			return w.fail(err)
		}
		return nil
	}, nil
}

// mark returns the snapshot of a checkpoint now, or nil if there is
// nothing new to commit.
func (w *writer) mark() (*snapshot, error) {
	if !w.loaded {
		return nil, nil // nothing written, not even the committed tail read back
	}
	if w.cur != nil && w.cur.n >= minPart {
		if err := w.sendPart(); err != nil {
			return nil, err
		}
	}
	size := w.size()
	if size == w.marked {
		return nil, nil // nothing new
	}
	w.marked = size
	w.mu.Lock()
	sn := &snapshot{size: size, parts: slices.Clone(w.parts)}
	w.mu.Unlock()
	if w.cur != nil && w.cur.n > 0 {
		w.cur.refs.Add(1)
		sn.tail, sn.n = w.cur, w.cur.n
		sn.body, sn.sum = w.cur.body()
		w.marks = slices.DeleteFunc(w.marks, func(m *snapshot) bool { return m.released.Load() })
		w.marks = append(w.marks, sn)
	}
	return sn, nil
}

// unmark lets go of the chunk that sn holds, if it still does.
func (w *writer) unmark(sn *snapshot) {
	if sn.tail != nil && sn.released.CompareAndSwap(false, true) {
		w.release(sn.tail)
	}
}

// sync commits the snapshot sn: see Checkpoint.
func (w *writer) sync(sn *snapshot) error {
	if err := w.failure(); err != nil {
		return err
	}
	parts := make([]part, 0, len(sn.parts))
	for _, f := range sn.parts {
		<-f.done
		if f.err != nil {
			return f.err
		}
		parts = append(parts, f.p)
	}
	var tail string
	if sn.n > 0 {
		tail = navette.NewID()
		if err := w.s.putTail(w.ctx, w.key, tail, sn.body, sn.n, sn.sum); err != nil {
			return err
		}
	}
	w.unmark(sn)
	w.stateMu.Lock()
	defer w.stateMu.Unlock()
	w.mu.Lock()
	old, fresh := w.st, w.fresh
	w.mu.Unlock()
	st, err := nextState(old, fresh, parts, tail, sn.n, sn.size)
	if err != nil {
		return err
	}
	if err := w.s.writeState(w.ctx, w.key, st); err != nil {
		return err
	}
	w.mu.Lock()
	w.st, w.fresh = st, false
	w.parts = slices.DeleteFunc(w.parts, func(f *flight) bool { return f.num <= len(st.Parts) })
	w.mu.Unlock()
	// The new state names old's tail and its previous commit's; the tail
	// before those is garbage.
	w.s.removeUnnamedTails(w.ctx, w.key, st, old.Prev2.tail())
	return nil
}

// size returns the length of the blob with what was written.
func (w *writer) size() int64 {
	if w.cur == nil {
		return w.bufStart
	}
	return w.bufStart + w.cur.n
}

// nextState returns the state that follows old (fresh: none is stored)
// with the parts sent since, some of which old may hold already (a
// checkpoint's sync may have been running when the next one was made), and
// then tail, of n bytes, size bytes in all.
func nextState(old *state, fresh bool, sent []part, tail string, n, size int64) (*state, error) {
	parts := old.Parts[:len(old.Parts):len(old.Parts)]
	for _, p := range sent {
		switch {
		case p.N <= len(old.Parts):
		case p.N == len(parts)+1:
			parts = append(parts, p)
		default:
			return nil, fmt.Errorf("s3: part %d follows %d parts", p.N, len(parts))
		}
	}
	st := &state{Version: stateVersion, Upload: old.Upload, Parts: parts, Tail: tail, TailSize: n, Size: size}
	if !fresh {
		st.Prev = &commit{Parts: len(old.Parts), Tail: old.Tail, TailSize: old.TailSize, Size: old.Size}
		st.Prev2 = old.Prev
	}
	if !st.valid() {
		return nil, fmt.Errorf("s3: the next state of %d bytes does not add up", size)
	}
	return st, nil
}

// Close releases the writer: it stops the part in flight and gives its
// chunks back. What was not committed is lost. Closing twice does
// nothing. A checkpoint's sync must not run meanwhile.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.cancel()
	c, _ := w.land()
	w.release(c)
	w.release(w.cur)
	w.cur = nil
	for _, sn := range w.marks {
		w.unmark(sn)
	}
	w.marks = nil
	return nil
}
