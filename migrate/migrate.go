// Package migrate moves a deployment from one pair of stores to another —
// typically from the embedded default (SQLite and a local disk) to
// PostgreSQL and an S3-compatible store — while the source keeps serving.
//
// A run copies the metadata (inserting what is missing, updating what
// changed, keeping the journal's sequence numbers) and then every stored
// blob the target lacks, verifying each copy by the SHA-256 of its bytes
// read back from the target. Runs can be repeated and interrupted: each
// copies only what is missing or changed. The switch is then a short
// final pass (Final) with the server stopped, after which uploads still in
// progress restart from their first byte. Blobs are copied sealed: the keys
// directory must be copied to the new nodes as it is.
package migrate

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"navette"
	"navette/app"
	"navette/seal"
	"navette/sqlstore"
)

// Options says what to move where.
type Options struct {
	FromDB, FromBlobs string // source URLs ("" with FromDataDir: its embedded default)
	FromDataDir       string
	ToDB, ToBlobs     string // target URLs
	// Final is the last pass, run with the source server stopped: uploads
	// still in progress are reset in the target so their clients restart
	// them.
	Final bool
	// Verify re-reads and compares every blob already in the target, not
	// only those copied by this run.
	Verify  bool
	Workers int // blobs copied at once (default 4)
	Log     *slog.Logger
}

// Stats says what a run did.
type Stats struct {
	Rows         map[string]int
	BlobsCopied  int
	BlobsPresent int // already in the target, checked
	Bytes        int64
	UploadsReset int
}

// sqlStore is a metadata store built on sqlstore (SQLite, PostgreSQL).
type sqlStore interface {
	navette.MetaStore
	SQL() *sqlstore.Store
}

// Run performs one pass. It refuses stores whose schemas differ.
func Run(ctx context.Context, o Options) (Stats, error) {
	st := Stats{Rows: map[string]int{}}
	if err := o.check(); err != nil {
		return st, err
	}
	fromMeta, err := app.OpenMeta(o.FromDB, o.FromDataDir)
	if err != nil {
		return st, fmt.Errorf("source database: %w", err)
	}
	defer fromMeta.Close()
	toMeta, err := app.OpenMeta(o.ToDB, "")
	if err != nil {
		return st, fmt.Errorf("target database: %w", err)
	}
	defer toMeta.Close()
	fromBlobs, toBlobs, err := openBlobs(o)
	if err != nil {
		return st, err
	}
	src, dst, err := sqlStores(fromMeta, toMeta)
	if err != nil {
		return st, err
	}
	if err := copyMetadata(ctx, o, src, dst, &st); err != nil {
		return st, err
	}
	files, err := listFiles(ctx, src)
	if err != nil {
		return st, err
	}
	if err := copyBlobs(ctx, o, files, fromBlobs, toBlobs, &st); err != nil {
		return st, err
	}
	if o.Final {
		return st, resetUploads(ctx, files, toMeta, toBlobs, &st)
	}
	return st, nil
}

// openBlobs opens the source and the target blob stores.
func openBlobs(o Options) (from, to navette.BlobStore, err error) {
	from, err = app.OpenBlobs(o.FromBlobs, o.FromDataDir)
	if err != nil {
		return nil, nil, fmt.Errorf("source blobs: %w", err)
	}
	to, err = app.OpenBlobs(o.ToBlobs, "")
	if err != nil {
		return nil, nil, fmt.Errorf("target blobs: %w", err)
	}
	return from, to, nil
}

// sqlStores returns the SQL stores under the source and target metadata
// stores, refusing any other kind.
func sqlStores(from, to navette.MetaStore) (src, dst *sqlstore.Store, err error) {
	a, ok1 := from.(sqlStore)
	b, ok2 := to.(sqlStore)
	if !ok1 || !ok2 {
		return nil, nil, navette.Errorf(navette.EINVALID, "Both databases must be SQL stores.")
	}
	return a.SQL(), b.SQL(), nil
}

// check fills in the defaults of o and checks it names a source and a
// target.
func (o *Options) check() error {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.ToDB == "" || o.ToBlobs == "" {
		return navette.Errorf(navette.EINVALID, "Both the target database and the target blob store are required.")
	}
	if o.FromDataDir == "" && (o.FromDB == "" || o.FromBlobs == "") {
		return navette.Errorf(navette.EINVALID, "Name the source by its data directory or by its database and blob store.")
	}
	return nil
}

