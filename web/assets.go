package web

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
)

// The page's template and its static files, embedded: the page works
// offline and needs nothing from another site.
var (
	//go:embed templates/*.html
	templateFiles embed.FS
	//go:embed static
	staticFiles embed.FS
)

// asset is one static file, with its content type and a hash of its bytes
// that versions its address and serves as its ETag.
type asset struct {
	data  []byte
	ctype string
	hash  string
}

// assets maps a static file's name ("mmdbot.css") to the file.
var assets = loadAssets()

// contentTypes are the types of the static files, fixed here rather than
// read from the system's MIME tables.
var contentTypes = map[string]string{
	".css": "text/css; charset=utf-8",
	".js":  "text/javascript; charset=utf-8",
	".svg": "image/svg+xml",
	".png": "image/png",
}

func loadAssets() map[string]asset {
	out := map[string]asset{}
	err := fs.WalkDir(staticFiles, "static", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := staticFiles.ReadFile(p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		ctype, ok := contentTypes[path.Ext(p)]
		if !ok {
			ctype = http.DetectContentType(data)
		}
		out[strings.TrimPrefix(p, "static/")] = asset{data: data, ctype: ctype, hash: hex.EncodeToString(sum[:8])}
		return nil
	})
	if err != nil {
		panic("web: embedded static files: " + err.Error())
	}
	return out
}

// assetURL is the address of a static file relative to the page, with its
// version: "static/mmdbot.css?v=…".
func assetURL(name string) (string, error) {
	a, ok := assets[name]
	if !ok {
		return "", &fs.PathError{Op: "find asset", Path: name, Err: fs.ErrNotExist}
	}
	return "static/" + name + "?v=" + a.hash, nil
}

// AssetURL is the absolute address of one of the page's static files, with
// its version: "/static/mmdbot.css?v=…". Other pages of the same server
// (the review page at /admin) link the page's stylesheet and icon with it,
// so that they share its look. It fails for a file the page does not have.
func AssetURL(name string) (string, error) {
	u, err := assetURL(name)
	if err != nil {
		return "", err
	}
	return "/" + u, nil
}

// templates is the page's template set, parsed once.
var templates = template.Must(template.New("page").Funcs(template.FuncMap{
	"asset": assetURL,
	"date":  displayDate,
	"days":  days,
	"ownerName": func(o knowledge.Owner) string {
		if o == knowledge.OwnerCustomer {
			return "your organisation"
		}
		return o.Label()
	},
	"ownerChoice": func(o knowledge.Owner) string {
		switch o {
		case "":
			return "All owners"
		case knowledge.OwnerShared:
			return "Shared"
		}
		return o.Label()
	},
}).ParseFS(templateFiles, "templates/*.html"))

// Static returns the handler of GET /static/…: the page's embedded CSS,
// script and icon. It strips the /static/ prefix itself. An address with
// the current version (?v=) may be cached for a year; others for an hour,
// and an ETag lets browsers check cheaply.
func (s *Site) Static() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		if !allowMethod(w, r) {
			s.refuse(r.Context(), "method")
			writePlain(w, http.StatusMethodNotAllowed, "Only GET and HEAD are allowed here.")
			return
		}
		name := strings.TrimPrefix(r.URL.Path, "/static/")
		name = strings.TrimPrefix(name, "/")
		a, ok := assets[name]
		if !ok {
			writePlain(w, http.StatusNotFound, "There is no such file.")
			return
		}
		h.Set("Content-Type", a.ctype)
		h.Set("ETag", `"`+a.hash+`"`)
		if r.URL.Query().Get("v") == a.hash {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=3600")
		}
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(a.data))
	})
}
