package deposit

import (
	"context"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"errors"
	"hash"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"navette"
	"navette/seal"
)

// StartFile adds a file of the given size to a draft deposit of actor's and
// returns it; its id names the upload. Returns ENOTFOUND for a deposit actor
// did not send, ECONFLICT if it is no longer a draft, ETOOLARGE past the
// size or count limits, EINVALID for a bad name, ENOSPACE if the blob
// storage has no room for it above its reserve (Room).
func (s *Service) StartFile(ctx context.Context, actor *navette.User, depositID, name string, size int64) (*navette.FileRecord, error) {
	u, err := s.StartUpload(ctx, actor, depositID, name, size)
	if err != nil {
		return nil, err
	}
	return u.file, nil
}

// StartUpload is StartFile returning the new upload, for the request that
// creates it to go on with.
func (s *Service) StartUpload(ctx context.Context, actor *navette.User, depositID, name string, size int64) (*Upload, error) {
	lim, err := s.CurrentLimits(ctx)
	if err != nil {
		return nil, err
	}
	if name, err = checkNewFile(lim, name, size); err != nil {
		return nil, err
	}
	d, err := s.draftOf(ctx, actor, depositID)
	if err != nil {
		return nil, err
	}
	f, err := s.newFile(d, name, size)
	if err != nil {
		return nil, err
	}
	if err := s.createFile(ctx, f, lim.MaxFiles); err != nil {
		return nil, err
	}
	return &Upload{s: s, actor: actor, file: f, created: d.CreatedAt}, nil
}

// newFile returns the record of a new upload of size bytes named name to
// the deposit d: its name sealed with d's key, its own key generated and
// wrapped.
func (s *Service) newFile(d *navette.DepositRecord, name string, size int64) (*navette.FileRecord, error) {
	dk, err := s.depositKey(d)
	if err != nil {
		return nil, err
	}
	raw := seal.GenerateKey()
	f := &navette.FileRecord{
		ID:        navette.NewID(),
		DepositID: d.ID,
		Size:      size,
		State:     navette.FileUploading,
		CreatedAt: s.Clock.Now(),
	}
	f.Name = dk.SealValue("filename", f.ID, []byte(name))
	if f.Key, err = s.Keys.Wrap(raw, "file:"+f.ID); err != nil {
		return nil, err
	}
	return f, nil
}

// createFile claims room for the new upload f and records it, in a deposit
// that may hold at most maxFiles files. Returns ENOSPACE without room,
// ETOOLARGE past maxFiles.
func (s *Service) createFile(ctx context.Context, f *navette.FileRecord, maxFiles int) error {
	if err := s.Room.claim(ctx, f.ID, f.Size); err != nil {
		return err
	}
	if err := s.Meta.CreateFile(ctx, f, maxFiles); err != nil {
		s.Room.release(f.ID)
		if navette.IsCode(err, navette.ETOOLARGE) {
			return navette.Errorf(navette.ETOOLARGE, "A deposit may hold at most %d files.", maxFiles)
		}
		return err
	}
	return nil
}

// Upload returns a file being uploaded by actor, completing it first if a
// crash interrupted its completion. Returns ENOTFOUND unless actor sent its
// deposit, and for a purged file.
func (s *Service) Upload(ctx context.Context, actor *navette.User, fileID string) (*navette.FileRecord, error) {
	u, err := s.OpenUpload(ctx, actor, fileID)
	if err != nil {
		return nil, err
	}
	return u.file, nil
}

// Upload is a file being uploaded, as one request sees it: its file and
// deposit rows are read once, by OpenUpload, and what the request's writes
// change is kept up to date here, so that a tus PATCH reads them once
// whatever it does.
type Upload struct {
	s       *Service
	actor   *navette.User
	file    *navette.FileRecord
	created time.Time // the deposit's creation
}

// File returns the file record as it stands after the request's writes.
func (u *Upload) File() *navette.FileRecord { return u.file }

// Expires returns when the upload, if not complete and submitted, will be
// discarded with its draft (AbandonAfter).
func (u *Upload) Expires() time.Time {
	return u.created.Add(u.s.abandonAfter())
}

// OpenUpload returns a file being uploaded by actor, completing it first if
// a crash interrupted its completion. Returns ENOTFOUND unless actor sent
// its deposit, and for a purged file.
func (s *Service) OpenUpload(ctx context.Context, actor *navette.User, fileID string) (*Upload, error) {
	if actor == nil {
		return nil, navette.Errorf(navette.EUNAUTHORIZED, "Authentication is required.")
	}
	f, d, err := s.uploadOf(ctx, actor, fileID)
	if err != nil {
		return nil, err
	}
	if written(f) {
		if err := s.completeStored(ctx, f.ID, false); err != nil {
			return nil, err
		}
		if f, err = s.Meta.File(ctx, fileID); err != nil {
			return nil, err
		}
	}
	return &Upload{s: s, actor: actor, file: f, created: d.CreatedAt}, nil
}

