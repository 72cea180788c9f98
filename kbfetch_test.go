package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/mmdbot/mmdbot/internal/pagetest"
	"github.com/mmdbot/mmdbot/knowledge"
)

// upstreamPage serves a page as GitHub's raw server does (text/plain, an
// ETag, 304 to a request naming it) and counts the full downloads; set
// changes what it serves.
type upstreamPage struct {
	page      atomic.Pointer[[]byte]
	version   atomic.Int64
	downloads atomic.Int64
	// gone, set, answers 404.
	gone atomic.Bool
}

func newUpstream(t *testing.T, page []byte) (*upstreamPage, string) {
	t.Helper()
	u := &upstreamPage{}
	u.set(page)
	srv := httptest.NewServer(u)
	t.Cleanup(srv.Close)
	return u, srv.URL + "/page.md"
}

func (u *upstreamPage) set(page []byte) {
	u.page.Store(&page)
	u.version.Add(1)
}

func (u *upstreamPage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if u.gone.Load() {
		http.NotFound(w, r)
		return
	}
	etag := fmt.Sprintf(`"v%d"`, u.version.Load())
	w.Header().Set("ETag", etag)
	if r.Header.Get("If-None-Match") == etag {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	u.downloads.Add(1)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write(*u.page.Load())
}

// TestKBFetchDiff: without --out, kb fetch prints how the published page
// differs from the knowledge in use, as kb diff does.
func TestKBFetchDiff(t *testing.T) {
	_, url := newUpstream(t, pagetest.Find("removed").Page())
	out, errOut, status := runKB(t, "kb", "fetch", "--url", url)
	if status != 1 || !strings.Contains(out, "\nremoved customer/printing \"Printing\" (customer)\n") || !strings.Contains(out, "+++ "+url) {
		t.Errorf("exit status %d, stdout\n%s\nstderr\n%s", status, out, errOut)
	}
	_, url = newUpstream(t, knowledge.DefaultPage())
	if out, _, status := runKB(t, "kb", "fetch", "--url", url); status != 0 || !strings.HasSuffix(out, "\nno change\n") {
		t.Errorf("the same page: exit status %d, stdout\n%s", status, out)
	}
}

// TestKBFetchOut: --out writes the page once it imports, asks only for a
// newer version next time, and leaves the file alone when the download
// fails.
func TestKBFetchOut(t *testing.T) {
	up, url := newUpstream(t, knowledge.DefaultPage())
	file := filepath.Join(t.TempDir(), "page.md")
	out, errOut, status := runKB(t, "kb", "fetch", "--url", url, "--out", file)
	if status != 0 || !strings.Contains(out, "wrote "+file+": 15 entries, ms.date 2022-12-06\n") || !strings.Contains(out, ": no change\n") {
		t.Fatalf("exit status %d, stdout\n%s\nstderr\n%s", status, out, errOut)
	}
	if data, _ := os.ReadFile(file); !bytes.Equal(data, knowledge.DefaultPage()) {
		t.Fatal("the file is not the page")
	}
	// The ETag is unchanged: a 304, nothing downloaded.
	out, _, status = runKB(t, "kb", "fetch", "--url", url, "--out", file)
	if status != 0 || !strings.Contains(out, "is up to date") || up.downloads.Load() != 1 {
		t.Errorf("second fetch: exit status %d, %d downloads, stdout\n%s", status, up.downloads.Load(), out)
	}
	// An edit is downloaded and written.
	up.set(pagetest.Find("reworded").Page())
	out, _, status = runKB(t, "kb", "fetch", "--url", url, "--out", file)
	if status != 0 || !strings.Contains(out, ": 1 changed\n") || !strings.Contains(out, "mmdbot kb diff default "+file) {
		t.Errorf("after an edit: exit status %d, stdout\n%s", status, out)
	}
	// A broken page is refused: the file keeps the last good page, and no
	// temporary file is left behind.
	up.set([]byte("# Roles\n\n## Your roles and responsibilities\n\n| Role or responsibility | Description |\n| Printing | You print. |\n"))
	_, errOut, status = runKB(t, "kb", "fetch", "--url", url, "--out", file)
	if status != 2 || !strings.Contains(errOut, "/page.md:5: this looks like a table row") || !strings.Contains(errOut, "nothing was written") {
		t.Errorf("a broken page: exit status %d, stderr\n%s", status, errOut)
	}
	if data, _ := os.ReadFile(file); !bytes.Equal(data, pagetest.Find("reworded").Page()) {
		t.Error("a refused download changed the file")
	}
	if names, _ := filepath.Glob(filepath.Join(filepath.Dir(file), "*")); len(names) != 2 {
		t.Errorf("files: %v; want the page and its download record", names)
	}
}

func TestKBFetchGone(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	defer srv.Close()
	_, errOut, status := runKB(t, "kb", "fetch", "--url", srv.URL+"/page.md")
	if status != 2 || !strings.Contains(errOut, "the page is no longer published at "+srv.URL+"/page.md (404 Not Found)") {
		t.Errorf("exit status %d, stderr\n%s", status, errOut)
	}
}
