package deposit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"io"
	"slices"
	"strconv"
	"sync"
	"time"

	"navette"
	"navette/notify"
	"navette/seal"
)

// Download is a file opened for reading by a sender or recipient.
type Download struct {
	s     *Service
	actor *navette.User
	// services are the mailboxes actor is a member of: a download by a
	// member counts as the mailbox's.
	services map[string]bool
	deposit  *navette.DepositRecord
	file     *navette.FileRecord
	key      *seal.Key
	// capped is set when the deposit caps the actor's complete downloads
	// of the file: a whole download then claims its place under the cap
	// before its last bytes go out.
	capped bool
	// Name is the file's name as its sender gave it.
	Name string
}

// Size returns the file's size in bytes.
func (d *Download) Size() int64 { return d.file.Size }

// SHA256 returns the SHA-256 of the file's content.
func (d *Download) SHA256() []byte { return d.file.SHA256 }

// FileName returns the file's name as its sender gave it.
func (d *Download) FileName() string { return d.Name }

// File returns the file's record.
func (d *Download) File() *navette.FileRecord { return d.file }

// chunk is a decrypted segment, or the error that ends the stream.
type chunk struct {
	buf   *[]byte // from bufs
	bufs  *downloadBuffers
	p     []byte // the plaintext, in buf
	err   error
	where string // where err arose: "segment N", "hash"
}

// send passes c on unless the consumer has gone.
func send(ch chan<- chunk, stop <-chan struct{}, c chunk) bool {
	select {
	case ch <- c:
		return true
	case <-stop:
		return false
	}
}

// maxDownloadSegments caps the buffers downloads take beyond their own
// (ownSegments), all downloads of the process together (16 MiB): past it,
// a download goes on with its own buffers only, instead of memory growing
// with the number of downloads. The later stages only give buffers back,
// and a download that ends early gives back those still queued
// (stopStages). A client that stops reading holds its download's queued
// buffers until its write times out; since every download keeps buffers
// of its own, such clients slow the others' pipelines but never stop them,
// and the cap is apart from the uploads'.
const maxDownloadSegments = 256

// sealedPool holds the shared, capped buffers of downloads: one sealed
// segment each, decrypted in place.
var sealedPool = newBufferPool(maxDownloadSegments, seal.SealedSegmentSize)

// ownSegments is how many buffers each download has of its own, outside
// the cap: one being decrypted while another is written.
const ownSegments = 2

// ownPool recycles the downloads' own buffers.
var ownPool = sync.Pool{New: func() any { b := make([]byte, 0, seal.SealedSegmentSize); return &b }}

// downloadBuffers are the buffers of one download: ownSegments of its
// own, and more from sealedPool while it has free ones.
type downloadBuffers struct {
	own  chan *[]byte         // its own buffers not in use
	mine [ownSegments]*[]byte // its own buffers; read-only once made
}

// newDownloadBuffers returns the buffers of a download starting.
func newDownloadBuffers() *downloadBuffers {
	d := &downloadBuffers{own: make(chan *[]byte, ownSegments)}
	for i := range d.mine {
		d.mine[i] = ownPool.Get().(*[]byte)
		d.own <- d.mine[i]
	}
	return d
}

// get returns an empty buffer: one of its own if one is free, else one of
// sealedPool if one is free, else the first of its own to come back; nil
// once stop is closed.
func (d *downloadBuffers) get(stop <-chan struct{}) *[]byte {
	var b *[]byte
	select {
	case b = <-d.own:
	default:
		if b = sealedPool.TryGet(); b != nil {
			return b
		}
		select {
		case b = <-d.own:
		case <-stop:
			return nil
		}
	}
	*b = (*b)[:0]
	return b
}

// put gives b back where it came from.
func (d *downloadBuffers) put(b *[]byte) {
	if slices.Contains(d.mine[:], b) {
		d.own <- b
		return
	}
	sealedPool.Put(b)
}