// checkNewFile returns name cleaned (CleanFileName) for a new file of
// size bytes under lim. Returns EINVALID for a bad name or size, ETOOLARGE
// for a file over the limit.
func checkNewFile(lim navette.Limits, name string, size int64) (string, error) {
	if size < 0 {
		return "", navette.Errorf(navette.EINVALID, "The file size must be known in advance.")
	}
	if size > lim.MaxFileSize {
		return "", navette.Errorf(navette.ETOOLARGE, "Files may be at most %s (%d bytes); this one has %d bytes.", navette.FormatSize(lim.MaxFileSize), lim.MaxFileSize, size)
	}
	return CleanFileName(name)
}

// draftOf returns deposit id, a draft actor sent, to add a file to.
// Returns what lookup returns, ENOTFOUND (journaled) unless actor sent it,
// ECONFLICT unless it is a draft.
func (s *Service) draftOf(ctx context.Context, actor *navette.User, id string) (*navette.DepositRecord, error) {
	d, err := s.lookup(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if d.SenderID != actor.ID {
		s.deny(ctx, actor, id, "not_sender")
		return nil, notFound()
	}
	if d.State != navette.DepositDraft {
		return nil, navette.Errorf(navette.ECONFLICT, "Files can only be added to a draft deposit.")
	}
	return d, nil
}

// uploadOf returns file fileID, not purged, and its deposit, which actor
// sent. Returns ENOTFOUND otherwise.
func (s *Service) uploadOf(ctx context.Context, actor *navette.User, fileID string) (*navette.FileRecord, *navette.DepositRecord, error) {
	f, err := s.uploadFile(ctx, fileID)
	if err != nil {
		return nil, nil, err
	}
	d, err := s.Meta.DepositFor(ctx, f.DepositID, actor.ID)
	if err != nil || d.SenderID != actor.ID || f.State == navette.FilePurged {
		if err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
			return nil, nil, err
		}
		return nil, nil, noSuchUpload()
	}
	return f, d, nil
}

// uploadFile returns the row of file fileID. Returns ENOTFOUND (No such
// upload) for a bad id or a file that does not exist.
func (s *Service) uploadFile(ctx context.Context, fileID string) (*navette.FileRecord, error) {
	if !navette.ValidID(fileID) {
		return nil, noSuchUpload()
	}
	f, err := s.Meta.File(ctx, fileID)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return nil, noSuchUpload()
	}
	return f, err
}

// noSuchUpload is the answer for an upload the caller may not know about.
func noSuchUpload() error {
	return navette.Errorf(navette.ENOTFOUND, "No such upload.")
}

// written reports whether the last write of f finished but f was not yet
// marked stored (a crash between the two).
func written(f *navette.FileRecord) bool {
	return f.State == navette.FileUploading && f.Offset == f.Size && len(f.SHA256) > 0
}

// RemoveFile withdraws a file from a draft (tus termination): its key is
// destroyed and its blob deleted at once (by the sweeper if that fails).
func (s *Service) RemoveFile(ctx context.Context, actor *navette.User, fileID string) error {
	u, err := s.OpenUpload(ctx, actor, fileID)
	if err != nil {
		return err
	}
	return u.Remove(ctx)
}

// Remove is Service.RemoveFile on the upload.
func (u *Upload) Remove(ctx context.Context) error {
	s, actor, f, fileID := u.s, u.actor, u.file, u.file.ID
	err := s.Meta.UpdateDeposit(ctx, f.DepositID, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		if d.State != navette.DepositDraft {
			return nil, navette.Errorf(navette.ECONFLICT, "Files can only be removed from a draft deposit.")
		}
		for _, f := range files {
			if f.ID == fileID {
				shred(f)
				s.Room.release(f.ID)
				return []navette.Event{{Time: s.Clock.Now(), Type: navette.EventFileRemoved, ActorID: actor.ID, DepositID: d.ID, FileID: f.ID, Size: f.Size}}, nil
			}
		}
		return nil, noSuchUpload()
	})
	if err != nil {
		return err
	}
	shred(u.file)
	s.deleteBlob(ctx, fileID)
	return nil
}

// shred destroys what makes a file readable: its key, name and resume state.
func shred(f *navette.FileRecord) {
	f.State = navette.FilePurged
	f.Key = navette.WrappedKey{}
	f.Name = nil
	f.Resume = nil
}

// An interrupted upload continues from its resume state: the SHA-256 state
// over every byte so far, then the plaintext of the unfinished segment
// (uint16 length of the hash state || hash state || partial segment). It is
// sealed with the file key and bound to the file id and offset, so an old
// state cannot be replayed at another offset.
func resumeAD(fileID string, off int64) string { return fileID + "@" + strconv.FormatInt(off, 10) }

func sealResume(k *seal.Key, fileID string, off int64, h hash.Hash, partial []byte) ([]byte, error) {
	st, err := h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, err
	}
	return sealResumeState(k, fileID, off, st, partial), nil
}

// sealResumeState is sealResume with the hash state already marshalled.
func sealResumeState(k *seal.Key, fileID string, off int64, st, partial []byte) []byte {
	buf := make([]byte, 0, 2+len(st)+len(partial))
	buf = binary.BigEndian.AppendUint16(buf, uint16(len(st)))
	buf = append(buf, st...)
	buf = append(buf, partial...)
	return k.SealValue("resume", resumeAD(fileID, off), buf)
}