// copyMetadata copies every table of src to dst, at the same schema
// version, counting the rows in st, then has PostgreSQL analyze them.
func copyMetadata(ctx context.Context, o Options, src, dst *sqlstore.Store, st *Stats) error {
	if err := sameSchema(ctx, src, dst); err != nil {
		return err
	}
	o.Log.Info("copying metadata")
	err := dst.CopyFrom(ctx, src, sqlstore.Tables, func(table string, n int) {
		st.Rows[table] = n
		o.Log.Info("copied", "table", table, "rows", n)
	})
	if err != nil || dst.Dialect().Name != "postgres" {
		return err
	}
	// SQLite plans well without statistics; PostgreSQL needs them.
	o.Log.Info("analyzing the target database")
	return dst.Analyze(ctx)
}

// resetUploads makes the uploads of the final pass start again from
// nothing in the target: no committed bytes, no blob.
func resetUploads(ctx context.Context, files []fileRow, meta navette.MetaStore, blobs navette.BlobStore, st *Stats) error {
	for _, f := range files {
		if f.state != navette.FileUploading {
			continue
		}
		err := meta.UpdateFile(ctx, f.id, func(r *navette.FileRecord) ([]navette.Event, error) {
			r.Offset, r.Resume, r.SHA256 = 0, nil, nil
			return nil, nil
		})
		if err != nil {
			return err
		}
		if err := blobs.Delete(ctx, f.id); err != nil {
			return err
		}
		st.UploadsReset++
	}
	return nil
}

// sameSchema refuses to copy between databases at different migration
// versions.
func sameSchema(ctx context.Context, a, b *sqlstore.Store) error {
	version := func(s *sqlstore.Store) (int64, error) {
		var v int64
		err := s.ReadDB().QueryRowContext(ctx, "SELECT max(version_id) FROM goose_db_version").Scan(&v)
		return v, err
	}
	va, err := version(a)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "Cannot read the source's schema version.")
	}
	vb, err := version(b)
	if err != nil {
		return navette.WrapError(navette.EINTERNAL, err, "Cannot read the target's schema version.")
	}
	if va != vb {
		return navette.Errorf(navette.EINVALID, "The source schema is at version %d and the target at %d: run both with the same navette.", va, vb)
	}
	return nil
}

type fileRow struct {
	id    string
	blob  string // the key of its blob: its id, or that of the file it shares it with
	state navette.FileState
	size  int64
	gone  bool // blob deleted
}

func listFiles(ctx context.Context, s *sqlstore.Store) ([]fileRow, error) {
	rows, err := s.ReadDB().QueryContext(ctx, "SELECT id, COALESCE(blob_id, id), state, size, blob_deleted FROM files ORDER BY id")
	if err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	defer rows.Close()
	var out []fileRow
	for rows.Next() {
		var f fileRow
		var gone int64
		if err := rows.Scan(&f.id, &f.blob, &f.state, &f.size, &gone); err != nil {
			return nil, navette.WrapError(navette.EINTERNAL, err, "")
		}
		f.gone = gone != 0
		out = append(out, f)
	}
	if err := rows.Err(); err != nil {
		return nil, navette.WrapError(navette.EINTERNAL, err, "")
	}
	return out, nil
}

// copyBlobs copies, with o.Workers at once, every finished blob the target
// lacks.
func copyBlobs(ctx context.Context, o Options, files []fileRow, from, to navette.BlobStore, st *Stats) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	work := make(chan fileRow)
	t := &tally{st: st}
	var wg sync.WaitGroup
	for range o.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			copyEach(ctx, cancel, o, work, from, to, t)
		}()
	}
	feedBlobs(ctx, files, work)
	close(work)
	wg.Wait()
	return context.Cause(ctx) // a worker's error, the caller's cancellation, or nil
}

// tally counts in st the blobs that workers running at once copied or
// found present.
type tally struct {
	mu sync.Mutex
	st *Stats
}

// add counts a blob, copied (of n bytes) or found present.
func (t *tally) add(copied bool, n int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if copied {
		t.st.BlobsCopied++
		t.st.Bytes += n
	} else {
		t.st.BlobsPresent++
	}
}

// copyEach copies the blobs of the files received on work until it is
// closed, or until a copy fails: it then cancels the run with its error.
func copyEach(ctx context.Context, cancel context.CancelCauseFunc, o Options, work <-chan fileRow, from, to navette.BlobStore, t *tally) {
	for f := range work {
		copied, n, err := copyBlob(ctx, o, f, from, to)
		if err != nil {
			cancel(fmt.Errorf("blob of file %s: %w", f.id, err))
			return
		}
		t.add(copied, n)
	}
}

// feedBlobs sends on work each file with a finished blob, one file per
// blob (a blob shared by forwards is copied once), until ctx is done.
func feedBlobs(ctx context.Context, files []fileRow, work chan<- fileRow) {
	fed := map[string]bool{}
	for _, f := range files {
		if f.gone || fed[f.blob] || !f.finished() {
			continue
		}
		fed[f.blob] = true
		select {
		case work <- f:
		case <-ctx.Done():
			return
		}
	}
}

