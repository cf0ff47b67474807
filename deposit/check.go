package deposit

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"
	"time"

	"navette"
	"navette/notify"
	"navette/seal"
)

// Content checks. A file is checking from its last stored byte until they
// decide: the antivirus (Service.Antivirus) and the refused types
// (Service.RefusedTypes, told by content). The plaintext is fed to them as
// it streams in (Write): a file uploaded in one request, or in several
// requests to the same node, is never read again. A file whose upload moved
// between nodes or outlived its node, or whose antivirus could not answer,
// is checked from its stored blob, decrypted as it is read, by the
// background checker (CheckFiles), which retries with backoff while the
// antivirus is down. Nothing is offered before the checks decide; a deposit
// submitted before then is checking, and becomes available with its last
// verdict.

// Types that RefusedTypes may name, each recognised by its first bytes.
var refusableTypes = map[string][][]byte{
	"pe":     {[]byte("MZ")},                                                                                           // Windows executables and libraries (.exe, .dll, .scr…)
	"elf":    {[]byte("\x7fELF")},                                                                                      // Linux and Unix executables
	"macho":  {{0xfe, 0xed, 0xfa, 0xce}, {0xfe, 0xed, 0xfa, 0xcf}, {0xcf, 0xfa, 0xed, 0xfe}, {0xce, 0xfa, 0xed, 0xfe}}, // macOS executables
	"script": {[]byte("#!")},                                                                                           // scripts with an interpreter line
}

// RefusableTypes returns the names RefusedTypes may hold.
func RefusableTypes() []string { return []string{"pe", "elf", "macho", "script"} }

// ParseRefusedTypes reads a comma-separated list of refusable types
// ("pe,elf"). Returns EINVALID naming an unknown one.
func ParseRefusedTypes(s string) ([]string, error) {
	var out []string
	for _, t := range strings.Split(s, ",") {
		t = strings.ToLower(strings.TrimSpace(t))
		if t == "" {
			continue
		}
		if _, ok := refusableTypes[t]; !ok {
			return nil, navette.Errorf(navette.EINVALID, "Unknown refused type %q: the types are %s.", t, strings.Join(RefusableTypes(), ", "))
		}
		out = append(out, t)
	}
	return out, nil
}

// sniffLen is how many first bytes tell a type.
const sniffLen = 8

// sniff returns the first of types whose signature starts head, or "".
func sniff(head []byte, types []string) string {
	for _, t := range types {
		for _, magic := range refusableTypes[t] {
			if bytes.HasPrefix(head, magic) {
				return t
			}
		}
	}
	return ""
}

// checks reports whether files are checked before they are offered.
func (s *Service) checks() bool { return s.scanner() != nil || len(s.RefusedTypes) > 0 }

// scanner returns the antivirus that scans files now: nil when there is
// none, or the security policy bypasses it (AntivirusBypassed).
func (s *Service) scanner() navette.Antivirus {
	if s.Antivirus == nil || (s.AntivirusBypassed != nil && s.AntivirusBypassed()) {
		return nil
	}
	return s.Antivirus
}

// Delays of the content checks.
const (
	// inlineGrace is how long the background checker leaves a file whose
	// verdict is awaited by the request that stored its last byte.
	inlineGrace = 5 * time.Minute
	// sessionIdle is how long a scan may wait for an upload's next
	// request on this node before it is dropped (clamd's own ReadTimeout is
	// 120 s by default).
	sessionIdle = time.Minute
	// checkBackoffMax bounds the delay between tries of a file whose
	// antivirus did not answer.
	checkBackoffMax = 30 * time.Minute
)

// checkBackoff returns the wait after the n-th failed try: 30 s doubled
// each time, at most checkBackoffMax.
func checkBackoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < checkBackoffMax; i++ {
		d *= 2
	}
	return min(d, checkBackoffMax)
}