func openResume(k *seal.Key, fileID string, off int64, sealed []byte) (hash.Hash, []byte, error) {
	buf, err := k.OpenValue("resume", resumeAD(fileID, off), sealed)
	if err != nil {
		return nil, nil, err
	}
	if len(buf) < 2 || len(buf) < 2+int(binary.BigEndian.Uint16(buf)) {
		return nil, nil, errors.New("resume state too short")
	}
	n := int(binary.BigEndian.Uint16(buf))
	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(buf[2 : 2+n]); err != nil {
		return nil, nil, err
	}
	return h, buf[2+n:], nil
}

// segment is one plaintext segment (or the start of one, at the end of a
// request) travelling from the reader to the sealer, or (mark set, buf nil)
// a commit point between two segments.
type segment struct {
	buf      *[]byte
	hashFrom int // bytes at the start already hashed and sealed (a resumed partial segment)
	mark     *commitMark
}

// commitMark is a commit point of an upload while its body arrives: at
// off, the end of a segment, where the hash stage records its state and
// the last stage makes the blob durable and moves the upload's offset.
type commitMark struct {
	off  int64
	hash []byte // state of the SHA-256 of the bytes before off
	err  error
}

// Commits while a body arrives (Service.CommitBytes, CommitEvery).
const (
	// DefaultCommitBytes is how many bytes of a body may arrive between
	// two commits of the upload.
	DefaultCommitBytes = 8 << 20
	// DefaultCommitEvery is how long after a commit the next one comes,
	// at the end of the segment arriving then, however few bytes came.
	DefaultCommitEvery = 5 * time.Second
)

func (s *Service) commitBytes() int64 {
	if s.CommitBytes > 0 {
		return s.CommitBytes
	}
	return DefaultCommitBytes
}

// marks is how often the reading stage puts a commit mark between
// segments: after bytes, or every, whichever comes first.
type marks struct {
	bytes int64
	every time.Duration
}

// markEvery returns how often to mark commits for writes to w. A commit
// is durable once its fsync and record are done. When they run beside
// the next writes (w is a navette.BlobCheckpointer, see commitLine), the
// interval being written may follow one commit that is not yet recorded:
// marks come twice as often, so that a crash still loses at most
// CommitBytes (and CommitEvery) of what was read, plus the pipeline. But
// where each commit writes an object of its own (w is a
// navette.CommitSizer: S3), marks come every CommitEvery and every
// commitSpan(w) bytes, up to CommitBytes, and a crash may lose twice as
// much.
func (s *Service) markEvery(w navette.BlobWriter) marks {
	m := marks{bytes: s.commitBytes(), every: s.commitEvery()}
	if _, async := w.(navette.BlobCheckpointer); !async {
		return m
	}
	if cs, ok := w.(navette.CommitSizer); ok {
		m.bytes = max(m.bytes/2, min(commitSpan(cs), m.bytes), seal.SegmentSize)
		return m
	}
	m.bytes, m.every = max(m.bytes/2, seal.SegmentSize), m.every/2
	return m
}

// commitSpan returns the most whole segments, in plaintext bytes, whose
// sealed bytes (with the blob's header) fit in w's CommitSize: on S3 the
// bytes between two commits then make one part, and a commit writes no
// tail object (127 segments, 7.94 MiB, for 8 MiB parts).
func commitSpan(w navette.CommitSizer) int64 {
	return max((w.CommitSize()-seal.SegmentOffset(0))/seal.SealedSegmentSize, 1) * seal.SegmentSize
}

func (s *Service) commitEvery() time.Duration {
	if s.CommitEvery > 0 {
		return s.CommitEvery
	}
	return DefaultCommitEvery
}

// maxUploadSegments caps the segment buffers of all the uploads of the
// process together (8 MiB): past it, an upload's reading stage waits for a
// buffer to come back (back-pressure) instead of memory growing with the
// number of uploads. Every stage after the reading one only gives buffers
// back, so each upload's pipeline drains whatever the others hold. An
// upload takes a segment only once bytes arrive for it (segmentReader), so
// uploads waiting for their clients leave the segments to those that send.
// 8 MiB keeps the disk and both cores busy: more only holds memory.
const maxUploadSegments = 128

// segmentPool holds the plaintext segment buffers of uploads.
var segmentPool = newBufferPool(maxUploadSegments, seal.SegmentSize)

// bufferPool recycles buffers of one size, at most cap of them in use at
// once: get waits while cap are out.
type bufferPool struct {
	slots chan struct{}
	pool  sync.Pool
}

func newBufferPool(cap, size int) *bufferPool {
	p := &bufferPool{slots: make(chan struct{}, cap)}
	p.pool.New = func() any { b := make([]byte, 0, size); return &b }
	return p
}

