// Package disk implements navette.BlobStore on a local directory.
//
// The directory holds two subdirectories: uploads/ keeps unfinished blobs,
// one file per key, and blobs/ keeps finished ones, fanned out by the first
// two characters of the key as blobs/<xx>/<key>. Keys must satisfy
// navette.ValidID, so no path is ever derived from anything but 32 characters
// of [a-z2-7]. Directories are made with mode 0700 and files with mode 0600.
//
// Durability: a writer's Commit flushes and fsyncs the file (and, the first
// time a blob is written from offset 0, the uploads/ directory); Finish
// fsyncs the file, renames it into blobs/ and fsyncs both directories. While
// a writer runs it asks the kernel every 8 MiB to start writing back what it
// has received (sync_file_range on Linux), so that the fsync of a commit has
// little left to do.
package disk

import (
	"bufio"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"

	"navette"
)

const (
	bufSize     = 4 << 10 // write buffer of a BlobWriter, for small writes
	writeBehind = 8 << 20 // bytes written between two writeback hints
	copyBufSize = 1 << 18 // copy buffer of a reader's WriteTo and a writer's ReadFrom

	dirMode  = 0o700
	fileMode = 0o600

	uploadsDir = "uploads"
	blobsDir   = "blobs"
)

// Store is a navette.BlobStore that keeps blobs as files under a local
// directory. It is safe for concurrent use. Callers must not run two
// writers, or a writer and Finish, on the same key at once; navette's
// metadata locks serialize them.
type Store struct {
	dir string
}

var _ navette.BlobStore = (*Store)(nil)

// Open returns a Store on dir, creating dir and its subdirectories if
// needed.
func Open(dir string) (*Store, error) {
	s, err := open(dir)
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "cannot open the blob store")
	}
	return s, nil
}

func open(dir string) (*Store, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	created := false
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, dirMode); err != nil {
			return nil, err
		}
		created = true
	} else if err != nil {
		return nil, err
	}
	for _, sub := range []string{uploadsDir, blobsDir} {
		if err := os.Mkdir(filepath.Join(dir, sub), dirMode); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
	}
	// Make the layout durable. Syncing unconditionally also covers
	// directories that an earlier process made but could not sync before it
	// died.
	syncs := []string{filepath.Join(dir, uploadsDir), filepath.Join(dir, blobsDir), dir}
	if created {
		syncs = append(syncs, filepath.Dir(dir))
	}
	for _, d := range syncs {
		if err := syncDir(d); err != nil {
			return nil, err
		}
	}
	return &Store{dir: dir}, nil
}

// Dir returns the absolute path of the store's directory.
func (s *Store) Dir() string { return s.dir }

func (s *Store) uploadPath(key string) string {
	return filepath.Join(s.dir, uploadsDir, key)
}

func (s *Store) blobDir(key string) string {
	return filepath.Join(s.dir, blobsDir, key[:2])
}

func (s *Store) blobPath(key string) string {
	return filepath.Join(s.dir, blobsDir, key[:2], key)
}

func internal(err error) error {
	if noSpace(err) {
		return navette.WrapError(navette.ENOSPACE, err, "The server's storage is full; try again later.")
	}
	return navette.WrapError(navette.EINTERNAL, err, "Blob storage failed.")
}

// noSpace reports whether err says the file system or the quota is full
// (fullErrors, by system).
func noSpace(err error) bool {
	for _, full := range fullErrors {
		if errors.Is(err, full) {
			return true
		}
	}
	return false
}

