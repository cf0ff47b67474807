// Package backup makes and restores online snapshots of a navette data
// directory that keeps its metadata in SQLite and its blobs on local disk.
//
// A backup is one tar archive (gzip-compressed if asked), whose entries are,
// in this order:
//
//	navette.db            the metadata, copied by VACUUM INTO in one read transaction
//	blobs/<key>           each finished blob the snapshot references
//	uploads/<key>         the committed bytes of each unfinished upload it references
//	manifest.json         Manifest: every entry above with its size and SHA-256,
//	                      the schema version and the journal tree's size and root
//	manifest.json.sha256  the SHA-256 (hex, and a newline) of every byte of the
//	                      archive before this entry's header
//
// followed by the end-of-archive blocks, all zero. The last entry's hash
// covers headers and padding too, so a single byte changed anywhere in the
// archive is refused at restore.
//
// The key-encryption keys are never in a backup: the keys and a backup
// together would undo crypto-shredding (a purged deposit's data keys are
// destroyed, but the keys that wrapped them would still open an older
// snapshot). ExportKeys writes them to a separate archive, to be kept on
// another medium.
//
// While it runs, a backup keeps its copy of the database in a directory of
// the data directory that it locks; the next backup removes those that
// backups killed midway left (removeStale).
//
// The blobs are copied after the metadata, so a blob written later is not
// in the backup, and a blob the snapshot references that the sweeper
// deletes meanwhile makes Create take a new snapshot.
package backup

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/mod/sumdb/tlog"

	"navette"
	"navette/atomicfile"
	"navette/keyring"
	"navette/proof"
	"navette/receipt"
	"navette/seal"
	"navette/sqlstore"
)

// Format names the archive format in Manifest.Format.
const Format = "navette-backup 1"

// Entry names in the archive.
const (
	dbEntry       = "navette.db"
	blobPrefix    = "blobs/"
	uploadPrefix  = "uploads/"
	manifestEntry = "manifest.json"
	trailerEntry  = "manifest.json.sha256"
)

// Attempts is how many snapshots Create takes before giving up when blobs
// the snapshot references are deleted while it copies them.
const Attempts = 3

// ErrBlobGone is wrapped by the error of Create when blobs the snapshot
// references were deleted while they were copied, at every attempt.
var ErrBlobGone = errors.New("backup: a blob the snapshot references was deleted meanwhile")

// Manifest describes a backup.
type Manifest struct {
	Format    string    `json:"format"`
	CreatedAt time.Time `json:"created_at"`
	// Schema is the migration version of the metadata.
	Schema int64 `json:"schema_version"`
	// Journal is the journal's tree at the snapshot.
	Journal JournalState `json:"journal"`
	// Verifiers are the journal's verifier keys (public), so that the
	// journal of a restored backup verifies without the key directory.
	Verifiers []string `json:"journal_verifier_keys"`
	// Files are the archive's entries before the manifest, in order.
	Files []File `json:"files"`
}

// JournalState is the size and root hash of the journal's tree.
type JournalState struct {
	Size int64  `json:"size"`
	Root string `json:"root"` // base64, as checkpoints write it
}

// File is an entry of the archive.
type File struct {
	Path   string `json:"path"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"` // hex
}

// Blobs returns how many blobs and unfinished uploads m holds, and their
// bytes.
func (m *Manifest) Blobs() (n int, bytes int64) {
	for _, f := range m.Files {
		if f.Path != dbEntry {
			n++
			bytes += f.Size
		}
	}
	return n, bytes
}