// Get returns an empty buffer, waiting for one to be put back if cap are
// in use.
func (p *bufferPool) Get() *[]byte {
	p.slots <- struct{}{}
	b := p.pool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// Put gives back a buffer of Get.
func (p *bufferPool) Put(b *[]byte) {
	p.pool.Put(b)
	<-p.slots
}

// TryGet is Get without the wait: nil if cap are in use.
func (p *bufferPool) TryGet() *[]byte {
	select {
	case p.slots <- struct{}{}:
	default:
		return nil
	}
	b := p.pool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// GetOrStop is Get, giving up with nil once stop is closed.
func (p *bufferPool) GetOrStop(stop <-chan struct{}) *[]byte {
	select {
	case <-stop:
		return nil
	default:
	}
	select {
	case p.slots <- struct{}{}:
	case <-stop:
		return nil
	}
	b := p.pool.Get().(*[]byte)
	*b = (*b)[:0]
	return b
}

// pipelineDepth is how many segments may wait between two stages: 1 MiB.
// A commit does not stall the last stage when the store can checkpoint
// (navette.BlobCheckpointer), so the queues only absorb scheduling, and
// shallow ones keep memory per transfer low under many concurrent ones.
const pipelineDepth = 16

// Write appends the bytes of src to the upload fileID, which must be at
// offset off. Reading and hashing overlap with sealing and writing. Whatever
// was received is kept even when src fails (a cut connection): the return is
// the number of bytes durably stored. While src is read, what arrived is
// committed every CommitBytes and CommitEvery, at segment ends, so that a
// crash loses little more than that. The upload completes when its last
// byte is stored. Returns ECONFLICT wrapping navette.ErrUploadOffset if off
// is not the upload's offset, ETOOLARGE if src holds more than the announced size (what came before a
// commit point is kept).
func (s *Service) Write(ctx context.Context, actor *navette.User, fileID string, off int64, src io.Reader) (int64, error) {
	u, err := s.OpenUpload(ctx, actor, fileID)
	if err != nil {
		return 0, err
	}
	return u.Write(ctx, off, src)
}

// Write is Service.Write on the upload.
func (u *Upload) Write(ctx context.Context, off int64, src io.Reader) (int64, error) {
	n, err := u.s.write(ctx, u.file, off, src)
	if err != nil && n > 0 {
		// A failed write moved the upload to its last commit point: read
		// where it stands (a failure is rare, a success is kept up to date
		// by write).
		if f, ferr := u.s.Meta.File(ctx, u.file.ID); ferr == nil {
			u.file = f
		}
	}
	return n, err
}

// write does Service.Write's work on the upload f, and brings f up to
// date with what it recorded.
func (s *Service) write(ctx context.Context, f *navette.FileRecord, off int64, src io.Reader) (int64, error) {
	k, h, partial, err := s.resumeWrite(f, off)
	if err != nil {
		return 0, err
	}
	s.Room.begin(f.ID, f.Size, off)
	newOff := off // where the upload stands when this write ends
	defer func() { s.Room.end(f.ID, f.Size, newOff) }()
	w, err := s.Blobs.Append(ctx, f.ID, sealedOffset(off))
	if err != nil {
		return 0, err
	}
	defer w.Close()
	sw := seal.NewWriter(w, k, f.ID, f.Size, off, partial)
	defer sw.Close()

	// Three stages, each on its own goroutine so they overlap: this one
	// reads and cuts segments, the next hashes them, the last seals and
	// writes them. The resumed partial segment's bytes were hashed and
	// sealed by the request that received them: hashFrom skips them. Commit
	// marks follow the segments they end through every stage.
	hashIn := make(chan segment, pipelineDepth)
	sc := s.startScan(ctx, f.ID, off)
	sealIn := hashStages(h, sc, hashIn)
	// durable is the offset recorded last, by the stage that commits until
	// it ends, then here.
	durable := off
	sealErr := make(chan error, 1)
	go func() { sealErr <- s.sealStage(ctx, w, sw, k, f.ID, &durable, sealIn) }()
	n, tooLong, readErr := s.readSegments(src, hashIn, off, f.Size-off, partial, s.markEvery(w))
	close(hashIn)
	err = <-sealErr // the other stages have ended too: h and sw are ours again
	// undo leaves the upload where it was recorded last: on a full disk
	// the bytes written since are cut at once and their room freed.
	undo := func(err error) (int64, error) {
		if sc != nil {
			sc.abort() // the next request starts over from the blob
		}
		newOff = durable
		s.uncommit(ctx, w, f.ID, sealedOffset(durable), err)
		return durable - off, err
	}
	if tooLong {
		return undo(navette.Errorf(navette.ETOOLARGE, "More bytes were sent than the announced size."))
	} else if err != nil {
		return undo(blobErr(err))
	}
	// The last commit: the blob's fsync and the offset's record run in one
	// batch of the group commit.
	sync := blobCommit(w)
	newOff = off + n
	if newOff == f.Size {
		sum := h.Sum(nil)
		if err := s.commitProgress(ctx, sync, f.ID, durable, newOff, nil, sum); err != nil {
			return undo(err)
		}
		if err := s.completeUpload(ctx, f, sum, sc); err != nil {
			return 0, err
		}
		return n, readErr
	}
	if err := s.recordResume(ctx, sync, f, k, durable, newOff, h, sw.Pending()); err != nil {
		return undo(err)
	}
	if sc != nil {
		s.keepScan(f.ID, sc)
	}
	return n, readErr
}

// resumeWrite returns, for a write at off to the upload f, f's key, the
// hash of its bytes so far and the bytes of its unfinished last segment.
// Returns ECONFLICT when f may not be written at off (writable).
func (s *Service) resumeWrite(f *navette.FileRecord, off int64) (*seal.Key, hash.Hash, []byte, error) {
	if err := writable(f, off); err != nil {
		return nil, nil, nil, err
	}
	k, err := s.fileKey(f)
	if err != nil {
		return nil, nil, nil, err
	}
	h, partial, err := resumeHash(k, f, off)
	if err != nil {
		return nil, nil, nil, err
	}
	return k, h, partial, nil
}

// blobCommit returns w's Commit, its error passed through blobErr.
func blobCommit(w navette.BlobWriter) func() error {
	return func() error {
		if err := w.Commit(); err != nil {
			return blobErr(err)
		}
		return nil
	}
}

// writable refuses a write at off to the upload f when it is complete or
// stands at another offset.
func writable(f *navette.FileRecord, off int64) error {
	if f.State != navette.FileUploading || f.Offset == f.Size && len(f.SHA256) > 0 {
		return navette.Errorf(navette.ECONFLICT, "This upload is complete.")
	}
	if off != f.Offset {
		return navette.WrapError(navette.ECONFLICT, navette.ErrUploadOffset, "The upload is at offset %d, not %d.", f.Offset, off)
	}
	return nil
}

// resumeHash returns the SHA-256 of the upload f's first off bytes and the
// bytes of its unfinished last segment, from its resume state.
func resumeHash(k *seal.Key, f *navette.FileRecord, off int64) (hash.Hash, []byte, error) {
	var h hash.Hash
	var partial []byte
	if len(f.Resume) > 0 {
		var err error
		if h, partial, err = openResume(k, f.ID, off, f.Resume); err != nil {
			return nil, nil, navette.WrapError(navette.EINTERNAL, err, "")
		}
	} else if off == 0 {
		h = sha256.New()
	} else {
		return nil, nil, navette.Errorf(navette.EINTERNAL, "upload %s at offset %d has no resume state", f.ID, off)
	}
	if int64(len(partial)) != off%seal.SegmentSize {
		return nil, nil, navette.Errorf(navette.EINTERNAL, "upload %s: resume state does not match offset", f.ID)
	}
	return h, partial, nil
}

// hashStages starts the hashing stage of Write, reading in, and, with
// content checks (sc), a stage after it that feeds them the same new bytes
// as the hash, as they arrive. It returns the channel of the sealing stage.
func hashStages(h hash.Hash, sc *scan, in <-chan segment) <-chan segment {
	sealIn := make(chan segment, pipelineDepth)
	hashOut := sealIn
	if sc != nil {
		hashOut = make(chan segment, pipelineDepth)
		go func() {
			defer close(sealIn)
			for sg := range hashOut {
				if sg.buf != nil {
					sc.feed((*sg.buf)[sg.hashFrom:])
				}
				sealIn <- sg
			}
		}()
	}
	go func() {
		defer close(hashOut)
		for sg := range in {
			if sg.mark != nil {
				sg.mark.hash, sg.mark.err = h.(encoding.BinaryMarshaler).MarshalBinary()
			} else {
				hashLimited(h, (*sg.buf)[sg.hashFrom:])
			}
			hashOut <- sg
		}
	}()
	return sealIn
}

// readSegments is the first stage of Write: it reads the remaining bytes
// of an upload at off from src, cuts them into segments, the first one
// starting with partial, and sends them to out with commit marks between
// them. It returns the bytes read, whether src had more than remaining,
// and the read error other than an early end.
func (s *Service) readSegments(src io.Reader, out chan<- segment, off, remaining int64, partial []byte, m marks) (n int64, tooLong bool, readErr error) {
	in := segmentReader{src: src}
	in.start(partial)
	hashFrom := len(partial)
	due := markTimer{marks: m, off: off, at: time.Now()}
	for remaining > 0 {
		m, err := in.read(int(min(int64(seal.SegmentSize-in.len()), remaining)))
		n += int64(m)
		remaining -= int64(m)
		if in.len() == seal.SegmentSize || remaining == 0 {
			out <- segment{buf: in.take(), hashFrom: hashFrom}
			hashFrom = 0
			if at := off + n; remaining > 0 && due.next(at) {
				out <- segment{mark: &commitMark{off: at}}
			}
		}
		if err != nil {
			readErr = bodyErr(err)
			break
		}
	}
	sendUnfinished(out, &in, hashFrom)
	if remaining == 0 && readErr == nil {
		// A body longer than announced is refused whole: nothing of it is
		// committed.
		var one [1]byte
		m, _ := src.Read(one[:])
		tooLong = m > 0
	}
	return n, tooLong, readErr
}

// probeSize is how many of a segment's first bytes segmentReader reads
// before it takes the segment: net/http's read buffer.
const probeSize = 4 << 10

// segmentReader reads an upload's body into segments of segmentPool. When
// all are in use, it takes one only once the first bytes for it have come,
// so that an upload waiting for its client holds none while others wait for
// one; otherwise it reads straight into the segment (the probe costs one
// more read per segment).
type segmentReader struct {
	src   io.Reader
	probe []byte  // a segment's first bytes, read before the segment is taken
	cur   *[]byte // the segment being read; nil until its first bytes come
}

// start begins the first segment with partial, the bytes of the unfinished
// segment the upload resumes.
func (r *segmentReader) start(partial []byte) {
	if len(partial) > 0 {
		r.cur = segmentPool.Get()
		*r.cur = append(*r.cur, partial...)
	}
}

// len returns the bytes of the segment being read.
func (r *segmentReader) len() int {
	if r.cur == nil {
		return 0
	}
	return len(*r.cur)
}

// take hands the segment being read over; the next read starts another.
func (r *segmentReader) take() *[]byte {
	b := r.cur
	r.cur = nil
	return b
}

// release gives back the segment being read, if any.
func (r *segmentReader) release() {
	if b := r.take(); b != nil {
		segmentPool.Put(b)
	}
}

// read reads want bytes from the body onto the end of the segment, as
// io.ReadFull does, taking the segment from segmentPool first if it has
// none: at once if one is free, else once the first bytes have come. It
// returns how many it read and the error that stopped it short.
func (r *segmentReader) read(want int) (int, error) {
	k := 0
	if r.cur == nil {
		r.cur = segmentPool.TryGet()
	}
	if r.cur == nil {
		if r.probe == nil {
			r.probe = make([]byte, probeSize)
		}
		var err error
		if k, err = readSome(r.src, r.probe[:min(want, probeSize)]); k == 0 {
			return 0, err
		}
		r.cur = segmentPool.Get()
		*r.cur = append(*r.cur, r.probe[:k]...)
		if err != nil {
			return k, err
		}
	}
	b := *r.cur
	start := len(b)
	m, err := io.ReadFull(r.src, b[start:start+want-k])
	*r.cur = b[:start+m]
	return k + m, err
}

// readSome reads from src into p until at least one byte or an error
// comes.
func readSome(src io.Reader, p []byte) (int, error) {
	for {
		if n, err := src.Read(p); n > 0 || err != nil {
			return n, err
		}
	}
}

// markTimer tells the reading stage of Write where commit marks go: after
// marks.bytes since the last one at off, or marks.every since it came, at.
type markTimer struct {
	marks
	off int64
	at  time.Time
}

// next reports whether a commit mark goes at offset off, and if so takes
// it as the last one.
func (t *markTimer) next(off int64) bool {
	if off-t.off < t.bytes && time.Since(t.at) < t.every {
		return false
	}
	t.off, t.at = off, time.Now()
	return true
}

// bodyErr is the error of reading a request body, err, once it ends: nil
// for an early end, which Write keeps what came before.
func bodyErr(err error) error {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil
	}
	return err
}

// sendUnfinished sends the bytes of the segment left unfinished in in, from
// hashFrom, through the stages, for the sealing writer to keep them
// (Pending) for the resume state; with none, the segment goes back to the
// pool.
func sendUnfinished(out chan<- segment, in *segmentReader, hashFrom int) {
	if in.len() > hashFrom {
		out <- segment{buf: in.take(), hashFrom: hashFrom}
	} else {
		in.release()
	}
}

// completeUpload brings the upload f, whose last bytes, of SHA-256 sum,
// were recorded, to its checks: those run as it arrived (sc) are finished
// here, the others are left to the background checker.
func (s *Service) completeUpload(ctx context.Context, f *navette.FileRecord, sum []byte, sc *scan) error {
	f.Offset, f.Resume, f.SHA256 = f.Size, nil, sum
	s.Room.release(f.ID)
	if err := s.completeStored(ctx, f.ID, sc != nil); err != nil {
		if sc != nil {
			sc.abort()
		}
		return err
	}
	f.State = navette.FileChecking
	if !s.checks() {
		f.State, f.Check = navette.FileStored, navette.CheckUnscanned
	}
	if sc != nil {
		if _, err := s.finishScan(ctx, f.ID, sc); err != nil {
			s.log().ErrorContext(ctx, "recording a file's checks failed; the background checker will redo them", "file", f.ID, "err", err)
		}
	} else if s.checks() {
		s.wakeChecker() // the upload moved or its node restarted: check it from its blob
	}
	return nil
}

// recordResume makes the blob durable (sync) and moves the unfinished
// upload f from durable to newOff, with the resume state of the hash h and
// the pending bytes of its unfinished last segment.
func (s *Service) recordResume(ctx context.Context, sync func() error, f *navette.FileRecord, k *seal.Key, durable, newOff int64, h hash.Hash, pending []byte) error {
	resume, err := sealResume(k, f.ID, newOff, h, pending)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "")
	}
	if err := s.commitProgress(ctx, sync, f.ID, durable, newOff, resume, nil); err != nil {
		return err
	}
	f.Offset, f.Resume = newOff, resume
	s.log().DebugContext(ctx, "upload committed", "file", f.ID, "offset", newOff)
	return nil
}

