package web

import (
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is a static file, with the hash that versions its URL. Its bytes
// stay in the binary (staticFS) and are read when it is first served or
// linked: a copy on the heap, or reading them all at start, would hold
// ~2 MB for the life of the process, most of it fonts and styles of the
// theme not in use.
type asset struct {
	path  string        // in staticFS
	hash  func() string // first 16 hex digits of its SHA-256
	ctype string
}

// newAsset returns the asset at p in staticFS, of type ctype.
func newAsset(p, ctype string) *asset {
	return &asset{path: p, ctype: ctype, hash: sync.OnceValue(func() string {
		f, err := staticFS.Open(p)
		if err == nil {
			defer f.Close()
			h := sha256.New()
			if _, err = io.Copy(h, f); err == nil {
				return hex.EncodeToString(h.Sum(nil)[:8])
			}
		}
		panic("web: static file " + p + ": " + err.Error())
	})}
}

// servedTypes are the kinds of files /static/ serves; anything else in the
// tree (licences, manifests) is not served.
var servedTypes = map[string]string{
	".css":         "text/css; charset=utf-8",
	".js":          "text/javascript; charset=utf-8",
	".svg":         "image/svg+xml",
	".png":         "image/png",
	".ico":         "image/x-icon",
	".woff2":       "font/woff2",
	".webmanifest": "application/manifest+json",
}

func loadAssets() (map[string]*asset, error) {
	files := map[string]*asset{}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		ct, ok := servedTypes[path.Ext(p)]
		if !ok {
			return nil
		}
		files[strings.TrimPrefix(p, "static/")] = newAsset(p, ct)
		return nil
	})
	mime.AddExtensionType(".woff2", "font/woff2")
	return files, err
}

// assetURL returns the URL of a static file, versioned by its content so
// that it can be cached for good.
func (h *Handler) assetURL(name string) string {
	a := h.files[name]
	if a == nil {
		panic("web: no static file " + name)
	}
	return "/static/" + name + "?v=" + a.hash()
}

// serveStatic serves an embedded file. A URL carrying the file's current
// version is cached for a year; any other is revalidated by ETag.
// assetCSP is the policy of what is not a page (assets, the statistics
// chart): opened alone, such a file runs nothing and may not be framed.
const assetCSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox"

func (h *Handler) serveStatic(w http.ResponseWriter, r *http.Request) {
	if err := h.init(); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	a := h.files[r.PathValue("path")]
	if a == nil {
		w.Header().Set("Cache-Control", "no-store")
		http.NotFound(w, r)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", a.ctype)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Content-Security-Policy", assetCSP)
	hd.Set("Cross-Origin-Resource-Policy", "same-origin")
	v := a.hash()
	hd.Set("ETag", `"`+v+`"`)
	if r.URL.Query().Get("v") == v {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	f, err := staticFS.Open(a.path)
	if err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	defer f.Close()
	http.ServeContent(w, r, "", time.Time{}, f.(io.ReadSeeker))
}