// close gives the download's own buffers back to ownPool, once its
// stages have given every buffer back.
func (d *downloadBuffers) close() {
	for {
		select {
		case b := <-d.own:
			ownPool.Put(b)
		default:
			return
		}
	}
}

// release gives c's buffer back, if it has one.
func (c chunk) release() {
	if c.buf != nil {
		c.bufs.put(c.buf)
	}
}

var errHashMismatch = errors.New("content does not match its SHA-256")

// ErrCorrupt is returned (wrapped) when stored content fails its integrity
// checks. The content is never served.
var ErrCorrupt = errors.New("stored content is corrupt")

// OpenFile opens an available file of a deposit for actor. Returns
// ENOTFOUND as Get does, EGONE once the deposit expired or was revoked, and
// ECONFLICT for a file that is not (or no longer) available.
func (s *Service) OpenFile(ctx context.Context, actor *navette.User, depositID, fileID string) (*Download, error) {
	d, err := s.lookup(ctx, actor, depositID)
	if err != nil {
		return nil, err
	}
	if err := s.notEnded(ctx, actor, d, depositID); err != nil {
		return nil, err
	}
	f, err := s.availableFile(ctx, d, fileID)
	if err != nil {
		return nil, err
	}
	k, name, err := s.openFile(d, f)
	if err != nil {
		return nil, err
	}
	capped, err := s.checkDownloadLimit(ctx, actor, d, f)
	if err != nil {
		return nil, err
	}
	svcs, err := s.services(ctx, actor)
	if err != nil {
		return nil, err
	}
	return &Download{s: s, actor: actor, services: svcs, deposit: d, file: f, key: k, capped: capped, Name: name}, nil
}

// openFile returns the data key and the name of f, a file of d.
func (s *Service) openFile(d *navette.DepositRecord, f *navette.FileRecord) (*seal.Key, string, error) {
	k, err := s.fileKey(f)
	if err != nil {
		return nil, "", err
	}
	_, name, err := s.openSealed(d, "filename", f.ID, f.Name)
	if err != nil {
		return nil, "", err
	}
	return k, name, nil
}

// availableFile returns file fileID of d. Returns ENOTFOUND if d has no
// such file, ECONFLICT unless it is available.
func (s *Service) availableFile(ctx context.Context, d *navette.DepositRecord, fileID string) (*navette.FileRecord, error) {
	if !navette.ValidID(fileID) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such file in this deposit.")
	}
	f, err := s.Meta.File(ctx, fileID)
	if err != nil || f.DepositID != d.ID {
		if err != nil && !navette.IsCode(err, navette.ENOTFOUND) {
			return nil, err
		}
		return nil, navette.Errorf(navette.ENOTFOUND, "No such file in this deposit.")
	}
	if f.State != navette.FileAvailable {
		return nil, navette.Errorf(navette.ECONFLICT, "This file is not available for download.")
	}
	return f, nil
}

// checkDownloadLimit reports whether d caps actor's complete downloads of
// f (capped): it does, and actor is not its sender. It returns the error
// of limitReached if actor downloaded f completely as many times already
// (DownloadCount). The count is per person: a member of a service mailbox
// has a cap of their own. Downloads that start below the cap at once are
// counted again as their last bytes are about to go out (Download.claim),
// so that together they never pass it.
func (s *Service) checkDownloadLimit(ctx context.Context, actor *navette.User, d *navette.DepositRecord, f *navette.FileRecord) (capped bool, err error) {
	if d.MaxDownloads <= 0 {
		return false, nil
	}
	if sending, err := s.sending(ctx, actor, d); err != nil || sending {
		return false, err
	}
	n, err := s.Meta.DownloadCount(ctx, d.ID, f.ID, actor.ID)
	if err != nil {
		return false, err
	}
	if n < d.MaxDownloads {
		return true, nil
	}
	return true, s.limitReached(ctx, actor, d)
}