// errCommitFailed stops the sealing stage once a commit in the background
// has failed; the commit's own error is returned instead.
var errCommitFailed = errors.New("an earlier commit failed")

// pendingCommit is a commit point whose bytes were handed to the blob store
// and await sync, in the background, before the offset moves to mark.off.
type pendingCommit struct {
	sync     func() error
	mark     *commitMark
	err      error         // of its sync
	recorded chan struct{} // closed once its offset is recorded, or it failed
}

// sealStage is the last stage of Write: it seals the segments from in
// through sw and commits at each mark. With a store that can checkpoint
// (navette.BlobCheckpointer), a commit's fsync and record run in the
// background (commitLine) while the next segments are written. durable is
// the offset recorded last; it is written here, and read once sealStage
// has returned. An empty file's only segment is sealed here, and sw
// closed, once the file is complete.
func (s *Service) sealStage(ctx context.Context, w navette.BlobWriter, sw *seal.Writer, k *seal.Key, fileID string, durable *int64, in <-chan segment) error {
	cp, async := w.(navette.BlobCheckpointer)
	var line *commitLine
	if async {
		line = s.startCommits(ctx, k, fileID, durable)
	}
	var err error
	for sg := range in {
		switch {
		case err != nil:
		case sg.mark != nil && async:
			err = line.checkpoint(cp, sg.mark)
		case sg.mark != nil:
			err = s.commitAt(ctx, w, k, fileID, durable, sg.mark)
		default:
			_, err = sw.Write((*sg.buf)[sg.hashFrom:])
		}
		if sg.buf != nil {
			segmentPool.Put(sg.buf)
		}
	}
	if err == nil && sw.Offset() == sw.Size() {
		err = sw.Close()
	}
	if async {
		err = commitErr(err, line.end())
	}
	return err
}

