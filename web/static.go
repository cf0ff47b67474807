package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
	"time"
)

//go:embed static
var staticFS embed.FS

// asset is a static file, with the hash that versions its URL.
type asset struct {
	data  []byte
	hash  string // first 16 hex digits of its SHA-256
	ctype string
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
		b, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		files[strings.TrimPrefix(p, "static/")] = &asset{data: b, hash: hex.EncodeToString(sum[:8]), ctype: ct}
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
	return "/static/" + name + "?v=" + a.hash
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
	hd.Set("ETag", `"`+a.hash+`"`)
	if r.URL.Query().Get("v") == a.hash {
		hd.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		hd.Set("Cache-Control", "no-cache")
	}
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(a.data))
}