// limitReached journals that actor was refused a file of d for its cap
// (EventAccessDenied, detail "download_limit") for the sender's deposit
// page, and returns the EGONE error wrapping navette.ErrDownloadLimit that
// refuses it.
func (s *Service) limitReached(ctx context.Context, actor *navette.User, d *navette.DepositRecord) error {
	s.deny(ctx, actor, d.ID, "download_limit")
	return navette.WrapError(navette.EGONE, navette.ErrDownloadLimit,
		"You have reached the limit of %d complete download(s) of this file that its sender set; ask the sender to send it again if you need it.", d.MaxDownloads)
}

// DownloadClaimTTL is how long a download's claim on its place under the
// cap (JournalStore.ClaimDownload) lasts if it is neither recorded nor released (the node crashed
// between the two): far longer than writing the last segment may take
// (the HTTP server cuts a client that reads nothing for its body idle
// timeout, a minute by default), short enough not to hold a recipient back
// for long.
const DownloadClaimTTL = 10 * time.Minute

// claim claims the download's place under the deposit's cap, its last
// bytes about to go out (JournalStore.ClaimDownload), and returns the
// claim; the error of limitReached if there is none left.
func (d *Download) claim(ctx context.Context) (string, error) {
	now := d.s.Clock.Now()
	id, err := d.s.Meta.ClaimDownload(ctx, d.deposit.ID, d.file.ID, d.actor.ID, d.deposit.MaxDownloads, now, now.Add(DownloadClaimTTL))
	if err != nil {
		return "", err
	}
	if id == "" {
		return "", d.s.limitReached(ctx, d.actor, d.deposit)
	}
	return id, nil
}

// release ends claim, if the download it was for was not recorded.
func (d *Download) release(ctx context.Context, claim string) {
	if err := d.s.Meta.ReleaseDownloadClaim(context.WithoutCancel(ctx), claim); err != nil {
		d.s.log().ErrorContext(ctx, "releasing a download claim", "file", d.file.ID, "err", err)
	}
}

// WriteRange writes bytes [off, off+n) of the file to w, decrypting only the
// segments they span. Every segment is authenticated before any of its bytes
// are written; when the whole file is read its SHA-256 is checked too, and
// the last segment is held back until it matches, so a client never
// receives a complete but altered file. Returns an error wrapping ErrCorrupt
// on any integrity failure, which is journaled (EventFileCorrupt).
//
// The bytes w accepts without error count as delivered to the actor, so w
// must pass them on before it returns (an HTTP answer flushed after each
// write): what an aborted transfer did not send never counts. A w that is
// a settler is asked, once the bytes are written, how many of the last of
// them the client never acknowledged (those a dropped connection left in
// the kernel's buffers): they do not count either. The download
// is recorded, once, when the bytes delivered to the actor by this call and
// earlier ones cover the whole file (Service.Deliveries); they then start
// again from nothing, so that a later complete download is recorded anew.
//
// When the deposit caps the actor's complete downloads, a whole-file read
// claims its place under the cap just before the last segment goes out,
// counting the downloads recorded and those at that same step; with none
// left, the last segment is not written and the error of a reached cap is
// returned, so the client never gets the whole file and nothing is
// recorded. The claim ends as the download is recorded, or is released.
//
// A deposit withdrawn or expired while it is read stops being served
// (stillOffered): the error of notEnded is returned, and what went out
// before is no download.
func (d *Download) WriteRange(ctx context.Context, w io.Writer, off, n int64) error {
	var claim string
	written, err := d.writeRange(ctx, w, off, n, &claim)
	if s, ok := w.(settler); ok && written > 0 {
		written = max(0, written-s.Settle(ctx))
	}
	d.finish(ctx, claim, off, written, err == nil)
	return err
}

// finish records that the written bytes from off reached the client, the
// whole range asked for if complete (which delivers an empty file), and
// ends claim, if the download it was for was not recorded.
func (d *Download) finish(ctx context.Context, claim string, off, written int64, complete bool) {
	if claim != "" {
		ctx = navette.NewContextWithDownloadClaim(ctx, claim)
		defer d.release(ctx, claim)
	}
	if written > 0 || complete && d.file.Size == 0 {
		d.delivered(ctx, navette.ByteRange{Start: off, End: off + written})
	}
}

