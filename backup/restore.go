package backup

import (
	"archive/tar"
	"bufio"
	"bytes"
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
	"os"
	"path/filepath"
	"strings"

	"navette"
	"navette/disk"
	"navette/proof"
	"navette/sqlite"
)

// maxManifest bounds the manifest read into memory (some 2 million blobs).
const maxManifest = 256 << 20

// Restored is what Restore restored and verified.
type Restored struct {
	Manifest *Manifest
	Journal  *navette.JournalCheck // the hash chain, recomputed
	Proof    *proof.Report         // the tree and its signed checkpoints, recomputed
	Keys     int                   // key files restored
}

// Restore restores the backup read from r into the directory dir, which
// must be empty or absent, and the key directory from the export read from
// keys, if not nil. It refuses an archive any byte of which differs from
// what Create wrote, then verifies the journal of the restored metadata
// (hash chain, tree and signed checkpoints) and checks it has the size and
// root the manifest recorded. On any error it leaves dir empty.
func Restore(ctx context.Context, r io.Reader, dir string, keys io.Reader) (_ *Restored, err error) {
	created, err := emptyDir(dir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			empty(dir, created)
		}
	}()
	m, err := extract(ctx, r, dir)
	if err != nil {
		return nil, fmt.Errorf("backup refused: %w", err)
	}
	res := &Restored{Manifest: m}
	if keys != nil {
		if res.Keys, err = ImportKeys(keys, filepath.Join(dir, "keys")); err != nil {
			return nil, err
		}
	}
	if err := verify(ctx, dir, res); err != nil {
		return nil, err
	}
	return res, nil
}

// emptyDir makes sure dir is an empty directory, creating it (mode 0700)
// if absent, and reports whether it did.
func emptyDir(dir string) (bool, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return true, os.MkdirAll(dir, 0o700)
	}
	if err != nil {
		return false, err
	}
	if len(entries) > 0 {
		return false, navette.Errorf(navette.ECONFLICT, "%s is not empty: restore only into an empty directory.", dir)
	}
	return false, nil
}

// empty empties dir, and removes it if created.
func empty(dir string, created bool) {
	if created {
		os.RemoveAll(dir)
		return
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		os.RemoveAll(filepath.Join(dir, e.Name()))
	}
}

// laggedHash passes reads through and hashes every byte but the last
// block read, so that once the reader of the archive has read a header,
// the hash covers exactly the bytes before it.
type laggedHash struct {
	r    io.Reader
	h    hash.Hash
	tail []byte // the last bytes read, up to a block, not hashed yet
}

func (l *laggedHash) Read(p []byte) (int, error) {
	n, err := l.r.Read(p)
	l.tail = append(l.tail, p[:n]...)
	if over := len(l.tail) - 512; over > 0 {
		l.h.Write(l.tail[:over])
		l.tail = append(l.tail[:0], l.tail[over:]...)
	}
	return n, err
}

// extract writes the entries of the archive read from r into dir and
// checks them against the manifest and the archive's hash.
func extract(ctx context.Context, r io.Reader, dir string) (*Manifest, error) {
	x, err := newExtraction(r, dir)
	if err != nil {
		return nil, err
	}
	for {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := x.next()
		if err != nil {
			return nil, err
		}
		if hdr.Name == trailerEntry {
			return x.finish(hdr)
		}
		if err := x.entry(ctx, hdr); err != nil {
			return nil, err
		}
	}
}

// extraction is the state of an archive being extracted: the entries read
// so far, and the manifest once read.
type extraction struct {
	dir      string
	tr       *tar.Reader
	lag      *laggedHash
	blobs    navette.BlobStore
	got      []File
	seen     map[string]bool
	manifest []byte
}

// newExtraction reads the archive from r, gunzipped if it starts as gzip,
// into dir.
func newExtraction(r io.Reader, dir string) (*extraction, error) {
	br := bufio.NewReader(r)
	var src io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, err
		}
		src = zr
	}
	lag := &laggedHash{r: src, h: sha256.New()}
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		return nil, err
	}
	return &extraction{dir: dir, tr: tar.NewReader(lag), lag: lag, blobs: blobs, seen: map[string]bool{}}, nil
}

// next returns the header of the next entry: a regular file, named once.
func (x *extraction) next() (*tar.Header, error) {
	hdr, err := x.tr.Next()
	if err == io.EOF {
		return nil, errors.New("the archive ends before its manifest's hash")
	}
	if err != nil {
		return nil, err
	}
	if hdr.Typeflag != tar.TypeReg || hdr.Size < 0 {
		return nil, fmt.Errorf("unexpected entry %q", hdr.Name)
	}
	if x.seen[hdr.Name] {
		return nil, fmt.Errorf("entry %q twice", hdr.Name)
	}
	x.seen[hdr.Name] = true
	return hdr, nil
}

// finish checks the last entry, hdr, against the archive's hash and the
// entries read against the manifest.
func (x *extraction) finish(hdr *tar.Header) (*Manifest, error) {
	if x.manifest == nil {
		return nil, errors.New("no manifest before its hash")
	}
	if err := checkTrailer(x.tr, hdr, x.lag); err != nil {
		if _, merr := checkManifest(x.manifest, x.got); merr != nil {
			return nil, fmt.Errorf("%w: %w", err, merr)
		}
		return nil, err
	}
	return checkManifest(x.manifest, x.got)
}

// entry reads the entry hdr before the trailer: the manifest, or a file it
// writes and records.
func (x *extraction) entry(ctx context.Context, hdr *tar.Header) error {
	if x.manifest != nil {
		return fmt.Errorf("entry %q after the manifest", hdr.Name)
	}
	if hdr.Name == manifestEntry {
		if hdr.Size > maxManifest {
			return errors.New("manifest too large")
		}
		var err error
		x.manifest, err = io.ReadAll(x.tr)
		return err
	}
	h := sha256.New()
	if err := x.write(ctx, hdr.Name, io.TeeReader(x.tr, h)); err != nil {
		return err
	}
	x.got = append(x.got, File{Path: hdr.Name, Size: hdr.Size, SHA256: hex.EncodeToString(h.Sum(nil))})
	return nil
}