// commitLine runs the commits of a sealing stage in the background, in
// two steps on goroutines of their own: the blob's sync, then the record
// of the offset, so that a commit's sync runs while the one before it is
// recorded. The sealing stage hands a commit over once the sync of the one
// before is done, then waits for that one's record before it writes on:
// what is written but not recorded stays within two commit intervals
// (markEvery), with two commits in flight where there was one, and the
// syncs follow each other without waiting for the records.
type commitLine struct {
	syncs   chan pendingCommit
	records chan pendingCommit
	failed  atomic.Bool
	prev    chan struct{} // recorded of the commit handed over last
	done    chan error
}

// startCommits starts the commit line of a write of upload fileID, which
// records the offsets it commits in durable.
func (s *Service) startCommits(ctx context.Context, k *seal.Key, fileID string, durable *int64) *commitLine {
	l := &commitLine{syncs: make(chan pendingCommit), records: make(chan pendingCommit), done: make(chan error, 1)}
	go l.syncCommits()
	go func() { l.done <- s.recordCommits(ctx, k, fileID, durable, l) }()
	return l
}

// checkpoint hands the commit at mark over once cp has checkpointed the
// blob, unless an earlier commit failed, and waits until the commit
// handed over before it is recorded.
func (l *commitLine) checkpoint(cp navette.BlobCheckpointer, mark *commitMark) error {
	if l.failed.Load() {
		return errCommitFailed
	}
	sync, err := cp.Checkpoint()
	if err != nil {
		return err
	}
	c := pendingCommit{sync: sync, mark: mark, recorded: make(chan struct{})}
	l.syncs <- c
	if l.prev != nil {
		<-l.prev
	}
	l.prev = c.recorded
	return nil
}