// scan is the content checks of one file in progress, fed as its bytes
// arrive. Between the requests of an upload it waits in Service.scans.
type scan struct {
	stream navette.ScanStream // nil without antivirus, or once lost
	lost   bool               // the antivirus stream was lost: check from the blob
	off    int64              // plaintext bytes fed
	head   []byte             // the first bytes, to tell the type
	used   time.Time
}

// feed passes p, the next bytes of the file, to the checks.
func (c *scan) feed(p []byte) {
	if len(c.head) < sniffLen {
		c.head = append(c.head, p[:min(len(p), sniffLen-len(c.head))]...)
	}
	c.off += int64(len(p))
	if c.stream != nil && len(p) > 0 {
		if _, err := c.stream.Write(p); err != nil {
			c.stream.Abort()
			c.stream, c.lost = nil, true
		}
	}
}

func (c *scan) abort() {
	if c.stream != nil {
		c.stream.Abort()
		c.stream = nil
	}
}

// scans holds the checks of uploads between their requests on this node.
type scans struct {
	mu sync.Mutex
	m  map[string]*scan
}

// startScan returns the checks for a write of file fileID at offset off: new
// ones at offset 0, those this node kept from the upload's previous request
// otherwise, nil if there are none (the upload moved between nodes, or this
// node restarted): the file will be checked from its blob.
func (s *Service) startScan(ctx context.Context, fileID string, off int64) *scan {
	if !s.checks() {
		return nil
	}
	c := s.scans.take(fileID)
	if c != nil && c.off != off {
		c.abort()
		c = nil
	}
	if off > 0 {
		return c
	}
	c, err := s.newScan(ctx)
	if err != nil {
		s.log().WarnContext(ctx, "antivirus unreachable: the file will be checked once it is stored", "file", fileID, "err", err)
		c.lost = true
	}
	return c
}

// take removes and returns the checks kept for file fileID, nil if there
// are none, and aborts those of other uploads idle for sessionIdle.
func (ss *scans) take(fileID string) *scan {
	now := time.Now()
	ss.mu.Lock()
	defer ss.mu.Unlock()
	c := ss.m[fileID]
	delete(ss.m, fileID)
	for id, o := range ss.m {
		if now.Sub(o.used) > sessionIdle {
			o.abort()
			delete(ss.m, id)
		}
	}
	return c
}

// newScan returns new checks, with a stream to the antivirus if one is
// configured. When the antivirus cannot be reached, it returns the error
// and the checks without a stream.
func (s *Service) newScan(ctx context.Context) (*scan, error) {
	c := &scan{}
	if av := s.scanner(); av != nil {
		st, err := av.Scan(ctx)
		if err != nil {
			return c, err
		}
		c.stream = st
	}
	return c, nil
}

// keepScan keeps c for the upload's next request.
func (s *Service) keepScan(fileID string, c *scan) {
	c.used = time.Now()
	s.scans.mu.Lock()
	if s.scans.m == nil {
		s.scans.m = map[string]*scan{}
	}
	if o := s.scans.m[fileID]; o != nil {
		o.abort()
	}
	s.scans.m[fileID] = c
	s.scans.mu.Unlock()
}

// finishScan gets the verdict of checks fed with every byte of file
// fileID, which is stored and checking, and records it. Without one (the
// antivirus was lost or does not answer), the file is left to the
// background checker. It reports whether a verdict was recorded.
func (s *Service) finishScan(ctx context.Context, fileID string, c *scan) (bool, error) {
	ctx = context.WithoutCancel(ctx)
	if t := sniff(c.head, s.RefusedTypes); t != "" {
		c.abort()
		return true, s.decide(ctx, fileID, navette.ScanVerdict{Check: navette.CheckRefusedType, Detail: t})
	}
	if s.scanner() == nil {
		c.abort()
		return true, s.decide(ctx, fileID, navette.ScanVerdict{Check: navette.CheckUnscanned})
	}
	if c.lost || c.stream == nil {
		err := s.checkLater(ctx, fileID, 0, nil)
		s.wakeChecker()
		return false, err
	}
	v, err := c.stream.Close()
	c.stream = nil
	if err != nil {
		return false, s.checkLater(ctx, fileID, 1, err)
	}
	return true, s.decide(ctx, fileID, v)
}