// Create writes a backup of the data directory dataDir, whose server may be
// running, to out (gzip-compressed if compress), and returns its manifest.
// out must not exist; it is written under a temporary name, synced, and
// renamed, with mode 0600.
func Create(ctx context.Context, dataDir, out string, compress bool, now time.Time) (*Manifest, error) {
	db := filepath.Join(dataDir, "navette.db")
	if _, err := os.Stat(db); err != nil {
		return nil, navette.WrapError(navette.EINVALID, err, "No SQLite database in %s: backup covers a data directory with SQLite metadata and local blobs; see docs/operations.md for PostgreSQL and S3.", dataDir)
	}
	if _, err := os.Lstat(out); err == nil {
		return nil, navette.Errorf(navette.ECONFLICT, "%s exists: choose a new file for the backup.", out)
	}
	if err := removeStale(dataDir); err != nil {
		return nil, err
	}
	var err error
	for attempt := range Attempts {
		var m *Manifest
		m, err = createOnce(ctx, dataDir, out, compress, now, attempt)
		if err == nil {
			return m, nil
		}
		if !errors.Is(err, ErrBlobGone) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("%w, at each of %d attempts: the platform purges too fast to copy; try again later", err, Attempts)
}

// tmpPattern names the directory of the data directory where a backup
// keeps its copy of the database while it runs (os.MkdirTemp), locked.
const tmpPattern = ".backup-"

// staleAge is how old the directory of a backup must be before another
// takes it for stale: the few instants between making it and locking it.
const staleAge = time.Minute

// removeStale removes the directories that backups killed midway left in
// dataDir: each holds a copy of the database, with the wrapped keys of
// deposits purged since, next to the keys that unwrap them. A directory
// whose lock a running backup holds, or younger than staleAge, stays; so
// do all where the system cannot lock (lockDir).
func removeStale(dataDir string) error {
	dirs, err := filepath.Glob(filepath.Join(dataDir, tmpPattern+"*"))
	if err != nil {
		return err
	}
	for _, dir := range dirs {
		fi, err := os.Lstat(dir)
		if err != nil || !fi.IsDir() || time.Since(fi.ModTime()) < staleAge {
			continue
		}
		lock, err := lockDir(dir)
		if err != nil || lock == nil {
			continue
		}
		err = os.RemoveAll(dir)
		lock.Close()
		if err != nil {
			return navette.WrapError(navette.EINTERNAL, err, "Cannot remove %s, the copy of the database an interrupted backup left: remove it by hand.", dir)
		}
	}
	return nil
}

// beforeCopy, if set, runs after each snapshot, before its blobs are
// copied (tests delete blobs there).
var beforeCopy func(attempt int)

// blob is a blob a snapshot references.
type blob struct {
	key      string
	finished bool
	size     int64 // of an unfinished upload: the length of its blob at the snapshot
}

func createOnce(ctx context.Context, dataDir, out string, compress bool, now time.Time, attempt int) (*Manifest, error) {
	tmpDir, err := os.MkdirTemp(dataDir, tmpPattern)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmpDir)
	lock, err := lockDir(tmpDir)
	if err != nil {
		return nil, err
	}
	if lock != nil {
		defer lock.Close()
	}
	snap := filepath.Join(tmpDir, "navette.db")
	m, blobs, err := snapshot(ctx, dataDir, snap, now)
	if err != nil {
		return nil, err
	}
	if beforeCopy != nil {
		beforeCopy(attempt)
	}
	err = writeArchive(out, compress, func(w io.Writer) error {
		return writeEntries(ctx, w, m, snap, filepath.Join(dataDir, "blobs"), blobs)
	})
	if err != nil {
		return nil, err
	}
	return m, atomicfile.SyncDir(filepath.Dir(out))
}

// writeEntries writes to w the archive of the snapshot at snap, of the
// blobs it references in the disk store in blobDir, and of its manifest m,
// completed with the entries written.
func writeEntries(ctx context.Context, w io.Writer, m *Manifest, snap, blobDir string, blobs []blob) error {
	aw := newArchiveWriter(w, m.CreatedAt)
	if err := aw.addFile(dbEntry, snap, -1); err != nil {
		return err
	}
	for _, b := range blobs {
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := aw.addBlob(blobDir, b); err != nil {
			return err
		}
	}
	m.Files = aw.files
	return aw.finish(m)
}

// snapshot copies the metadata of dataDir to snap and returns the manifest
// of the snapshot, files not listed yet, and the blobs it references.
func snapshot(ctx context.Context, dataDir, snap string, now time.Time) (*Manifest, []blob, error) {
	if err := vacuumInto(ctx, filepath.Join(dataDir, "navette.db"), snap); err != nil {
		return nil, nil, err
	}
	m := &Manifest{Format: Format, CreatedAt: now.UTC().Truncate(time.Second)}
	blobs, err := inspect(ctx, snap, m)
	if err != nil {
		return nil, nil, err
	}
	if m.Verifiers, err = verifierKeys(filepath.Join(dataDir, "keys")); err != nil {
		return nil, nil, err
	}
	return m, blobs, nil
}