// end waits for the commits handed over and returns the first error.
func (l *commitLine) end() error {
	close(l.syncs)
	return <-l.done
}

// syncCommits syncs each commit handed over, unless one failed, and passes
// it on to be recorded.
func (l *commitLine) syncCommits() {
	defer close(l.records)
	for c := range l.syncs {
		if !l.failed.Load() {
			if c.err = c.sync(); c.err != nil {
				l.failed.Store(true)
			}
		}
		l.records <- c
	}
}

// recordCommits records the offset of each commit synced, in the group
// commit, and in durable, until one fails, which it marks in failed. It
// returns the first error once the syncs have ended.
func (s *Service) recordCommits(ctx context.Context, k *seal.Key, fileID string, durable *int64, l *commitLine) error {
	var err error
	for c := range l.records {
		if err == nil {
			err = s.recordCommit(ctx, k, fileID, durable, c)
		}
		if err != nil {
			l.failed.Store(true)
		}
		close(c.recorded)
	}
	return err
}

// recordCommit moves the upload's offset from durable to the synced
// commit c's, with the resume state of that point, and durable with it.
func (s *Service) recordCommit(ctx context.Context, k *seal.Key, fileID string, durable *int64, c pendingCommit) error {
	if c.err != nil {
		return c.err
	}
	if c.mark.err != nil {
		return c.mark.err
	}
	if err := s.commitProgress(ctx, nil, fileID, *durable, c.mark.off, sealResumeState(k, fileID, c.mark.off, c.mark.hash, nil), nil); err != nil {
		return err
	}
	*durable = c.mark.off
	s.log().Debug("upload committed", "file", fileID, "offset", c.mark.off)
	return nil
}

// commitErr is the error of sealStage, err, given the error of its
// background commits, cerr: a commit's failure comes first.
func commitErr(err, cerr error) error {
	if cerr != nil && (err == nil || err == errCommitFailed) {
		return cerr
	}
	return err
}

// sealedOffset is where the sealed blob of an upload recorded at offset
// off ends: its header and its whole segments.
func sealedOffset(off int64) int64 {
	if off == 0 {
		return 0
	}
	return seal.SegmentOffset(off / seal.SegmentSize)
}