// wakeChecker asks the background checker to run now.
func (s *Service) wakeChecker() {
	if s.ChecksQueued != nil {
		s.ChecksQueued()
	}
}

// checkLater leaves a checking file to the background checker: at once
// after a lost stream (failed == 0), after a backoff when the antivirus
// failed to answer (failed tries are counted).
func (s *Service) checkLater(ctx context.Context, fileID string, failed int, cause error) error {
	if cause != nil {
		s.log().WarnContext(ctx, "antivirus gave no verdict: the file waits", "file", fileID, "err", cause)
	}
	return s.Meta.UpdateFile(ctx, fileID, func(f *navette.FileRecord) ([]navette.Event, error) {
		if f.State != navette.FileChecking {
			return nil, nil
		}
		f.CheckAttempts += failed
		f.CheckAfter = s.Clock.Now()
		if failed > 0 {
			f.CheckAfter = f.CheckAfter.Add(checkBackoff(f.CheckAttempts))
		}
		return nil, nil
	})
}

// decide records the verdict of a checking file and what follows: a clean
// (or unscanned, or marked under DeliverMarked) file is stored; an infected
// one, a refused type, or, under the refuse policy, one the antivirus could
// not fully scan is rejected, its key destroyed at once and its blob
// deleted, with an alert to platform admins. A submitted deposit becomes
// available with the last of its files' verdicts, or returns to draft if
// one was rejected. A file no longer checking is left as it is.
func (s *Service) decide(ctx context.Context, fileID string, v navette.ScanVerdict) error {
	f, err := s.Meta.File(ctx, fileID)
	if err != nil {
		return err
	}
	if f.State != navette.FileChecking {
		return nil
	}
	dc, err := s.newDecision(ctx, f, v)
	if err != nil {
		return err
	}
	err = s.Meta.UpdateDeposit(ctx, f.DepositID, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		return s.applyVerdict(ctx, dc, d, files)
	})
	if err != nil {
		return err
	}
	s.decided(ctx, dc, f.DepositID)
	return nil
}

// newDecision returns the decision of verdict v on the checking file f,
// with the sender of its deposit and, for a rejection, the platform admins
// to alert.
func (s *Service) newDecision(ctx context.Context, f *navette.FileRecord, v navette.ScanVerdict) (*decision, error) {
	dc := &decision{fileID: f.ID, verdict: v}
	dc.reject = v.Check == navette.CheckInfected || v.Check == navette.CheckRefusedType || (v.Check.Undecided() && !s.DeliverMarked)
	var err error
	if dc.sender, err = s.depositSender(ctx, f.DepositID); err != nil {
		return nil, err
	}
	if dc.reject {
		if dc.admins, err = s.platformAdmins(ctx); err != nil {
			return nil, err
		}
	}
	return dc, nil
}

// decided does what follows the recorded decision dc on a file of deposit
// depositID: the notices it queued are sent, a rejected file's blob is
// deleted.
func (s *Service) decided(ctx context.Context, dc *decision, depositID string) {
	if dc.queued > 0 {
		s.kick()
	}
	if dc.rejected {
		s.log().WarnContext(ctx, "file rejected by the content checks", "file", dc.fileID, "deposit", depositID, "verdict", dc.verdict.String())
		s.deleteBlob(ctx, dc.fileID)
	}
}

// A decision is the verdict on a checking file, what it needs to be
// recorded, and what recording it did.
type decision struct {
	fileID  string
	verdict navette.ScanVerdict
	reject  bool
	sender  *navette.User   // of the deposit
	admins  []*navette.User // alerted of a rejection
	// Set by applyVerdict:
	queued   int  // notices queued
	rejected bool // the file was rejected
}