// writeArchive writes out, gzip-compressed if compress, with write: under a
// temporary name, synced, then renamed, with mode 0600. out must not exist.
func writeArchive(out string, compress bool, write func(io.Writer) error) (err error) {
	partial := out + ".partial"
	f, err := os.OpenFile(partial, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(partial)
		}
	}()
	var w io.Writer = f
	var zw *gzip.Writer
	if compress {
		zw = gzip.NewWriter(f)
		w = zw
	}
	if err := write(w); err != nil {
		return err
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			return err
		}
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(partial, out)
}

// vacuumInto copies the database at src, in one read transaction, to dst.
func vacuumInto(ctx context.Context, src, dst string) error {
	raw, err := sql.Open("sqlite", src+"?_pragma=busy_timeout(10000)")
	if err != nil {
		return err
	}
	defer raw.Close()
	if _, err := raw.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("backup: snapshot of the metadata: %w", err)
	}
	return os.Chmod(dst, 0o600)
}

// inspect reads the schema version and journal state of the snapshot at
// path into m, and returns the blobs it references.
func inspect(ctx context.Context, path string, m *Manifest) ([]blob, error) {
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		return nil, err
	}
	defer raw.Close()
	if m.Schema, err = schemaVersion(ctx, raw); err != nil {
		return nil, err
	}
	blobs, err := referencedBlobs(ctx, raw)
	if err != nil {
		return nil, err
	}
	if err := raw.Close(); err != nil {
		return nil, err
	}
	m.Journal, err = journalState(ctx, path)
	return blobs, err
}

// referencedBlobs returns the blobs the snapshot raw references, each once.
func referencedBlobs(ctx context.Context, raw *sql.DB) ([]blob, error) {
	// A forwarded file shares the blob of another (blob_id): each blob once.
	// An uploading file shares its blob with none.
	rows, err := raw.QueryContext(ctx, `SELECT COALESCE(blob_id, id) AS blob, MIN(state), MAX(stored_bytes) FROM files
		WHERE blob_deleted = 0 AND ((state IN ('checking', 'stored', 'available', 'rejected') AND key_id <> '')
			OR (state = 'uploading' AND stored_bytes > 0))
		GROUP BY blob ORDER BY blob`)
	if err != nil {
		return nil, fmt.Errorf("backup: blobs of the snapshot: %w", err)
	}
	defer rows.Close()
	var blobs []blob
	for rows.Next() {
		b, err := scanBlob(rows)
		if err != nil {
			return nil, err
		}
		blobs = append(blobs, b)
	}
	return blobs, rows.Err()
}

// scanBlob reads a row of referencedBlobs: key, lowest state and largest
// stored bytes.
func scanBlob(rows *sql.Rows) (blob, error) {
	var b blob
	var state string
	if err := rows.Scan(&b.key, &state, &b.size); err != nil {
		return b, err
	}
	if !navette.ValidID(b.key) {
		return b, fmt.Errorf("backup: the snapshot references a malformed blob key %q", b.key)
	}
	b.finished = state != string(navette.FileUploading)
	if !b.finished {
		// stored_bytes counts plaintext: the blob holds the header and
		// the whole segments; the partial one is in the resume state.
		b.size = seal.SegmentOffset(b.size / seal.SegmentSize)
	}
	return b, nil
}

// schemaVersion returns the migration version of a database.
func schemaVersion(ctx context.Context, raw *sql.DB) (int64, error) {
	var v int64
	if err := raw.QueryRowContext(ctx, `SELECT COALESCE(MAX(version_id), 0) FROM goose_db_version WHERE is_applied`).Scan(&v); err != nil {
		return 0, fmt.Errorf("backup: schema version: %w", err)
	}
	return v, nil
}

// journalState returns the size and root of the journal's tree in the
// database at path, read as it is: no migration runs on a snapshot.
func journalState(ctx context.Context, path string) (JournalState, error) {
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		return JournalState{}, err
	}
	defer raw.Close()
	// Only reads run on it: no constraint can be violated.
	never := func(error) bool { return false }
	s := sqlstore.New(raw, raw, sqlstore.Dialect{Name: "sqlite", IsUniqueViolation: never, IsForeignKeyViolation: never})
	size, err := s.TreeSize(ctx)
	if err != nil {
		return JournalState{}, err
	}
	var root tlog.Hash
	if size > 0 {
		if root, err = tlog.TreeHash(size, proof.HashReader(ctx, s)); err != nil {
			return JournalState{}, fmt.Errorf("backup: journal root: %w", err)
		}
	}
	return JournalState{Size: size, Root: base64.StdEncoding.EncodeToString(root[:])}, raw.Close()
}