// uncommit cuts the blob of an upload back to committed, the length its
// recorded offset stands for, when bytes written since could not be kept or
// recorded for want of space (the disk or the database is full): the next
// write would cut them, but only now is their room freed.
func (s *Service) uncommit(ctx context.Context, w navette.BlobWriter, fileID string, committed int64, err error) {
	if !navette.IsCode(err, navette.ENOSPACE) {
		return
	}
	s.Room.release(fileID)
	_ = w.Close()
	ctx = context.WithoutCancel(ctx)
	if w, err := s.Blobs.Append(ctx, fileID, committed); err != nil {
		s.log().ErrorContext(ctx, "cutting an upload's unrecorded bytes failed; its next write will", "file", fileID, "err", err)
	} else {
		_ = w.Close()
	}
}

// commitAt makes what w was given durable, which ends with the segment
// that ends at m.off, and moves the upload's offset there from durable,
// with the resume state of that point, and durable with it.
func (s *Service) commitAt(ctx context.Context, w navette.BlobWriter, k *seal.Key, fileID string, durable *int64, m *commitMark) error {
	if m.err != nil {
		return m.err
	}
	if err := s.commitProgress(ctx, w.Commit, fileID, *durable, m.off, sealResumeState(k, fileID, m.off, m.hash, nil), nil); err != nil {
		return err
	}
	*durable = m.off
	s.log().DebugContext(ctx, "upload committed", "file", fileID, "offset", m.off)
	return nil
}

// commitProgress makes the upload's blob durable with sync, then moves
// its offset from off to newOff, guarding against a concurrent writer; both
// in one batch of the group commit, so that concurrent uploads share their
// journal and database commits.
func (s *Service) commitProgress(ctx context.Context, sync func() error, fileID string, off, newOff int64, resume, sum []byte) error {
	return s.commit(ctx, sync, fileID, func(f *navette.FileRecord) ([]navette.Event, error) {
		if f.Offset != off || f.State != navette.FileUploading {
			return nil, navette.Errorf(navette.ECONFLICT, "The upload changed while it was being written.")
		}
		f.Offset = newOff
		f.Resume = resume
		f.SHA256 = sum
		return nil, nil
	})
}

// completeStored makes a fully written upload's blob final and marks the
// file checking, or stored, marked unscanned, when no content check is
// configured. It is idempotent, so a crash between the steps is repaired on
// the next access. A file purged meanwhile (its draft discarded) has the
// blob Finish made final deleted. inline tells that the caller awaits the
// verdict of checks fed as the file arrived: the background checker leaves
// the file alone for a while.
func (s *Service) completeStored(ctx context.Context, fileID string, inline bool) error {
	ctx = context.WithoutCancel(ctx)
	if err := s.Blobs.Finish(ctx, fileID); err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
		return err
	}
	purged := false
	err := s.commit(ctx, nil, fileID, func(f *navette.FileRecord) ([]navette.Event, error) {
		// Purged before it was ever stored: no forward can hold its blob.
		purged = f.State == navette.FilePurged && f.StoredAt.IsZero()
		if f.State != navette.FileUploading {
			return nil, nil
		}
		if f.Offset != f.Size || len(f.SHA256) == 0 {
			return nil, navette.Errorf(navette.EINTERNAL, "upload %s is not complete", f.ID)
		}
		f.StoredAt = s.Clock.Now()
		evs := []navette.Event{{Time: f.StoredAt, Type: navette.EventFileStored, DepositID: f.DepositID, FileID: f.ID, Size: f.Size, SHA256: f.SHA256}}
		if !s.checks() {
			f.State, f.Check = navette.FileStored, navette.CheckUnscanned
			return append(evs, navette.Event{Time: f.StoredAt, Type: navette.EventFileChecked, DepositID: f.DepositID, FileID: f.ID,
				Size: f.Size, SHA256: f.SHA256, Detail: string(navette.CheckUnscanned)}), nil
		}
		f.State, f.CheckAfter = navette.FileChecking, f.StoredAt
		if inline {
			f.CheckAfter = f.CheckAfter.Add(inlineGrace)
		}
		return evs, nil
	})
	if err == nil && purged {
		// Purged while Finish ran: the sweeper's Delete may have looked
		// for the blob under neither name, and no janitor looks at
		// finished blobs.
		err = s.Blobs.Delete(ctx, fileID)
	}
	return err
}

// Finish completes an upload whose every byte has arrived; an empty file,
// which no write ever touches, is written here.
func (s *Service) Finish(ctx context.Context, actor *navette.User, fileID string) error {
	u, err := s.OpenUpload(ctx, actor, fileID)
	if err != nil {
		return err
	}
	return u.Finish(ctx)
}

// Finish is Service.Finish on the upload.
func (u *Upload) Finish(ctx context.Context) error {
	f := u.file
	if f.State != navette.FileUploading {
		return nil
	}
	if f.Offset != f.Size {
		return navette.Errorf(navette.ECONFLICT, "The upload is not complete.")
	}
	if len(f.SHA256) == 0 { // size 0: nothing was ever written
		_, err := u.Write(ctx, 0, eofReader{})
		return err
	}
	return u.s.completeStored(ctx, f.ID, false)
}

type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// blobErr passes on a blob store's error when it says the store is out of
// reach (the client may retry: 503) or full (507), and makes any other an
// internal one.
func blobErr(err error) error {
	if c := navette.ErrorCode(err); c == navette.EUNAVAILABLE || c == navette.ENOSPACE {
		return err
	}
	return navette.WrapError(navette.EINTERNAL, err, "")
}