// applyVerdict records dc on its file among files of d, if still checking,
// and what follows for d; it returns the events that say so.
func (s *Service) applyVerdict(ctx context.Context, dc *decision, d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
	dc.queued, dc.rejected = 0, false
	f := fileIn(files, dc.fileID)
	if f == nil || f.State != navette.FileChecking {
		return nil, nil
	}
	now := s.Clock.Now()
	v := dc.verdict
	f.Check, f.CheckDetail, f.CheckAfter = v.Check, navette.CleanDetail(v.Detail), time.Time{}
	ev := navette.Event{Time: now, Type: navette.EventFileChecked, DepositID: d.ID, FileID: f.ID, Size: f.Size, SHA256: f.SHA256, Detail: v.String()}
	if dc.reject {
		if err := s.rejectChecked(dc, d, f, &ev, now); err != nil {
			return nil, err
		}
	} else {
		f.State = navette.FileStored
	}
	evs := []navette.Event{ev}
	if d.State != navette.DepositChecking {
		return evs, nil
	}
	if dc.rejected {
		return append(evs, returnToDraft(d, f.ID, v, now)), nil
	}
	if slices.ContainsFunc(files, func(x *navette.FileRecord) bool { return x.State == navette.FileChecking }) {
		return evs, nil
	}
	avail, err := s.makeAvailable(ctx, d, files, dc.sender, now)
	if err != nil {
		return nil, err
	}
	dc.queued += len(avail.Notices)
	return s.withClaims(ctx, d, files, dc.sender, nil, append(evs, avail))
}

// rejectChecked rejects f, a checking file of d, on dc: ev becomes the
// event of the rejection, with its alert to the admins, and the key of f
// is destroyed.
func (s *Service) rejectChecked(dc *decision, d *navette.DepositRecord, f *navette.FileRecord, ev *navette.Event, now time.Time) error {
	dc.rejected = true
	ev.Type = navette.EventFileRejected
	if dc.verdict.Check == navette.CheckInfected {
		ev.Type = navette.EventFileInfected
	}
	// The alert is made before the keys go: it names the sender and, for
	// the admins, nothing of the content.
	var err error
	if ev.Notices, err = s.alertNotices(dc.admins, d.ID, now, alertData(dc.sender, f, dc.verdict)); err != nil {
		return err
	}
	dc.queued = len(ev.Notices)
	f.State = navette.FileRejected
	f.Key = navette.WrappedKey{}
	f.Resume = nil
	return nil
}

// returnToDraft returns d, a checking deposit, to draft since its file
// fileID failed its checks with v, and the event that says so.
func returnToDraft(d *navette.DepositRecord, fileID string, v navette.ScanVerdict, now time.Time) navette.Event {
	d.State, d.SubmittedAt = navette.DepositDraft, time.Time{}
	return navette.Event{Time: now, Type: navette.EventDepositReturned, DepositID: d.ID, FileID: fileID, Detail: v.String()}
}

// fileIn returns the file id among files, or nil.
func fileIn(files []*navette.FileRecord, id string) *navette.FileRecord {
	var f *navette.FileRecord
	for _, x := range files {
		if x.ID == id {
			f = x
		}
	}
	return f
}

// depositSender returns the sender of deposit id.
func (s *Service) depositSender(ctx context.Context, id string) (*navette.User, error) {
	dep, err := s.Meta.Deposit(ctx, id)
	if err != nil {
		return nil, err
	}
	return s.Meta.User(ctx, dep.SenderID)
}

// platformAdmins returns the enabled platform admins, who are alerted of
// rejected and corrupt files.
func (s *Service) platformAdmins(ctx context.Context) ([]*navette.User, error) {
	return s.Meta.SearchUsers(ctx, navette.UserFilter{Roles: []navette.Role{navette.RoleAdmin}, Enabled: true, Limit: 1000})
}

