package app

import (
	"cmp"
	"context"
	"path/filepath"
	"strings"
	"time"

	"navette"
	"navette/disk"
	"navette/postgres"
	"navette/s3"
	"navette/sqlite"
)

// OpenMeta opens the metadata store named by url: "sqlite:PATH", or a
// PostgreSQL URL "postgres://…" or "postgresql://…". An empty url means
// sqlite:DATADIR/navette.db. A PostgreSQL store also provides the upload
// locker that several nodes need (Locker() navette.UploadLocker), which Listen uses.
func OpenMeta(url, dataDir string) (navette.MetaStore, error) {
	url = cmp.Or(url, "sqlite:"+filepath.Join(dataDir, "navette.db"))
	scheme, rest, _ := strings.Cut(url, ":")
	switch scheme {
	case "sqlite":
		return sqlite.Open(strings.TrimPrefix(rest, "//"))
	case "postgres", "postgresql":
		// Bounds the connection and the wait for other nodes migrating.
		s, err := openWithin(2*time.Minute, url, postgres.Open)
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	// Name only the scheme: a URL may carry a password.
	return nil, navette.Errorf(navette.EINVALID, "Unknown database scheme %q: use sqlite:PATH or postgres://HOST/DB.", scheme)
}

// OpenBlobs opens the blob store named by url: "file://PATH", or an
// S3-compatible bucket "s3://BUCKET?endpoint=HOST:PORT&…" (parameters at
// s3.ParseURL; credentials from NAVETTE_S3_ACCESS_KEY and
// NAVETTE_S3_SECRET_KEY), which spools the parts it has no part buffer
// for (part_buffers, s3.DefaultPartBuffers without it) to DATADIR/tmp (the
// system's temporary directory without a data directory).
// An empty url means file://DATADIR/blobs.
func OpenBlobs(url, dataDir string) (navette.BlobStore, error) {
	url = cmp.Or(url, "file://"+filepath.Join(dataDir, "blobs"))
	scheme, rest, _ := strings.Cut(url, "://")
	switch scheme {
	case "file":
		return disk.Open(rest)
	case "s3":
		// Bounds the check that the bucket is there.
		s, err := openWithin(time.Minute, url, func(ctx context.Context, url string) (*s3.Store, error) {
			return s3.OpenSpooling(ctx, url, spoolDir(dataDir))
		})
		if err != nil {
			return nil, err
		}
		return s, nil
	}
	return nil, navette.Errorf(navette.EINVALID, "Unknown blob store scheme %q: use file://PATH or s3://BUCKET?endpoint=HOST:PORT.", scheme)
}

// spoolDir is the spool directory of an S3 blob store for the data
// directory dataDir: none (the system's) if dataDir is empty.
func spoolDir(dataDir string) string {
	if dataDir == "" {
		return ""
	}
	return filepath.Join(dataDir, "tmp")
}

// openWithin calls open on url with a context that ends after d.
func openWithin[S any](d time.Duration, url string, open func(context.Context, string) (S, error)) (S, error) {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return open(ctx, url)
}