// finished reports whether f's upload is over: its blob is whole.
func (f fileRow) finished() bool {
	switch f.state {
	case navette.FileChecking, navette.FileStored, navette.FileAvailable:
		return true
	}
	return false
}

// copyBlob copies one blob unless the target has it whole already.
func copyBlob(ctx context.Context, o Options, f fileRow, from, to navette.BlobStore) (copied bool, n int64, err error) {
	sealed := seal.SealedSize(f.size)
	present, err := hasBlob(ctx, to, f.blob, sealed)
	if err != nil {
		return false, 0, err
	}
	if present && !o.Verify {
		return false, 0, nil
	}
	want, err := blobHash(ctx, from, f.blob, sealed)
	if err != nil {
		return false, 0, fmt.Errorf("reading the source: %w", err)
	}
	if present {
		if same, err := sameOrDelete(ctx, o, to, f.blob, sealed, want); same || err != nil {
			return false, 0, err
		}
	}
	if n, err = copyChecked(ctx, o, from, to, f.blob, sealed, want); err != nil {
		return false, 0, err
	}
	return true, n, nil
}

// copyChecked copies the blob id of sealed bytes from one store to the
// other and reads it back, keeping it only if it has the hash want.
func copyChecked(ctx context.Context, o Options, from, to navette.BlobStore, id string, sealed int64, want [32]byte) (int64, error) {
	n, err := writeCopy(ctx, from, to, id, sealed)
	if err != nil {
		return 0, err
	}
	if err := checkCopy(ctx, to, id, sealed, want); err != nil {
		return 0, err
	}
	o.Log.Info("copied blob", "file", id, "bytes", n)
	return n, nil
}

// sameOrDelete reports whether the blob id of the target has the hash
// want, and deletes it if not, to be copied again.
func sameOrDelete(ctx context.Context, o Options, to navette.BlobStore, id string, sealed int64, want [32]byte) (bool, error) {
	got, err := blobHash(ctx, to, id, sealed)
	if err == nil && got == want {
		return true, nil
	}
	o.Log.Warn("target blob differs from the source; copying it again", "file", id)
	return false, to.Delete(ctx, id)
}

// writeCopy copies the blob id of sealed bytes from one store to the other
// and finishes it; it deletes what it wrote if the copy fails.
func writeCopy(ctx context.Context, from, to navette.BlobStore, id string, sealed int64) (int64, error) {
	r, err := from.Open(ctx, id, 0, -1)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	w, err := to.Append(ctx, id, 0)
	if err != nil {
		return 0, err
	}
	n, err := writeAll(w, r)
	if err == nil && n != sealed {
		err = fmt.Errorf("copied %d bytes, want %d", n, sealed)
	}
	if err != nil {
		to.Delete(context.WithoutCancel(ctx), id)
		return 0, err
	}
	return n, to.Finish(ctx, id)
}

// writeAll copies r to w, commits and closes it, and returns how many bytes
// it copied.
func writeAll(w navette.BlobWriter, r io.Reader) (int64, error) {
	n, err := io.Copy(w, r)
	if err == nil {
		err = w.Commit()
	}
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	return n, err
}

// checkCopy reads back the copied blob id and deletes it unless it has the
// hash want.
func checkCopy(ctx context.Context, to navette.BlobStore, id string, sealed int64, want [32]byte) error {
	got, err := blobHash(ctx, to, id, sealed)
	if err != nil || got != want {
		to.Delete(context.WithoutCancel(ctx), id)
		if err == nil {
			err = errors.New("the copy read back differs from the source")
		}
		return err
	}
	return nil
}

// hasBlob reports whether the target holds a finished blob of the expected
// length.
func hasBlob(ctx context.Context, s navette.BlobStore, id string, sealed int64) (bool, error) {
	r, err := s.Open(ctx, id, sealed-1, -1)
	if navette.IsCode(err, navette.ENOTFOUND) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	return err == nil && len(b) == 1, nil
}

// blobHash returns the SHA-256 of a finished blob's sealed bytes, checking
// its length.
func blobHash(ctx context.Context, s navette.BlobStore, id string, sealed int64) ([32]byte, error) {
	var sum [32]byte
	r, err := s.Open(ctx, id, 0, -1)
	if err != nil {
		return sum, err
	}
	defer r.Close()
	h := sha256.New()
	n, err := io.Copy(h, r)
	if err != nil {
		return sum, err
	}
	if n != sealed {
		return sum, fmt.Errorf("blob is %d bytes, want %d", n, sealed)
	}
	copy(sum[:], h.Sum(nil))
	return sum, nil
}