// alertNotices returns a content alert with nd, about deposit id, for each
// of admins.
func (s *Service) alertNotices(admins []*navette.User, id string, now time.Time, nd *notify.Data) ([]navette.Notice, error) {
	var out []navette.Notice
	for _, a := range admins {
		n, err := notify.NewNotice(s.Keys, navette.NoticeContentAlert, a.ID, id, now, nd)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// deleteBlob deletes the blob of a rejected or removed file whose key is
// gone, at once rather than at the next sweep, so that its room is free; the
// sweeper retries a failure.
func (s *Service) deleteBlob(ctx context.Context, fileID string) {
	ctx = context.WithoutCancel(ctx)
	if err := s.Blobs.Delete(ctx, fileID); err != nil {
		s.log().ErrorContext(ctx, "deleting a blob failed; the sweeper will retry", "file", fileID, "err", err)
		return
	}
	err := s.Meta.UpdateFile(ctx, fileID, func(f *navette.FileRecord) ([]navette.Event, error) {
		f.BlobDeleted = true
		return nil, nil
	})
	if err != nil {
		s.log().ErrorContext(ctx, "recording a deleted blob failed; the sweeper will retry", "file", fileID, "err", err)
	}
}

// alertData is what the content alert to admins says: the deposit's
// sender, the file's id, size and fingerprint, and the verdict; nothing of
// the content, its name or the deposit's reference.
func alertData(sender *navette.User, f *navette.FileRecord, v navette.ScanVerdict) *notify.Data {
	return &notify.Data{
		Sender: notify.Person{Name: sender.Name, Email: sender.Email},
		Alert: &notify.Alert{
			FileID: f.ID, Size: f.Size, SHA256: fmt.Sprintf("%x", f.SHA256),
			Check: string(v.Check), Detail: navette.CleanDetail(v.Detail),
		},
	}
}

// CheckReason says, in a sentence's end, why content checks refused or
// marked a file: "it is infected (Eicar-Test-Signature)".
func CheckReason(c navette.FileCheck, detail string) string {
	switch c {
	case navette.CheckInfected:
		return fmt.Sprintf("the antivirus found a virus in it (%s)", detail)
	case navette.CheckRefusedType:
		return fmt.Sprintf("files of its type (%s) are not accepted", detail)
	case navette.CheckOverLimit:
		return "it is larger than the antivirus can scan"
	case navette.CheckEncrypted:
		return "it is encrypted, so the antivirus cannot scan it"
	case navette.CheckFailed:
		return "the antivirus could not scan it"
	case navette.CheckCorrupt:
		return "it was damaged in storage"
	case navette.CheckUnscanned:
		return "it was not scanned by an antivirus"
	}
	return "it did not pass the content checks"
}

// rejectedError is the error that keeps a deposit with the rejected file f
// from being submitted: it names the file and why.
func (s *Service) rejectedError(d *navette.DepositRecord, f *navette.FileRecord) error {
	name := f.ID
	if k, err := s.depositKey(d); err == nil && len(f.Name) > 0 {
		if n, err := k.OpenValue("filename", f.ID, f.Name); err == nil {
			name = string(n)
		}
	}
	return navette.Errorf(navette.ECONFLICT, "The file %q was refused: %s. It was destroyed; remove it from the deposit, then submit again.",
		name, CheckReason(f.Check, f.CheckDetail))
}

// CheckStats counts what one round of the background checker did.
type CheckStats struct {
	Checked int // files that got a verdict
	Waiting int // files still waiting (antivirus down or failing)
}

// CheckFiles checks the files that are due: stored files whose checks were
// not fed as they arrived, and those whose antivirus did not answer, each
// read from its blob and decrypted as it goes. With several nodes on one
// database, one checks at a time.
func (s *Service) CheckFiles(ctx context.Context) (CheckStats, error) {
	var st CheckStats
	err := s.exclusiveJob(ctx, "check", func(ctx context.Context) error {
		var err error
		st, err = s.checkFiles(ctx)
		return err
	})
	return st, err
}

// exclusiveJob runs job, the job called name, on one node at a time when
// the metadata store can say which (ExclusiveJob); on another it returns
// at once with nothing done.
func (s *Service) exclusiveJob(ctx context.Context, name string, job func(context.Context) error) error {
	if ex, ok := s.Meta.(interface {
		ExclusiveJob(context.Context, string, func(context.Context) error) (bool, error)
	}); ok {
		_, err := ex.ExclusiveJob(ctx, name, job)
		return err
	}
	return job(ctx)
}

func (s *Service) checkFiles(ctx context.Context) (CheckStats, error) {
	var st CheckStats
	for {
		files, err := s.Meta.FilesToCheck(ctx, s.Clock.Now(), 20)
		if err != nil {
			return st, err
		}
		for _, f := range files {
			ok, err := s.checkStored(ctx, f)
			if err != nil {
				return st, err
			}
			if ok {
				st.Checked++
			} else {
				st.Waiting++
			}
		}
		if len(files) < 20 || st.Waiting > 0 {
			// While the antivirus fails, the other files wait for their
			// own turn rather than each fail now.
			return st, nil
		}
	}
}

// checkStored runs the checks of a stored, checking file from its blob and
// records the verdict; it reports false if the antivirus gave none.
func (s *Service) checkStored(ctx context.Context, f *navette.FileRecord) (bool, error) {
	if !s.checks() {
		return true, s.decide(ctx, f.ID, navette.ScanVerdict{Check: navette.CheckUnscanned})
	}
	c, err := s.newScan(ctx)
	if err != nil {
		return false, s.checkLater(ctx, f.ID, 1, err)
	}
	err = s.feedStored(ctx, f, c)
	switch {
	case errors.Is(err, errAntivirusLost):
		return false, s.checkLater(ctx, f.ID, 1, errors.New("the antivirus stream was lost"))
	case errors.Is(err, ErrCorrupt):
		c.abort()
		return true, s.markCorrupt(ctx, f, err)
	case err != nil:
		c.abort()
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, s.checkLater(ctx, f.ID, 1, err)
	}
	if c.lost {
		return false, s.checkLater(ctx, f.ID, 1, errors.New("the antivirus stream was lost"))
	}
	return s.finishScan(ctx, f.ID, c)
}

var errAntivirusLost = errors.New("antivirus stream lost")

// feedStored feeds the checks c the blob of f, read by readStored. It
// stops with errAntivirusLost once c lost its antivirus stream.
func (s *Service) feedStored(ctx context.Context, f *navette.FileRecord, c *scan) error {
	return s.readStored(ctx, f, func(p []byte) error {
		c.feed(p)
		if c.lost {
			return errAntivirusLost
		}
		return nil
	}, nil)
}

// readStored reads the blob of f from its start, checks its header, every
// segment and the SHA-256 of the whole, and passes each segment's
// plaintext to fn, in order. pace, if set, is told how many sealed bytes
// were read, before each segment is decrypted. Returns an error wrapping
// ErrCorrupt, saying where, if the blob is not what was stored.
func (s *Service) readStored(ctx context.Context, f *navette.FileRecord, fn func([]byte) error, pace func(int) error) error {
	k, err := s.fileKey(f)
	if err != nil {
		return err
	}
	rc, err := s.openStored(ctx, f)
	if err != nil {
		return err
	}
	defer rc.Close()
	var src io.Reader = rc
	if pace != nil {
		src = pacedReader{rc, pace}
	}
	h := sha256.New()
	if err := eachSegment(seal.NewReader(src, k, f.Blob(), f.Size, 0), func(p []byte) error {
		h.Write(p)
		return fn(p)
	}); err != nil {
		return err
	}
	var one [1]byte
	if n, _ := rc.Read(one[:]); n > 0 {
		return fmt.Errorf("%w: bytes after the final segment", ErrCorrupt)
	}
	if !bytes.Equal(h.Sum(nil), f.SHA256) {
		return fmt.Errorf("%w: the SHA-256 does not match", ErrCorrupt)
	}
	return nil
}

// openStored opens the blob of f, its header read and checked. Returns an
// error wrapping ErrCorrupt if the blob is missing or its header is not
// one.
func (s *Service) openStored(ctx context.Context, f *navette.FileRecord) (io.ReadCloser, error) {
	rc, err := s.Blobs.Open(ctx, f.Blob(), 0, -1)
	if err != nil {
		if navette.IsCode(err, navette.ENOTFOUND) {
			return nil, fmt.Errorf("%w: the blob is missing", ErrCorrupt)
		}
		return nil, err
	}
	var hdr [seal.HeaderSize]byte
	if _, err := io.ReadFull(rc, hdr[:]); err != nil || !bytes.Equal(hdr[:], seal.Header()) {
		rc.Close()
		if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, err
		}
		return nil, fmt.Errorf("%w: bad header", ErrCorrupt)
	}
	return rc, nil
}

// eachSegment passes the plaintext of each segment r reads to fn, in
// order. A segment that does not open is an error wrapping ErrCorrupt.
func eachSegment(r *seal.Reader, fn func([]byte) error) error {
	for {
		p, err := r.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if errors.Is(err, seal.ErrCorrupt) {
				return errors.Join(ErrCorrupt, err)
			}
			return err
		}
		if err := fn(p); err != nil {
			return err
		}
	}
}

