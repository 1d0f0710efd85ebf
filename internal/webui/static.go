package webui

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
)

//go:embed static
var staticFS embed.FS

// asset is one embedded file, with its gzipped form and content hash.
type asset struct {
	body, gzipped []byte
	hash          string // first 16 hex digits of its SHA-256
	contentType   string
}

// assets serves the embedded static files under /ui/static/.
type assets struct {
	byName map[string]*asset // by path below static/
}

// mustLoadAssets reads, hashes and compresses every embedded asset; the
// files are part of the binary, so a failure is a build error.
func mustLoadAssets() *assets {
	a := &assets{byName: map[string]*asset{}}
	err := fs.WalkDir(staticFS, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := staticFS.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(body)
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		zw.Write(body)
		if err := zw.Close(); err != nil {
			return err
		}
		ct := mime.TypeByExtension(path.Ext(p))
		if ct == "" {
			ct = "application/octet-stream"
		}
		a.byName[strings.TrimPrefix(p, "static/")] = &asset{body: body, gzipped: gz.Bytes(),
			hash: hex.EncodeToString(sum[:8]), contentType: ct}
		return nil
	})
	if err != nil {
		panic(fmt.Sprintf("webui: loading embedded assets: %v", err))
	}
	return a
}

// url is the address of an asset, with its content hash as the query so
// that it can be cached forever.
func (a *assets) url(name string) string {
	f := a.byName[name]
	if f == nil {
		panic("webui: no asset " + name) // templates name only embedded files
	}
	return "/ui/static/" + name + "?v=" + f.hash
}

// ServeHTTP serves an asset, gzipped when the client accepts it. A request
// with the current content hash may be cached as immutable; others
// (an old or no hash) must revalidate.
func (a *assets) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f := a.byName[r.PathValue("file")]
	if f == nil {
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.contentType)
	h.Set("Vary", "Accept-Encoding")
	h.Set("ETag", `"`+f.hash+`"`)
	if r.URL.Query().Get("v") == f.hash {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	if inm := r.Header.Get("If-None-Match"); inm != "" && strings.Contains(inm, `"`+f.hash+`"`) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	body := f.body
	if acceptsGzip(r.Header.Get("Accept-Encoding")) {
		h.Set("Content-Encoding", "gzip")
		body = f.gzipped
	}
	h.Set("Content-Length", strconv.Itoa(len(body)))
	if r.Method == http.MethodHead {
		return
	}
	w.Write(body)
}

// acceptsGzip reports whether an Accept-Encoding header allows gzip (a
// q=0 refuses it).
func acceptsGzip(header string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), "gzip") {
			continue
		}
		q := strings.ReplaceAll(params, " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
