package upstream_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/internal/pagetest"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/upstream"
)

// published serves the real page as GitHub's raw server does: text/plain,
// an ETag, and 304 to a request that names it.
func published(page []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		etag := fmt.Sprintf(`"%x"`, len(page)*31+int(page[len(page)/2]))
		w.Header().Set("ETag", etag)
		w.Header().Set("Last-Modified", "Tue, 06 Dec 2022 10:00:00 GMT")
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write(page)
	})
}

func fetch(t *testing.T, h http.Handler, path string, v upstream.Validators) (*upstream.Page, error) {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return (&upstream.Client{}).Fetch(t.Context(), srv.URL+path, v)
}

func TestFetchPublishedPage(t *testing.T) {
	p, err := fetch(t, published(knowledge.DefaultPage()), "/page.md", upstream.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	if p.NotModified || !bytes.Equal(p.Data, knowledge.DefaultPage()) || p.Validators.ETag == "" || p.Validators.LastModified == "" {
		t.Fatalf("page %+v", p)
	}
	if d := knowledge.Compare(knowledge.Default(), p.KB); !d.Equal() {
		t.Errorf("the published page differs from the embedded one: %s", d.Summary())
	}
}

// TestFetchNotModified: the validators of the last download make the next
// conditional; an unchanged ETag costs a 304 and imports nothing.
func TestFetchNotModified(t *testing.T) {
	srv := httptest.NewServer(published(knowledge.DefaultPage()))
	defer srv.Close()
	c := &upstream.Client{}
	first, err := c.Fetch(t.Context(), srv.URL+"/page.md", upstream.Validators{})
	if err != nil {
		t.Fatal(err)
	}
	again, err := c.Fetch(t.Context(), srv.URL+"/page.md", first.Validators)
	if err != nil {
		t.Fatal(err)
	}
	if !again.NotModified || again.Data != nil || again.KB != nil || again.Validators != first.Validators {
		t.Errorf("second download %+v, want not modified with the same validators", again)
	}
}

func TestFetchEditedPage(t *testing.T) {
	e := pagetest.Find("reworded")
	p, err := fetch(t, published(e.Page()), "/page.md", upstream.Validators{ETag: `"an old version"`})
	if err != nil {
		t.Fatal(err)
	}
	d := knowledge.Compare(knowledge.Default(), p.KB)
	if len(d.Entries) != 1 || d.Entries[0].ID != e.ID {
		t.Errorf("diff %s, want the reworded row", d.Summary())
	}
}

// TestFetchRefused: every bad answer is refused whole with a message that
// names the address and says what went wrong.
func TestFetchRefused(t *testing.T) {
	big := func(declare bool) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			const size = 50 << 20
			if declare {
				w.Header().Set("Content-Length", fmt.Sprint(size))
			}
			chunk := make([]byte, 64<<10)
			for n := 0; n < size; n += len(chunk) {
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		}
	}
	tests := []struct {
		name   string
		h      http.Handler
		path   string
		status int
		want   string
	}{
		{"gone", http.NotFoundHandler(), "/page.md", 404, "the page is no longer published at http://127.0.0.1:"},
		{"retired", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusGone) }), "/page.md", 410, "the page is no longer published at"},
		{"moved", http.RedirectHandler("/retired-services.md", http.StatusMovedPermanently), "/page.md", 0, "/page.md redirects to another page, http://127.0.0.1:"},
		{"truncated", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			page := knowledge.DefaultPage()
			w.Header().Set("Content-Length", fmt.Sprint(len(page)))
			w.Write(page[:len(page)/2])
			// Closing the connection early: the rest never comes.
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.Close()
		}), "/page.md", 200, "stopped after"},
		{"oversized", big(true), "/page.md", 200, "is 52428800 bytes, larger than the limit of 1048576 bytes"},
		{"oversized-chunked", big(false), "/page.md", 200, "is larger than the limit of 1048576 bytes"},
		{"html", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!DOCTYPE html><title>Roles</title>"))
		}), "/page.md", 200, "answers with an HTML page, not the page's Markdown source"},
		{"invalid", published([]byte("# Roles\n\n## Your roles and responsibilities\n\n| Role or responsibility | Description |\n| Printing | You print. |\n")), "/page.md", 200,
			"/page.md:5: this looks like a table row but is not part of a table"},
		{"error", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) }), "/page.md", 503, "answered 503 Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := fetch(t, tt.h, tt.path, upstream.Validators{})
			var ue *upstream.Error
			if !errors.As(err, &ue) || p != nil {
				t.Fatalf("page %v, error %v; want an upstream.Error", p, err)
			}
			if ue.Status != tt.status || !strings.Contains(ue.Msg, tt.want) || !strings.Contains(ue.Msg, "/page.md") {
				t.Errorf("status %d, message %q; want %d and %q", ue.Status, ue.Msg, tt.status, tt.want)
			}
		})
	}
}

// TestFetchRedirectSamePage: a redirect that keeps the page's path (to
// another host of a mirror, say) is followed.
func TestFetchRedirectSamePage(t *testing.T) {
	origin := httptest.NewServer(published(knowledge.DefaultPage()))
	defer origin.Close()
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, origin.URL+r.URL.Path, http.StatusFound)
	}))
	defer mirror.Close()
	p, err := (&upstream.Client{}).Fetch(t.Context(), mirror.URL+"/page.md", upstream.Validators{})
	if err != nil || p.KB == nil {
		t.Fatalf("page %v, error %v", p, err)
	}
}

func TestFetchTimeout(t *testing.T) {
	stuck := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	srv := httptest.NewServer(stuck)
	defer srv.Close()
	_, err := (&upstream.Client{Timeout: 50 * time.Millisecond}).Fetch(t.Context(), srv.URL+"/page.md", upstream.Validators{})
	if err == nil || !strings.Contains(err.Error(), "did not answer within 50ms") || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v", err)
	}
}

func TestFetchBadAddress(t *testing.T) {
	for _, u := range []string{"", "ftp://example.com/page.md", "page.md", "http://"} {
		if _, err := (&upstream.Client{}).Fetch(t.Context(), u, upstream.Validators{}); err == nil || !strings.Contains(err.Error(), "is not an http or https address") {
			t.Errorf("%q: error %v", u, err)
		}
	}
}
