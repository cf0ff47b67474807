package doctor

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"navette"
	"navette/app"
	"navette/postgres"
	"navette/sqlite"
)

// dbURL returns the metadata store's URL, the default filled in.
func (d *doctor) dbURL() string {
	if d.cfg.DB == "" {
		return "sqlite:" + filepath.Join(d.cfg.DataDir, "navette.db")
	}
	return d.cfg.DB
}

// blobsURL returns the blob store's URL, the default filled in.
func (d *doctor) blobsURL() string {
	if d.cfg.Blobs == "" {
		return "file://" + filepath.Join(d.cfg.DataDir, "blobs")
	}
	return d.cfg.Blobs
}

// database checks that the metadata store answers and that its schema is
// this binary's, without migrating it.
func (d *doctor) database(ctx context.Context) Check {
	const name = "database"
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	url := d.dbURL()
	scheme, rest, _ := strings.Cut(url, ":")
	var (
		current, latest int64
		err             error
		where           string
	)
	switch scheme {
	case "sqlite":
		where = strings.TrimPrefix(rest, "//")
		fi, serr := os.Stat(where)
		if serr != nil {
			return d.missing(name, "%s does not exist: navette serve creates it at its first start", where)
		}
		if p := foreign(where, fi); p != "" {
			return fail(name, "%s", p)
		}
		current, latest, err = sqlite.SchemaVersion(ctx, where)
	case "postgres", "postgresql":
		where = redactURL(url)
		current, latest, err = postgres.SchemaVersion(ctx, url)
	default:
		return fail(name, "unknown database scheme %q: use sqlite:PATH or postgres://HOST/DB", scheme)
	}
	return schemaCheck(name, where, current, latest, err)
}

// schemaCheck compares the schema version current of the database where,
// read with err, with latest, this binary's.
func schemaCheck(name, where string, current, latest int64, err error) Check {
	switch {
	case err != nil:
		return fail(name, "%s: %s", where, message(err))
	case current < latest:
		return warn(name, "%s answers; schema version %d, this navette's is %d: navette serve applies the missing migrations as it starts", where, current, latest)
	case current > latest:
		return fail(name, "%s answers; schema version %d is newer than this navette's (%d): run the newer navette", where, current, latest)
	}
	return ok(name, "%s answers; schema version %d, the latest", where, current)
}

// foreign says why doctor must not touch a file or directory another
// user owns, or "": what it would create there (a probe's directories,
// SQLite's -shm file) would belong to the wrong user and stop the server.
func foreign(path string, fi os.FileInfo) string {
	if uid := owner(fi); uid != os.Geteuid() {
		return fmt.Sprintf("%s is owned by uid %d, not by uid %d running doctor: run it as the user navette runs as (sudo -u USER navette doctor …), so that it creates nothing the server could not use", path, uid, os.Geteuid())
	}
	return ""
}

// probeSize is the size of the object the blob check writes.
const probeSize = 64 << 10

// blobs checks that the blob store takes, gives back and deletes an
// object, and the free space left above the reserve.
func (d *doctor) blobs(ctx context.Context) Check {
	const name = "blob store"
	ctx, cancel := context.WithTimeout(ctx, d.timeout)
	defer cancel()
	where := redactURL(d.blobsURL())
	if p, absent := d.blobDirProblem(where); absent {
		return d.missing(name, "%s", p)
	} else if p != "" {
		return fail(name, "%s", p)
	}
	store, err := app.OpenBlobs(d.cfg.Blobs, d.cfg.DataDir)
	if err != nil {
		return fail(name, "%s: %s", where, message(err))
	}
	if c, ok := store.(io.Closer); ok {
		defer c.Close()
	}
	if err := probe(ctx, store); err != nil {
		return fail(name, "%s: write, read back and delete of a probe object failed: %s", where, message(err))
	}
	sr, reports := store.(navette.SpaceReporter)
	if !reports {
		return ok(name, "%s: probe object written, read back and deleted; an object store: free space not checked", where)
	}
	return d.space(ctx, name, where, sr)
}

// blobDirProblem says why doctor must not probe the directory of a
// file:// blob store, shown as where: it is missing (absent is then true)
// or another user's; "" if it may, or the store is not a directory.
func (d *doctor) blobDirProblem(where string) (problem string, absent bool) {
	dir, isFile := strings.CutPrefix(d.blobsURL(), "file://")
	if !isFile {
		return "", false
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return fmt.Sprintf("%s: %s: navette serve creates it at its first start", where, message(err)), errors.Is(err, fs.ErrNotExist)
	}
	return foreign(dir, fi), false
}

// space checks the free space sr reports against the reserve.
func (d *doctor) space(ctx context.Context, name, where string, sr navette.SpaceReporter) Check {
	sp, err := sr.Space(ctx)
	if err != nil {
		return fail(name, "%s: probe object written, read back and deleted, but the free space is unknown: %s", where, message(err))
	}
	minFree := d.cfg.MinFree
	if minFree == "" {
		minFree = navette.DefaultReserve
	}
	reserve, err := navette.ParseReserve(minFree)
	if err != nil {
		return fail(name, "--min-free: %s", navette.ErrorMessage(err))
	}
	keep := reserve.Of(sp.Total)
	free, total := navette.FormatSize(sp.Free), navette.FormatSize(sp.Total)
	switch {
	case sp.Free < keep:
		return fail(name, "%s: %s free of %s, under the reserve of %s (--min-free %s): uploads are refused (507) and /readyz answers 503", where, free, total, navette.FormatSize(keep), minFree)
	case sp.Free-keep < keep:
		return warn(name, "%s: writable; %s free of %s, close to the reserve of %s (--min-free %s)", where, free, total, navette.FormatSize(keep), minFree)
	}
	return ok(name, "%s: writable; %s free of %s, reserve %s (--min-free %s)", where, free, total, navette.FormatSize(keep), minFree)
}

// probe writes a random object, reads it back, compares and deletes it.
func probe(ctx context.Context, store navette.BlobStore) (err error) {
	key := navette.NewID()
	data := make([]byte, probeSize)
	_, _ = rand.Read(data)
	defer func() {
		if derr := store.Delete(context.WithoutCancel(ctx), key); derr != nil && err == nil {
			err = derr
		}
	}()
	if err := writeProbe(ctx, store, key, data); err != nil {
		return err
	}
	return readProbe(ctx, store, key, data)
}

// writeProbe writes data as the object key and finishes it.
func writeProbe(ctx context.Context, store navette.BlobStore, key string, data []byte) error {
	w, err := store.Append(ctx, key, 0)
	if err != nil {
		return err
	}
	if _, err := w.Write(data); err != nil {
		w.Close()
		return err
	}
	if err := w.Commit(); err != nil {
		w.Close()
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return store.Finish(ctx, key)
}

// readProbe reads the object key back and compares it with data.
func readProbe(ctx context.Context, store navette.BlobStore, key string, data []byte) error {
	r, err := store.Open(ctx, key, 0, -1)
	if err != nil {
		return err
	}
	defer r.Close()
	back, err := io.ReadAll(io.LimitReader(r, probeSize+1))
	if err != nil {
		return err
	}
	if !bytes.Equal(back, data) {
		return navette.Errorf(navette.EINTERNAL, "The probe object read back differs from what was written.")
	}
	return nil
}