// write writes the entry name, read from in, where it goes in the data
// directory.
func (x *extraction) write(ctx context.Context, name string, in io.Reader) error {
	switch {
	case name == dbEntry:
		return writeFile(filepath.Join(x.dir, dbEntry), in)
	case strings.HasPrefix(name, blobPrefix) && navette.ValidID(name[len(blobPrefix):]):
		return writeBlob(ctx, x.blobs, name[len(blobPrefix):], in, true)
	case strings.HasPrefix(name, uploadPrefix) && navette.ValidID(name[len(uploadPrefix):]):
		return writeBlob(ctx, x.blobs, name[len(uploadPrefix):], in, false)
	}
	return fmt.Errorf("unexpected entry %q", name)
}

// checkTrailer checks the last entry against the hash of the archive before
// it, and that only end-of-archive zeros follow it.
func checkTrailer(tr *tar.Reader, hdr *tar.Header, lag *laggedHash) error {
	want := hex.EncodeToString(lag.h.Sum(nil)) + "\n"
	if hdr.Size != int64(len(want)) {
		return errors.New("malformed manifest hash")
	}
	b := make([]byte, len(want))
	if _, err := io.ReadFull(tr, b); err != nil {
		return err
	}
	if string(b) != want {
		return errors.New("the archive does not match its hash: it is damaged or altered")
	}
	return checkEnd(lag.r, len(want))
}

// checkEnd checks that what follows a trailer of trailerLen bytes, read
// from r, is the padding of its block and the end-of-archive blocks: zeros,
// and no more than written.
func checkEnd(r io.Reader, trailerLen int) error {
	rest, err := io.ReadAll(io.LimitReader(r, 1<<20))
	if err != nil {
		return err
	}
	if len(rest) < 512-trailerLen+1024 || len(rest) == 1<<20 || bytes.ContainsFunc(rest, func(r rune) bool { return r != 0 }) {
		return errors.New("the archive does not end as written: it is damaged or altered")
	}
	return nil
}

// checkManifest parses the manifest and checks it lists exactly the
// entries read.
func checkManifest(b []byte, got []File) (*Manifest, error) {
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	if m.Format != Format {
		return nil, fmt.Errorf("format %q, not %q", m.Format, Format)
	}
	if err := sameFiles(m.Files, got); err != nil {
		return nil, err
	}
	if len(got) == 0 || got[0].Path != dbEntry {
		return nil, errors.New("no metadata database")
	}
	return &m, nil
}

// sameFiles checks the entries got are those the manifest listed, in
// order.
func sameFiles(listed, got []File) error {
	if len(listed) != len(got) {
		return fmt.Errorf("the manifest lists %d files, the archive holds %d", len(listed), len(got))
	}
	for i, f := range listed {
		if f != got[i] {
			return fmt.Errorf("%s does not match the manifest (size %d, SHA-256 %s; listed %d, %s)", got[i].Path, got[i].Size, got[i].SHA256, f.Size, f.SHA256)
		}
	}
	return nil
}

// writeFile writes r to a new file at path (mode 0600) and syncs it.
func writeFile(path string, r io.Reader) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// writeBlob writes r as blob key of s, finished or left unfinished.
func writeBlob(ctx context.Context, s navette.BlobStore, key string, r io.Reader, finished bool) error {
	w, err := s.Append(ctx, key, 0)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	if err == nil {
		err = w.Commit()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil || !finished {
		return err
	}
	return s.Finish(ctx, key)
}

// verify checks the schema version of the restored metadata, verifies its
// journal, and checks the tree is the one the manifest recorded.
func verify(ctx context.Context, dir string, res *Restored) error {
	m := res.Manifest
	path := filepath.Join(dir, dbEntry)
	if err := checkSchema(ctx, path, m.Schema); err != nil {
		return err
	}
	s, err := sqlite.Open(path)
	if err != nil {
		return err
	}
	defer s.Close()
	if res.Journal, err = navette.VerifyJournal(ctx, s, nil); err != nil {
		return err
	}
	if err := verifyTree(ctx, s, res); err != nil {
		return err
	}
	return s.Close()
}

// checkSchema checks the database at path is at the schema version want.
func checkSchema(ctx context.Context, path string, want int64) error {
	raw, err := sql.Open("sqlite", path)
	if err != nil {
		return err
	}
	v, err := schemaVersion(ctx, raw)
	raw.Close()
	if err != nil {
		return err
	}
	if v != want {
		return fmt.Errorf("the metadata is at schema version %d, the manifest says %d", v, want)
	}
	return nil
}

// verifyTree verifies, if the manifest lists the journal's verifier keys,
// the restored journal's tree and signed checkpoints, and checks the tree
// is the one the manifest recorded.
func verifyTree(ctx context.Context, s *sqlite.Store, res *Restored) error {
	m := res.Manifest
	if len(m.Verifiers) == 0 {
		return nil
	}
	var err error
	if res.Proof, err = proof.Verify(ctx, s, m.Verifiers, nil); err != nil {
		return err
	}
	if root := base64.StdEncoding.EncodeToString(res.Proof.Root[:]); res.Proof.Leaves != m.Journal.Size || root != m.Journal.Root {
		return fmt.Errorf("the restored journal's tree has %d leaves and root %s, the manifest says %d and %s", res.Proof.Leaves, root, m.Journal.Size, m.Journal.Root)
	}
	return nil
}