// settler is a writer that can tell, once bytes were written to it, how
// many of the last of them never reached the client: httpfile's, which
// asks the kernel what the client's side acknowledged.
type settler interface {
	Settle(ctx context.Context) int64
}

// writeRange does WriteRange's work and returns how many bytes w accepted;
// it sets *claim to the claim it took, if any.
func (d *Download) writeRange(ctx context.Context, w io.Writer, off, n int64, claim *string) (int64, error) {
	size := d.file.Size
	if off < 0 || n < 0 || off+n > size {
		return 0, navette.Errorf(navette.EINVALID, "Range outside the file.")
	}
	first, last := segmentSpan(size, off, n)
	r, closer, err := d.openSegments(ctx, first, last)
	if err != nil {
		return 0, err
	}
	defer closer.Close()

	// Stage 1 reads and decrypts; stage 2, for a whole file, hashes and
	// holds the last segment back until the hash matches; stage 3 (here)
	// writes. Each runs on its own goroutine so they overlap.
	bufs := newDownloadBuffers()
	defer bufs.close()
	stop := make(chan struct{})
	out := decryptStage(r, bufs, first, last, stop)
	whole := off == 0 && n == size
	if whole {
		out = hashStage(out, size, d.file.SHA256, stop)
	}
	defer stopStages(stop, out)
	return d.writeChunks(ctx, w, out, first, last, off, n, whole, claim)
}

// writeChunks is the last stage of writeRange: it writes to w what of the
// plaintext segments first to last, from out, falls in the n bytes from
// off (writeChunk), and refuses the file if they end short of segment
// last. It returns how many bytes w accepted.
func (d *Download) writeChunks(ctx context.Context, w io.Writer, out <-chan chunk, first, last, off, n int64, whole bool, claim *string) (int64, error) {
	size := d.file.Size
	pos := first * seal.SegmentSize
	var written int64
	checked := d.s.Clock.Now()
	for c := range out {
		if c.err != nil {
			return written, d.chunkErr(ctx, c)
		}
		segStart := pos
		pos += int64(len(c.p))
		if err := d.stillOffered(ctx, &checked, pos >= off+n); err != nil {
			c.release()
			return written, err
		}
		k, err := d.writeChunk(ctx, w, c, segStart, off, n, whole && pos == size, claim)
		written += int64(k)
		if err != nil {
			return written, err
		}
	}
	if pos != (last+1)*seal.SegmentSize && pos != size {
		return written, d.corrupt(ctx, "length", nil)
	}
	return written, nil
}

// offeredCheckEvery is how often a download in progress looks at its
// deposit again (stillOffered).
const offeredCheckEvery = time.Second

// stillOffered returns the EGONE error of notEnded once the deposit has
// been withdrawn or has expired since the download was opened, so that a
// download in progress stops within offeredCheckEvery of its end and never
// sends its last segment, as its recipients are told at once that the
// files can no longer be fetched. It looks at the deposit before the last
// segment a call writes (last), and otherwise when offeredCheckEvery has
// passed since *checked, which it then sets.
func (d *Download) stillOffered(ctx context.Context, checked *time.Time, last bool) error {
	now := d.s.Clock.Now()
	if !last && now.Sub(*checked) < offeredCheckEvery {
		return nil
	}
	*checked = now
	dep, err := d.s.Meta.Deposit(ctx, d.deposit.ID)
	if err != nil {
		return err
	}
	return d.s.notEnded(ctx, d.actor, dep, dep.ID)
}

// writeChunk writes to w what of c, the plaintext of the segment that
// starts at segStart, falls in the n bytes from off, and gives c's buffer
// back. When c ends a whole-file read (final), a capped download first
// claims its place under the cap, setting *claim, and writes nothing if
// it gets none.
func (d *Download) writeChunk(ctx context.Context, w io.Writer, c chunk, segStart, off, n int64, final bool, claim *string) (int, error) {
	if final && d.capped {
		var err error
		if *claim, err = d.claim(ctx); err != nil {
			c.release()
			return 0, err
		}
	}
	lo := max(off-segStart, 0)
	hi := min(off+n-segStart, int64(len(c.p)))
	k, err := w.Write(c.p[lo:hi])
	c.release()
	return k, err
}