// Space returns the room on the file system of the store's directory: the
// bytes an unprivileged process may still write, and the file system's
// size.
func (s *Store) Space(ctx context.Context) (navette.Space, error) {
	sp, err := SpaceOf(s.dir)
	if err != nil {
		return navette.Space{}, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return sp, nil
}

// SpaceOf returns the room on the file system holding dir: the bytes an
// unprivileged process may still write there, and the file system's size.
// Each system asks its own call (statfs, space_*.go); where navette knows none,
// it fails with ErrSpaceUnknown rather than give a figure.
func SpaceOf(dir string) (navette.Space, error) {
	avail, blocks, unit, err := statfs(dir)
	if err != nil {
		return navette.Space{}, err
	}
	return navette.Space{Free: avail * unit, Total: blocks * unit}, nil
}

// ErrSpaceUnknown is SpaceOf's failure on a system where navette cannot
// ask for a file system's free space.
var ErrSpaceUnknown = errors.New("this system gives navette no way to know a file system's free space")

// Append opens the unfinished blob key for writing at off, its committed
// length; off 0 creates the blob if needed. Bytes at or past off are cut.
// Returns ECONFLICT if the blob is finished, or missing or shorter than off,
// and EINVALID for a malformed key or a negative offset.
func (s *Store) Append(ctx context.Context, key string, off int64) (navette.BlobWriter, error) {
	if err := navette.CheckBlobCall(ctx, key, off); err != nil {
		return nil, err
	}
	if _, err := os.Lstat(s.blobPath(key)); err == nil {
		return nil, navette.Errorf(navette.ECONFLICT, "The blob is finished.")
	} else if !errors.Is(err, fs.ErrNotExist) {
		return nil, internal(err)
	}
	flag := os.O_WRONLY
	if off == 0 {
		flag |= os.O_CREATE
	}
	f, err := os.OpenFile(s.uploadPath(key), flag, fileMode)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, navette.Errorf(navette.ECONFLICT, "The blob is shorter than the offset.")
	} else if err != nil {
		return nil, internal(err)
	}
	w, err := newWriter(f, off)
	if err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Finish makes the unfinished blob key final and durable. Finishing a blob
// that is already finished does nothing more than make sure it is durable,
// so that a retried Finish succeeds. Returns ENOTFOUND if there is no blob
// key.
func (s *Store) Finish(ctx context.Context, key string) error {
	if err := navette.CheckBlobCall(ctx, key, 0); err != nil {
		return err
	}
	if err := s.finish(key); errors.Is(err, fs.ErrNotExist) {
		return navette.Errorf(navette.ENOTFOUND, "No such unfinished blob.")
	} else if err != nil {
		return internal(err)
	}
	return nil
}

func (s *Store) finish(key string) error {
	upload, final := s.uploadPath(key), s.blobPath(key)
	uploads, dir := filepath.Join(s.dir, uploadsDir), s.blobDir(key)
	if err := syncFile(upload); errors.Is(err, fs.ErrNotExist) {
		// Finished already, perhaps by a Finish whose caller never heard
		// back: make sure that rename is durable too.
		if err := syncFile(final); err != nil {
			return err
		}
		if err := syncDir(dir); err != nil {
			return err
		}
		return syncDir(uploads)
	} else if err != nil {
		return err
	}
	if err := os.Mkdir(dir, dirMode); err == nil {
		if err := syncDir(filepath.Join(s.dir, blobsDir)); err != nil {
			return err
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return err
	}
	if err := os.Rename(upload, final); err != nil {
		return err
	}
	if err := syncDir(dir); err != nil {
		return err
	}
	return syncDir(uploads)
}

// Open returns a reader of n bytes (n < 0: to the end) of the finished blob
// key from off. If the blob ends before off+n, the reader returns
// io.ErrUnexpectedEOF after the bytes there are. Returns ENOTFOUND if there
// is no finished blob key, and EINVALID for a malformed key or a negative
// offset.
//
// The reader reads straight from the file. It implements io.WriterTo, so
// that io.Copy to a socket or file lets the kernel copy (sendfile,
// copy_file_range).
func (s *Store) Open(ctx context.Context, key string, off, n int64) (io.ReadCloser, error) {
	if err := navette.CheckBlobCall(ctx, key, off); err != nil {
		return nil, err
	}
	f, err := os.Open(s.blobPath(key))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, navette.Errorf(navette.ENOTFOUND, "No such blob.")
	} else if err != nil {
		return nil, internal(err)
	}
	r, err := newReader(f, off, n)
	if err != nil {
		f.Close()
		return nil, internal(err)
	}
	return r, nil
}

// Delete removes the blob key, finished or not. A missing blob is not an
// error. Returns EINVALID for a malformed key.
func (s *Store) Delete(ctx context.Context, key string) error {
	if err := navette.CheckBlobCall(ctx, key, 0); err != nil {
		return err
	}
	for _, p := range []string{s.blobPath(key), s.uploadPath(key)} {
		if err := os.Remove(p); errors.Is(err, fs.ErrNotExist) {
			continue
		} else if err != nil {
			return internal(err)
		}
		if err := syncDir(filepath.Dir(p)); err != nil {
			return internal(err)
		}
	}
	return nil
}

// Unfinished returns the keys of the unfinished blobs, sorted, without
// looking into each file: a janitor compares them with the uploads it knows
// to remove orphans. Names in uploads/ that are not keys are left out.
func (s *Store) Unfinished(ctx context.Context) ([]string, error) {
	if err := navette.CheckBlobContext(ctx); err != nil {
		return nil, err
	}
	d, err := os.Open(filepath.Join(s.dir, uploadsDir))
	if err != nil {
		return nil, internal(err)
	}
	defer d.Close()
	names, err := d.Readdirnames(-1)
	if err != nil {
		return nil, internal(err)
	}
	keys := make([]string, 0, len(names))
	for _, name := range names {
		if navette.ValidID(name) {
			keys = append(keys, name)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

// Ping checks that the store's directories are there.
func (s *Store) Ping(ctx context.Context) error {
	for _, d := range []string{uploadsDir, blobsDir} {
		if _, err := os.Stat(filepath.Join(s.dir, d)); err != nil {
			return navette.WrapError(navette.EUNAVAILABLE, err, "The blob store cannot be reached.")
		}
	}
	return nil
}

// syncDir fsyncs the directory at path, making the entries added or removed
// in it durable.
func syncDir(path string) error { return syncFile(path) }

// syncFile fsyncs the file or directory at path.
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// bufPool recycles the write buffers of writers, so that an upload sent in
// many short appends does not allocate a buffer for each. The buffer only
// gathers small writes (a blob's header, the last bytes of an upload): a
// write longer than what it has room for goes straight to the file once it
// is empty, so that a sealed segment is not copied, and an upload in flight
// holds no large buffer of its own.
var bufPool = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}

// writer is the navette.BlobWriter of a Store: a bufio.Writer over a file.
// A sync returned by Checkpoint may run beside Write: mu guards what both
// touch.
type writer struct {
	bw         *bufio.Writer
	fw         fileWriter
	fromStart  bool // opened at offset 0: the first Commit syncs uploads/
	closed     bool
	uploadsDir string

	mu        sync.Mutex
	committed int64 // file offset up to which bytes are committed
	dirSynced bool
	err       error // the first failure; the writer refuses everything after
}

var _ navette.BlobCheckpointer = (*writer)(nil)

// fileWriter writes to the file at its offset and hints the kernel to start
// writeback of every writeBehind bytes.
type fileWriter struct {
	f      *os.File
	pos    int64 // file offset of the next byte
	hinted int64 // bytes before this offset were handed to writeback
	err    error // the first write error
}

func (fw *fileWriter) Write(p []byte) (int, error) {
	if fw.err != nil {
		return 0, fw.err
	}
	n, err := fw.f.Write(p)
	fw.pos += int64(n)
	if err != nil {
		fw.err = err
		return n, err
	}
	if fw.pos-fw.hinted >= writeBehind {
		startWriteback(fw.f, fw.hinted, fw.pos-fw.hinted)
		fw.hinted = fw.pos
	}
	return n, nil
}

func newWriter(f *os.File, off int64) (*writer, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, internal(err)
	}
	if fi.Size() < off {
		return nil, navette.Errorf(navette.ECONFLICT, "The blob is shorter than the offset.")
	}
	if err := f.Truncate(off); err != nil {
		return nil, internal(err)
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, internal(err)
	}
	w := &writer{
		fw:         fileWriter{f: f, pos: off, hinted: off},
		committed:  off,
		fromStart:  off == 0,
		uploadsDir: filepath.Dir(f.Name()),
	}
	w.bw = bufPool.Get().(*bufio.Writer)
	w.bw.Reset(&w.fw)
	return w, nil
}

func (w *writer) check() error {
	if w.closed {
		return navette.WrapError(navette.EINTERNAL, os.ErrClosed, "The blob writer is closed.")
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

func (w *writer) fail(err error) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err == nil {
		w.err = internal(err)
	}
	return w.err
}

// Write buffers p, writing to the file whenever the buffer fills.
func (w *writer) Write(p []byte) (int, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	n, err := w.bw.Write(p)
	if err != nil {
		return n, w.fail(err)
	}
	return n, nil
}

// ReadFrom reads r to its end and writes it to the file in large writes,
// through a copy buffer held only while it runs. An error of r is returned
// as is, and leaves the writer usable: what was read can still be
// committed.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	if err := w.check(); err != nil {
		return 0, err
	}
	if err := w.bw.Flush(); err != nil {
		return 0, w.fail(err)
	}
	buf := copyBufPool.Get().(*[copyBufSize]byte)
	defer copyBufPool.Put(buf)
	var n int64
	for {
		m, err := fill(r, buf[:])
		if m > 0 {
			k, werr := w.fw.Write(buf[:m])
			n += int64(k)
			if werr != nil {
				return n, w.fail(werr)
			}
		}
		if err == io.EOF {
			return n, nil
		} else if err != nil {
			return n, err
		}
	}
}

// fill reads from r into buf until it is full or r fails, and returns the
// bytes read and r's error (io.EOF at its end) as is.
func fill(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// Commit writes out the buffer and fsyncs the file; the first Commit of a
// blob written from offset 0 also fsyncs uploads/, where it was created.
func (w *writer) Commit() error {
	if err := w.check(); err != nil {
		return err
	}
	if err := w.bw.Flush(); err != nil {
		return w.fail(err)
	}
	if err := w.sync(w.fw.pos); err != nil {
		return err
	}
	w.fw.hinted = w.fw.pos
	return nil
}

// Checkpoint writes out the buffer and returns a sync that fsyncs the file
// (and uploads/, as Commit does) while later writes go on.
func (w *writer) Checkpoint() (func() error, error) {
	if err := w.check(); err != nil {
		return nil, err
	}
	if err := w.bw.Flush(); err != nil {
		return nil, w.fail(err)
	}
	pos := w.fw.pos
	return func() error { return w.sync(pos) }, nil
}

// sync fsyncs the file, whose first pos bytes were written out, and
// records them committed.
func (w *writer) sync(pos int64) error {
	// After a failed fsync the kernel may have dropped the dirty pages:
	// nothing written since the last good Commit can be trusted, so the
	// writer fails for good.
	if err := w.fw.f.Sync(); err != nil {
		return w.fail(err)
	}
	w.mu.Lock()
	needDir := w.fromStart && !w.dirSynced
	w.mu.Unlock()
	if needDir {
		if err := syncDir(w.uploadsDir); err != nil {
			return w.fail(err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	w.dirSynced = w.dirSynced || needDir
	w.committed = max(w.committed, pos)
	return nil
}

// Close releases the file and the buffer. What was not committed is cut
// off the file at once, so that a failed write (a full disk) leaves no
// space taken behind it. Closing twice does nothing.
func (w *writer) Close() error {
	if w.closed {
		return nil
	}
	w.closed = true
	w.bw.Reset(nil)
	bufPool.Put(w.bw)
	w.bw = nil
	var err error
	w.mu.Lock()
	committed := w.committed
	w.mu.Unlock()
	if w.fw.pos > committed {
		err = w.fw.f.Truncate(committed)
	}
	if cerr := w.fw.f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return internal(err)
	}
	return nil
}

// reader reads a range of a finished blob's file, its Source.
type reader struct {
	navette.BlobReader
}

func newReader(f *os.File, off, n int64) (*reader, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	r := &reader{navette.BlobReader{Source: f, Remain: n, End: io.EOF, Wrap: internal}}
	if n < 0 {
		r.Remain = fi.Size() - off
	}
	if off > fi.Size() || r.Remain < 0 {
		r.Remain, r.End = 0, io.ErrUnexpectedEOF
		return r, nil
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	if r.Remain > 0 {
		adviseSequential(f, off, r.Remain)
	}
	return r, nil
}

var copyBufPool = sync.Pool{New: func() any { return new([copyBufSize]byte) }}

// WriteTo writes the rest of the range to w, through w's ReadFrom if it has
// one (which lets the kernel copy from file to socket or file).
func (r *reader) WriteTo(w io.Writer) (int64, error) {
	if r.Remain <= 0 {
		if r.End == io.EOF {
			return 0, nil
		}
		return 0, r.End
	}
	lr := &io.LimitedReader{R: r.Source, N: r.Remain}
	buf := copyBufPool.Get().(*[copyBufSize]byte)
	n, err := io.CopyBuffer(w, lr, buf[:])
	copyBufPool.Put(buf)
	r.Remain = lr.N
	if err != nil {
		return n, err
	}
	if r.Remain > 0 {
		r.Remain, r.End = 0, io.ErrUnexpectedEOF
		return n, r.End
	}
	return n, nil
}