// verifierKeys returns the journal's key list in the key directory dir:
// its verifier keys (public), each retired one followed by the line that
// bounds the trees it signed (receipt.RetiredLine), as the platform
// publishes it, so that a restored journal, and a verifier given the
// backup's list, refuse a tree larger than its bound signed by a copy of a
// retired key. A directory without journal keys lists none.
func verifierKeys(dir string) ([]string, error) {
	names, err := filepath.Glob(filepath.Join(dir, "journal-*.pub"))
	if err != nil || len(names) == 0 {
		return nil, err
	}
	verifiers, retired, err := keyring.JournalKeyList(dir)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range verifiers {
		keys = append(keys, k)
		if n, ok := retired[k]; ok {
			keys = append(keys, receipt.RetiredLine(k, n))
		}
	}
	return keys, nil
}

// archiveWriter writes the entries of a backup, hashing each and every
// byte of the archive.
type archiveWriter struct {
	tw    *tar.Writer
	all   hash.Hash // every byte written to the archive
	mtime time.Time
	files []File
}

func newArchiveWriter(w io.Writer, mtime time.Time) *archiveWriter {
	all := sha256.New()
	return &archiveWriter{tw: tar.NewWriter(io.MultiWriter(w, all)), all: all, mtime: mtime}
}

// add writes an entry of size bytes read from r.
func (a *archiveWriter) add(name string, r io.Reader, size int64) error {
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: a.mtime}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(a.tw, h), io.LimitReader(r, size))
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%w: %s is %d bytes, not %d", ErrBlobGone, name, n, size)
	}
	a.files = append(a.files, File{Path: name, Size: size, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// addFile writes the file at path as entry name, its first size bytes
// (size < 0: all of it).
func (a *archiveWriter) addFile(name, path string, size int64) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if size < 0 {
		st, err := f.Stat()
		if err != nil {
			return err
		}
		size = st.Size()
	}
	return a.add(name, f, size)
}

// addBlob writes blob b of the disk store in dir (layout of package disk:
// finished blobs at blobs/<xx>/<key>, unfinished ones at uploads/<key>).
func (a *archiveWriter) addBlob(dir string, b blob) error {
	finished := filepath.Join(dir, "blobs", b.key[:2], b.key)
	if b.finished {
		err := a.addFile(blobPrefix+b.key, finished, -1)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%w: blob %s", ErrBlobGone, b.key)
		}
		return err
	}
	return a.addUpload(dir, b, finished)
}

// addUpload writes the committed bytes of the unfinished upload b of the
// disk store in dir, read from its upload file or, if it finished since
// the snapshot, from its finished blob at finished.
func (a *archiveWriter) addUpload(dir string, b blob, finished string) error {
	// An upload finished since the snapshot starts with the bytes the
	// snapshot had committed.
	for _, p := range []string{filepath.Join(dir, "uploads", b.key), finished} {
		st, err := os.Stat(p)
		if errors.Is(err, fs.ErrNotExist) || (err == nil && st.Size() < b.size) {
			continue
		}
		if err != nil {
			return err
		}
		return a.addFile(uploadPrefix+b.key, p, b.size)
	}
	return fmt.Errorf("%w: upload %s", ErrBlobGone, b.key)
}

// finish writes the manifest and the hash of the archive before the last
// entry, and closes the archive.
func (a *archiveWriter) finish(m *Manifest) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	b = append(b, '\n')
	if err := a.add(manifestEntry, strings.NewReader(string(b)), int64(len(b))); err != nil {
		return err
	}
	if err := a.tw.Flush(); err != nil {
		return err
	}
	sum := hex.EncodeToString(a.all.Sum(nil)) + "\n"
	hdr := &tar.Header{Typeflag: tar.TypeReg, Name: trailerEntry, Size: int64(len(sum)), Mode: 0o600, ModTime: a.mtime, Format: tar.FormatUSTAR}
	if err := a.tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err := io.WriteString(a.tw, sum); err != nil {
		return err
	}
	return a.tw.Close()
}