// segmentSpan returns the first and last segments of a file of size that
// hold the n bytes from off; the last segment of the file when n is 0.
func segmentSpan(size, off, n int64) (first, last int64) {
	first = off / seal.SegmentSize
	last = seal.SegmentCount(size) - 1
	if n > 0 {
		last = (off + n - 1) / seal.SegmentSize
	}
	return first, last
}

// openSegments opens the sealed segments first to last of the file, its
// header checked with the first one.
func (d *Download) openSegments(ctx context.Context, first, last int64) (*seal.Reader, io.Closer, error) {
	size := d.file.Size
	start := seal.SegmentOffset(first)
	end := seal.SegmentOffset(last) + int64(seal.SealedSegmentSize)
	if last == seal.SegmentCount(size)-1 {
		end = seal.SealedSize(size)
	}
	if first == 0 {
		start = 0 // check the header too
	}
	rc, err := d.s.Blobs.Open(ctx, d.file.Blob(), start, end-start)
	if err != nil {
		return nil, nil, blobErr(err)
	}
	if first == 0 {
		if err := d.readHeader(ctx, rc); err != nil {
			rc.Close()
			return nil, nil, err
		}
	}
	return seal.NewReader(rc, d.key, d.file.Blob(), size, first), rc, nil
}

// readHeader reads the sealed file's header from r, and refuses the file
// (corrupt) unless it is the one seal writes.
func (d *Download) readHeader(ctx context.Context, r io.Reader) error {
	var hdr [seal.HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil || !bytes.Equal(hdr[:], seal.Header()) {
		return d.corrupt(ctx, "header", err)
	}
	return nil
}

// decryptStage reads and decrypts the segments first to last from r, on a
// goroutine of its own, until stop is closed.
func decryptStage(r *seal.Reader, bufs *downloadBuffers, first, last int64, stop <-chan struct{}) <-chan chunk {
	plain := make(chan chunk, pipelineDepth)
	go func() {
		defer close(plain)
		for i := first; i <= last; i++ {
			b := bufs.get(stop)
			if b == nil {
				return
			}
			p, err := r.NextInto(*b)
			if err != nil {
				bufs.put(b)
				send(plain, stop, chunk{err: err, where: "segment " + strconv.FormatInt(i, 10)})
				return
			}
			if !send(plain, stop, chunk{buf: b, bufs: bufs, p: p}) {
				bufs.put(b)
				return
			}
		}
	}()
	return plain
}

// hashStage passes on the chunks of a whole file of size from in, on a
// goroutine of its own, holding the last one back until the file's hash
// matches sum, until stop is closed.
func hashStage(in <-chan chunk, size int64, sum []byte, stop <-chan struct{}) <-chan chunk {
	checked := make(chan chunk, pipelineDepth)
	go func() {
		defer close(checked)
		h := sha256.New()
		var pos int64
		for c := range in {
			if c.err == nil {
				hashLimited(h, c.p)
				pos += int64(len(c.p))
				if pos == size && subtle.ConstantTimeCompare(h.Sum(nil), sum) != 1 {
					c.release()
					c = chunk{err: errHashMismatch, where: "hash"}
				}
			}
			if !send(checked, stop, c) {
				drain(in, c)
				return
			}
		}
	}()
	return checked
}

// stopStages stops the stages whose last one sends to out, and gives back
// the buffers of the chunks they had queued.
func stopStages(stop chan<- struct{}, out <-chan chunk) {
	close(stop)
	drain(out)
}

// drain gives back the buffers of chunks and of those from in, until in
// is closed.
func drain(in <-chan chunk, chunks ...chunk) {
	for _, c := range chunks {
		c.release()
	}
	for c := range in {
		c.release()
	}
}

// chunkErr returns the error of a chunk that failed: the file's refusal
// when it failed its integrity check.
func (d *Download) chunkErr(ctx context.Context, c chunk) error {
	if errors.Is(c.err, seal.ErrCorrupt) || errors.Is(c.err, io.ErrUnexpectedEOF) || errors.Is(c.err, io.EOF) || c.err == errHashMismatch {
		return d.corrupt(ctx, c.where, c.err)
	}
	return navette.WrapError(navette.EINTERNAL, c.err, "")
}

// corrupt journals that the file failed its integrity check at where
// ("header", "segment N", "hash", "length") and returns the error that
// refuses it.
func (d *Download) corrupt(ctx context.Context, where string, err error) error {
	d.s.log().ErrorContext(ctx, "corrupt blob refused", "file", d.file.ID, "where", where, "err", err)
	ev := navette.Event{Time: d.s.Clock.Now(), Type: navette.EventFileCorrupt, ActorID: d.actor.ID, DepositID: d.deposit.ID,
		FileID: d.file.ID, Size: d.file.Size, SHA256: d.file.SHA256, Detail: where}
	if jerr := d.s.Meta.AppendEvents(context.WithoutCancel(ctx), ev); jerr != nil {
		d.s.log().ErrorContext(ctx, "journaling a corrupt blob", "file", d.file.ID, "err", jerr)
	}
	return navette.WrapError(navette.EINTERNAL, errors.Join(ErrCorrupt, err), "The stored file failed its integrity check.")
}

// delivered adds r to the bytes delivered to the actor, and records the
// download if they now cover the file: "whole" when r alone does, "ranges"
// when it completes what earlier calls delivered. Without a DeliveryStore
// only a whole file delivered at once counts.
func (d *Download) delivered(ctx context.Context, r navette.ByteRange) {
	ctx = context.WithoutCancel(ctx)
	whole := r.Start == 0 && r.End == d.file.Size
	if !d.addDelivered(ctx, r) && !whole {
		return
	}
	how := "ranges"
	if whole {
		how = "whole"
	}
	d.recordDownload(ctx, how)
}

// addDelivered adds r to the bytes of the file delivered to the actor,
// with a DeliveryStore, and reports whether they now cover the file; false
// without one, or when recording them fails (logged).
func (d *Download) addDelivered(ctx context.Context, r navette.ByteRange) bool {
	ds := d.s.deliveries()
	if ds == nil {
		return false
	}
	done, err := ds.AddDelivered(ctx, d.file.ID, d.actor.ID, r, d.s.Clock.Now())
	if err != nil {
		d.s.log().ErrorContext(ctx, "recording delivered bytes", "file", d.file.ID, "err", err)
		return false
	}
	return done
}

// limitNotice returns the notice that tells dep's sender that the actor
// has now downloaded the file as many times as dep allows, if this
// download is the one that reaches the cap (ok). It runs under
// the deposit's lock, so downloads ending at once count one after the other.
func (d *Download) limitNotice(ctx context.Context, dep *navette.DepositRecord, files []*navette.FileRecord, now time.Time) (notice navette.Notice, ok bool, err error) {
	if dep.MaxDownloads <= 0 || !dep.NotifySender || dep.Key.IsZero() {
		return notice, false, nil
	}
	if reaches, err := d.reachesCap(ctx, dep); err != nil || !reaches {
		return notice, false, err
	}
	nd, err := d.downloadNoticeData(dep, files, now)
	if err != nil {
		return notice, false, err
	}
	nd.Limit = dep.MaxDownloads
	notice, err = notify.NewNotice(d.s.Keys, navette.NoticeDownloadLimit, dep.SenderID, dep.ID, now, nd)
	return notice, err == nil, err
}

// reachesCap reports whether this download, by a recipient of dep, not
// its sender, is the one that brings the actor to dep's cap on downloads
// of the file.
func (d *Download) reachesCap(ctx context.Context, dep *navette.DepositRecord) (bool, error) {
	if sending, err := d.s.sending(ctx, d.actor, dep); err != nil || sending {
		return false, err
	}
	n, err := d.s.Meta.DownloadCount(ctx, dep.ID, d.file.ID, d.actor.ID)
	if err != nil {
		return false, err
	}
	return n+1 == dep.MaxDownloads, nil
}

// downloadNoticeData returns the data of a notice that tells the sender of
// dep that the actor downloaded its files at now: the actor as the
// recipient, without the deposit's expiry, file names or message.
func (d *Download) downloadNoticeData(dep *navette.DepositRecord, files []*navette.FileRecord, now time.Time) (*notify.Data, error) {
	nd, err := d.s.noticeData(dep, files, nil)
	if err != nil {
		return nd, err
	}
	nd.ExpiresAt, nd.FileNames, nd.Message = time.Time{}, nil, ""
	nd.Recipient = notify.Person{Name: d.actor.Name, Email: d.actor.Email}
	nd.DownloadedAt = now
	return nd, nil
}

// markDownloaded sets the first download, at now, of the recipients of dep
// that stand for the actor and had not downloaded yet, and returns the
// sender's receipt for each, if dep asks for them: the receipt goes with
// the recipient's first download, unless the sender lost access since
// (the worker would refuse it, a dead letter for the admins).
func (d *Download) markDownloaded(dep *navette.DepositRecord, files []*navette.FileRecord, now time.Time) ([]navette.Notice, error) {
	var receipts []navette.Notice
	for i := range dep.Recipients {
		r := &dep.Recipients[i]
		if (r.UserID != d.actor.ID && !d.services[r.UserID]) || !r.FirstDownloadAt.IsZero() {
			continue
		}
		r.FirstDownloadAt, r.FirstDownloadBy = now, d.actor.ID
		if !dep.NotifySender || dep.Key.IsZero() || dep.SenderDisabled {
			continue
		}
		n, err := d.receipt(dep, files, r, now)
		if err != nil {
			return nil, err
		}
		receipts = append(receipts, n)
	}
	return receipts, nil
}

// receipt returns the notice that tells the sender of dep that the actor
// downloaded it at now for recipient r.
func (d *Download) receipt(dep *navette.DepositRecord, files []*navette.FileRecord, r *navette.Recipient, now time.Time) (navette.Notice, error) {
	nd, err := d.downloadNoticeData(dep, files, now)
	if err != nil {
		return navette.Notice{}, err
	}
	if r.UserID != d.actor.ID {
		nd.Recipient.Name = d.actor.Name + " (" + r.Name + ")"
	}
	return notify.NewNotice(d.s.Keys, navette.NoticeReceipt, dep.SenderID, dep.ID, now, nd)
}

// recordDownload records that every byte of the file reached the actor;
// how is the event's detail.
func (d *Download) recordDownload(ctx context.Context, how string) {
	queued := false
	err := d.s.Meta.UpdateDeposit(ctx, d.deposit.ID, func(dep *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		now := d.s.Clock.Now()
		// A download through the API may come without the deposit being
		// opened first: it counts as its opening.
		events := markOpened(dep, d.actor, d.services, now)
		ev := navette.Event{Time: now, Type: navette.EventFileDownloaded, ActorID: d.actor.ID, DepositID: dep.ID, FileID: d.file.ID, Size: d.file.Size, SHA256: d.file.SHA256, Detail: how}
		var err error
		if ev.Notices, err = d.markDownloaded(dep, files, now); err != nil {
			return nil, err
		}
		queued = len(ev.Notices) > 0
		if n, ok, err := d.limitNotice(ctx, dep, files, now); err != nil {
			return nil, err
		} else if ok {
			ev.Notices = append(ev.Notices, n)
			queued = true
		}
		return d.s.withClaims(ctx, dep, files, d.actor, d.services, append(events, ev))
	})
	if err != nil {
		d.s.log().ErrorContext(ctx, "recording a download", "file", d.file.ID, "err", err)
	} else if queued {
		d.s.kick()
	}
}