// pacedReader tells pace how many bytes each read returned.
type pacedReader struct {
	r    io.Reader
	pace func(int) error
}

func (p pacedReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		if perr := p.pace(n); perr != nil {
			return n, perr
		}
	}
	return n, err
}

// corruptDetail is what the file's check detail says of cause, an error
// wrapping ErrCorrupt: where the blob failed, without ErrCorrupt's own
// text.
func corruptDetail(cause error) string {
	detail := navette.CleanDetail(strings.TrimPrefix(strings.ReplaceAll(cause.Error(), ErrCorrupt.Error(), ""), ": "))
	return strings.TrimSpace(strings.Trim(detail, ":\n "))
}

// markCorrupt records that the stored blob of f failed its integrity
// check: the file is rejected, never served again, its key kept for the
// investigation until its deposit is purged; admins are alerted.
func (s *Service) markCorrupt(ctx context.Context, f *navette.FileRecord, cause error) error {
	detail := corruptDetail(cause)
	s.log().ErrorContext(ctx, "stored file is corrupt: it will not be served", "file", f.ID, "deposit", f.DepositID, "err", cause)
	admins, err := s.platformAdmins(ctx)
	if err != nil {
		return err
	}
	sender, err := s.depositSender(ctx, f.DepositID)
	if err != nil {
		return err
	}
	marked := false
	err = s.Meta.UpdateDeposit(ctx, f.DepositID, func(d *navette.DepositRecord, files []*navette.FileRecord) ([]navette.Event, error) {
		marked = false
		x := fileIn(files, f.ID)
		if x == nil || !kept(x) {
			return nil, nil
		}
		now := s.Clock.Now()
		v := navette.ScanVerdict{Check: navette.CheckCorrupt, Detail: detail}
		x.State, x.Check, x.CheckDetail, x.CheckAfter = navette.FileRejected, navette.CheckCorrupt, detail, time.Time{}
		ev := navette.Event{Time: now, Type: navette.EventFileCorrupt, DepositID: d.ID, FileID: x.ID, Size: x.Size, SHA256: x.SHA256, Detail: v.String()}
		var err error
		if ev.Notices, err = s.alertNotices(admins, d.ID, now, alertData(sender, x, v)); err != nil {
			return nil, err
		}
		marked = true
		evs := []navette.Event{ev}
		if d.State == navette.DepositChecking {
			evs = append(evs, returnToDraft(d, x.ID, v, now))
		}
		return evs, nil
	})
	if err == nil && marked {
		s.kick()
	}
	return err
}

// Waiting returns how many files wait for their content checks.
func (s *Service) Waiting(ctx context.Context) (int, error) {
	files, err := s.Meta.FilesToCheck(ctx, s.Clock.Now().Add(100*365*24*time.Hour), 1000)
	return len(files), err
}
