package cli

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"navette"
	"navette/api"
	"navette/client"
	"navette/safename"
)

func init() {
	register("get", "download the files of a deposit (get [--out DIR] DEPOSIT_ID)", runGet)
}

const getUsage = `[--out DIR] DEPOSIT_ID

Downloads every file of the deposit into DIR, checking each against its
SHA-256, and prints the path of each saved file. An interrupted download
resumes when the command is run again. A file is never overwritten: a
different file of the same name gets "name (1).ext"; an identical one is
kept as is.

Two runs into one DIR at once do not share a file: one that another run
is downloading there is left to it, untouched, and counted as not saved
(the exit status is 1; run the command again once the other has ended, and
what it saved is found there). The other files are downloaded as usual.

Flags:`

// partSuffix ends the names of files being downloaded.
const partSuffix = ".navette-part"

func runGet(ctx context.Context, env *Env, args []string) error {
	fs, cf := newClientFlagSet(env, "get", getUsage)
	out := fs.String("out", ".", "`directory` to save the files in (created if need be)")
	id, c, err := cf.parseClient(fs, env, args, depositIDArg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(*out, 0o750); err != nil {
		return fmt.Errorf("--out: %v", err)
	}
	files, err := depositFiles(ctx, c, id)
	if err != nil {
		return err
	}
	return getFiles(ctx, env, c, id, files, *out)
}

// depositFiles lists the files of the deposit id, asking for them apart
// when the deposit's answer does not carry them; a deposit with no file is
// an error.
func depositFiles(ctx context.Context, c *client.Client, id string) ([]api.File, error) {
	d, err := c.Deposit(ctx, id)
	if err != nil {
		return nil, err
	}
	files := d.Files
	if len(files) == 0 && d.FileCount > 0 {
		l, err := c.Files(ctx, id)
		if err != nil {
			return nil, err
		}
		files = l.Files
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("deposit %s has no file", id)
	}
	return files, nil
}

// getFiles downloads files of the deposit id into dir, printing the path
// of each saved file and a line for each failure, and fails with the
// count of files not saved.
func getFiles(ctx context.Context, env *Env, c *client.Client, id string, files []api.File, dir string) error {
	failed := 0
	for _, f := range files {
		path, err := getFile(ctx, env, c, id, f, dir)
		if ctx.Err() != nil {
			return errors.New("interrupted; run the command again to resume")
		}
		if err != nil {
			fmt.Fprintf(env.Stderr, "navette get: %s: %s\n", printable(f.Name, 80), oneLine(err))
			failed++
			continue
		}
		fmt.Fprintln(env.Stdout, path)
	}
	if failed == 0 {
		return nil
	}
	// Each failure was printed above; end with the count alone.
	return fmt.Errorf("%d of %d files could not be saved", failed, len(files))
}

// getFile downloads one file into dir and returns the path it is saved as.
// Bytes go to a part file, hashed as they come; only a file whose SHA-256
// matches is given its final name.
func getFile(ctx context.Context, env *Env, c *client.Client, depositID string, f api.File, dir string) (string, error) {
	want, err := wantedSHA256(f)
	if err != nil {
		return "", err
	}
	name := safename.Clean(f.Name, f.ID)
	if want != nil {
		if p, ok := findIdentical(dir, name, f.Size, want); ok {
			fmt.Fprintf(env.Stderr, "navette get: %s is already there\n", p)
			return p, nil
		}
	}

	part, err := openPart(filepath.Join(dir, "."+f.ID+partSuffix))
	if err != nil {
		return "", err
	}
	// Closing releases the lock: only once the part has its final name or
	// is removed, so that no other run cuts or writes it before.
	defer part.Close()
	sum, err := downloadPart(ctx, env, c, depositID, f, name, part, want)
	if err != nil {
		return "", err
	}
	final, existed, err := place(dir, name, part.Name(), f.Size, sum)
	if err != nil {
		return "", err
	}
	if existed {
		fmt.Fprintf(env.Stderr, "navette get: %s is already there\n", final)
	}
	syncDir(dir)
	return final, nil
}

// downloadPart downloads file f into the part file fh, opened and locked
// by openPart, resuming from what it already holds and showing the
// progress under name, then checks it against the SHA-256 want (nil if
// unknown) and the server's digest and returns its SHA-256. The part file
// stays for a later resume, unless the file changed, the server refused it
// for good (damaged, withdrawn…) or the bytes received are not the file's.
func downloadPart(ctx context.Context, env *Env, c *client.Client, depositID string, f api.File, name string, fh *os.File, want []byte) ([]byte, error) {
	have, h, err := resume(fh, f.Size)
	if err != nil {
		return nil, err
	}
	p := newProgress(env, name, f.Size, have)
	pw := &progressWriter{p: p, n: have}
	info, err := c.Download(ctx, depositID, f.ID, io.MultiWriter(fh, h, pw), have)
	p.finish(err == nil)
	if err != nil {
		if errors.Is(err, client.ErrChanged) || refused(err) {
			os.Remove(fh.Name())
		}
		return nil, err
	}
	sum := h.Sum(nil)
	return sum, checkPart(fh, f.Size, info, sum, want)
}

// checkPart checks the downloaded part file fh, of size bytes hashing to
// sum, deleting it if it is not the file, and makes it durable if it is.
// fh stays open, and locked, for place.
func checkPart(fh *os.File, size int64, info client.DownloadInfo, sum, want []byte) error {
	st, err := fh.Stat()
	if err != nil {
		return err
	}
	if bad := mismatch(size, st.Size(), info, sum, want); bad != "" {
		os.Remove(fh.Name())
		return fmt.Errorf("corrupted download, deleted (%s); nothing was saved", bad)
	}
	return fh.Sync()
}

// wantedSHA256 checks what the server says of file f, and returns the
// SHA-256 it gives, or nil.
func wantedSHA256(f api.File) ([]byte, error) {
	if !navette.ValidID(f.ID) {
		return nil, fmt.Errorf("the server sent an invalid file id")
	}
	if f.State != "" && f.State != string(navette.FileAvailable) {
		return nil, fmt.Errorf("not available (%s)", printable(f.State, 20))
	}
	if f.SHA256 == "" {
		return nil, nil
	}
	want, err := hex.DecodeString(f.SHA256)
	if err != nil || len(want) != sha256.Size {
		return nil, errors.New("the server sent an invalid SHA-256")
	}
	return want, nil
}

// mismatch returns what is wrong with a download of a file of size bytes
// that received got bytes hashing to sum, given the deposit's SHA-256 want
// (nil if unknown) and the answer's info, or "" if nothing is.
func mismatch(size, got int64, info client.DownloadInfo, sum, want []byte) string {
	switch {
	case got != size || info.Size != size:
		return fmt.Sprintf("%d bytes received, %d expected", got, size)
	case want == nil && info.SHA256 == nil:
		return "the server gave no SHA-256 to check it against"
	case want != nil && !bytes.Equal(sum, want):
		return "its SHA-256 differs from the deposit's"
	case info.SHA256 != nil && !bytes.Equal(sum, info.SHA256):
		return "its SHA-256 differs from the server's Repr-Digest"
	}
	return ""
}

// refused reports whether err is the server's answer that a file cannot be
// had, which running the command again will not change: any but that it is
// unavailable for now or that the token is not valid.
func refused(err error) bool {
	var e *navette.Error
	return errors.As(err, &e) && e.Code != navette.EUNAVAILABLE && e.Code != navette.EUNAUTHORIZED
}

// openPart opens (creating it, mode 0600) the part file at path and locks
// it until it is closed. A part another run holds is left as it is: the
// error says so. Every run changes a part's name (placing it, removing it)
// only while it holds its lock, so the path names the file locked until
// this run changes it.
func openPart(path string) (*os.File, error) {
	if st, err := os.Lstat(path); err == nil && !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s exists and is not a regular file", path)
	}
	f, err := openInDir(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := holdPart(f, path); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// openInDir opens the file at path through an os.Root on its directory:
// a link there is never followed out of it, and on Windows the file is
// opened shareable for deletion, so that it can be renamed or removed
// while it is open and locked, as on other systems.
func openInDir(path string, flag int, perm os.FileMode) (*os.File, error) {
	root, err := os.OpenRoot(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	defer root.Close()
	return root.OpenFile(filepath.Base(path), flag, perm)
}

// holdPart locks the part file f, opened at path, and checks that path
// still names it: a run that held the lock before may have placed or
// removed it in between, and f is then another run's, saved or dropped.
func holdPart(f *os.File, path string) error {
	busy, err := lockPart(f)
	if err != nil {
		return err
	}
	if busy {
		return busyError(lockHolder(f))
	}
	held, err := f.Stat()
	if err != nil {
		return err
	}
	st, err := os.Lstat(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !os.SameFile(held, st)) {
		return busyError(0)
	}
	return err
}

// busyError is the failure of a file whose part another run of navette get
// holds, pid if known (else 0).
func busyError(pid int) error {
	if pid > 0 {
		return fmt.Errorf("another navette get (pid %d) is downloading it into this directory", pid)
	}
	return errors.New("another navette get is downloading it into this directory")
}

// resume returns the offset a download of size bytes into the locked part
// file f resumes from, and a hash of what f holds before it, f positioned
// there. A complete part is cut by one byte, so the last byte is fetched
// again with the server's digest headers.
func resume(f *os.File, size int64) (int64, hashWriter, error) {
	st, err := f.Stat()
	if err != nil {
		return 0, nil, err
	}
	have := resumeFrom(st.Size(), size)
	h, err := resumePart(f, st.Size(), have)
	if err != nil {
		return 0, nil, err
	}
	return have, h, nil
}

// resumeFrom gives the offset a download of size bytes resumes from, when
// its part file holds length bytes: all of them, but for a complete part,
// cut by one byte (so the last byte is fetched again with the server's
// digest headers), and a part longer than the file, dropped.
func resumeFrom(length, size int64) int64 {
	switch {
	case length > size:
		return 0
	case length == size && size > 0:
		return size - 1
	}
	return length
}

// resumePart cuts the part file f of length bytes to have bytes, and
// returns a hash of them with f positioned after them.
func resumePart(f *os.File, length, have int64) (hashWriter, error) {
	if have != length {
		if err := f.Truncate(have); err != nil {
			return nil, err
		}
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, have)); err != nil {
		return nil, err
	}
	if _, err := f.Seek(have, io.SeekStart); err != nil {
		return nil, err
	}
	return h, nil
}

// hashWriter is a running hash.
type hashWriter interface {
	io.Writer
	Sum([]byte) []byte
}

// progressWriter counts bytes for a progress line.
type progressWriter struct {
	p *progress
	n int64
}

// Write counts b and updates the progress line.
func (w *progressWriter) Write(b []byte) (int, error) {
	w.n += int64(len(b))
	w.p.update(w.n)
	return len(b), nil
}

// candidate returns the n-th name to try for name: name itself, then
// "stem (1).ext", "stem (2).ext"… (safename.Numbered).
func candidate(name string, n int) string {
	if n == 0 {
		return name
	}
	return safename.Numbered(name, n)
}

// maxCandidates bounds the search for a free name.
const maxCandidates = 1000

// findIdentical looks for name, name (1)… in dir holding exactly the file of
// that size and digest, up to the first free name.
func findIdentical(dir, name string, size int64, sum []byte) (string, bool) {
	for n := 0; n < maxCandidates; n++ {
		p := filepath.Join(dir, candidate(name, n))
		st, err := os.Lstat(p)
		if err != nil {
			return "", false
		}
		if sameFile(st, p, size, sum) {
			return p, true
		}
	}
	return "", false
}

// place gives the verified part file its final name in dir: name, or the
// first "name (n)" that is free. It never replaces a file; if one of the
// candidates already holds the same content, the part is dropped and that
// file's path returned with existed set.
func place(dir, name, part string, size int64, sum []byte) (path string, existed bool, err error) {
	for n := 0; n < maxCandidates; n++ {
		p := filepath.Join(dir, candidate(name, n))
		if moved, err := renameNoReplace(part, p); moved || err != nil {
			return p, false, err
		}
		if st, err := os.Lstat(p); err == nil && sameFile(st, p, size, sum) {
			return p, true, os.Remove(part)
		}
	}
	os.Remove(part)
	return "", false, fmt.Errorf("no free name for %s in %s", name, dir)
}

// renameNoReplace gives the file at part the path p if no file has it,
// and reports whether it did. A hard link fails if p exists: no race can
// make it overwrite. Where there are no hard links (some file systems), it
// renames without replacing (renameExclusive).
func renameNoReplace(part, p string) (bool, error) {
	err := os.Link(part, p)
	if err == nil {
		return true, os.Remove(part)
	}
	if errors.Is(err, fs.ErrExist) {
		return false, nil
	}
	return renameExclusive(part, p)
}

// checkThenRename checks that p is free, then renames part to it, and
// reports whether it did. A file given the path p in between, by another
// run, is replaced: only where neither hard links nor renameExclusive's
// atomic rename work.
func checkThenRename(part, p string) (bool, error) {
	if _, err := os.Lstat(p); !errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := os.Rename(part, p); err != nil {
		return false, err
	}
	return true, nil
}

// sameFile reports whether the file at p, of info st, is a regular file of
// size bytes with the SHA-256 sum.
func sameFile(st fs.FileInfo, p string, size int64, sum []byte) bool {
	return st.Mode().IsRegular() && st.Size() == size && sameContent(p, sum)
}

// sameContent reports whether the file at path has the SHA-256 sum.
func sameContent(path string, sum []byte) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return bytes.Equal(h.Sum(nil), sum)
}

// syncDir makes a rename in dir durable, where the system allows it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}
