package app

import (
	"path/filepath"
	"strings"

	"navette"
	"navette/disk"
	"navette/sqlite"
)

// OpenMeta opens the metadata store named by url: "sqlite:PATH". An empty
// url means sqlite:DATADIR/navette.db.
func OpenMeta(url, dataDir string) (navette.MetaStore, error) {
	if url == "" {
		url = "sqlite:" + filepath.Join(dataDir, "navette.db")
	}
	scheme, rest, _ := strings.Cut(url, ":")
	switch scheme {
	case "sqlite":
		return sqlite.Open(strings.TrimPrefix(rest, "//"))
	}
	return nil, navette.Errorf(navette.EINVALID, "Unknown database %q: use sqlite:PATH.", url)
}

// OpenBlobs opens the blob store named by url: "file://PATH". An empty url
// means file://DATADIR/blobs.
func OpenBlobs(url, dataDir string) (navette.BlobStore, error) {
	if url == "" {
		url = "file://" + filepath.Join(dataDir, "blobs")
	}
	scheme, rest, _ := strings.Cut(url, "://")
	switch scheme {
	case "file":
		return disk.Open(rest)
	}
	return nil, navette.Errorf(navette.EINVALID, "Unknown blob store %q: use file://PATH.", url)
}
