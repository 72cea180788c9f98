// Package upstream downloads the published Learn page mmdbot's knowledge
// comes from, so that it can be compared with the knowledge in use.
//
// A download is refused whole, with a message naming the address and what
// went wrong, when the page is gone (404, 410), moved to another page (a
// redirect), cut short, too large, an HTML page rather than Markdown, or
// not a page the knowledge importer reads (its errors name the line). Its
// validators (ETag, Last-Modified) make the next download conditional: an
// unchanged page costs a 304 and no import.
package upstream

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/mmdbot/mmdbot/knowledge"
)

// DefaultURL is the raw Markdown of the embedded page in Microsoft's public
// documentation repository (MicrosoftDocs/microsoft-365-docs, branch
// public), the page published as knowledge.DefaultPageURL.
const DefaultURL = "https://raw.githubusercontent.com/MicrosoftDocs/microsoft-365-docs/public/microsoft-365/managed-desktop/intro/roles-and-responsibilities.md"

// DefaultMaxBytes is the largest page downloaded: the page is about 9 KB.
const DefaultMaxBytes = 1 << 20

// DefaultTimeout bounds a whole download: connecting, waiting and reading.
const DefaultTimeout = 60 * time.Second

// userAgent names mmdbot to the server.
const userAgent = "mmdbot (knowledge check; +https://github.com/mmdbot/mmdbot)"

// Validators are what a server said identifies the version it sent: sent
// back, they make the next download conditional.
type Validators struct {
	ETag         string `json:"etag,omitempty"`
	LastModified string `json:"last_modified,omitempty"`
}

// Client downloads pages. The zero value is ready to use: the proxy of the
// environment (HTTPS_PROXY, HTTP_PROXY, NO_PROXY), DefaultTimeout and
// DefaultMaxBytes.
type Client struct {
	// HTTP, if set, replaces the client built from the fields below; its
	// redirects are still checked.
	HTTP *http.Client
	// Timeout bounds a whole download (0: DefaultTimeout).
	Timeout time.Duration
	// MaxBytes is the largest page accepted (0: DefaultMaxBytes).
	MaxBytes int64
}

// Page is a page downloaded and imported.
type Page struct {
	// URL is the address asked for.
	URL string
	// NotModified is set when the server said the page is the version of
	// the validators sent: Data and KB are then nil.
	NotModified bool
	// Data is the page as downloaded, and KB its knowledge.
	Data []byte
	KB   *knowledge.Base
	// Validators identify this version, for the next download.
	Validators Validators
}

// Error is a download refused: the address and what went wrong, in words
// for the person who set the address.
type Error struct {
	URL string
	// Status is the HTTP status received, 0 when none was.
	Status int
	Msg    string
	Err    error // the underlying error, if any
}

func (e *Error) Error() string { return e.Msg }

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// errRedirect stops the client at a redirect to another page.
type errRedirect struct{ to string }

func (e errRedirect) Error() string { return "redirected to " + e.to }

func (c *Client) httpClient() *http.Client {
	hc := c.HTTP
	if hc == nil {
		hc = &http.Client{Transport: &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   15 * time.Second,
			ResponseHeaderTimeout: 30 * time.Second,
			ForceAttemptHTTP2:     true,
			MaxIdleConns:          2,
			IdleConnTimeout:       90 * time.Second,
		}}
	}
	checked := *hc
	checked.CheckRedirect = sameDocument
	return &checked
}

// sameDocument follows a redirect that keeps the page's path (http to
// https, another host of the same mirror) and refuses one to another page:
// a moved page must be looked at by a person before it is trusted.
func sameDocument(req *http.Request, via []*http.Request) error {
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	if req.URL.Path != via[0].URL.Path {
		return errRedirect{to: req.URL.String()}
	}
	return nil
}

// Fetch downloads the page at u, conditionally when v holds validators,
// and imports it. Nothing it returns with an error is usable.
func (c *Client) Fetch(ctx context.Context, u string, v Validators) (*Page, error) {
	pu, err := url.Parse(u)
	if err != nil || (pu.Scheme != "https" && pu.Scheme != "http") || pu.Host == "" {
		return nil, &Error{URL: u, Msg: fmt.Sprintf("%q is not an http or https address", u)}
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, &Error{URL: u, Msg: fmt.Sprintf("cannot ask for %s: %v", u, err), Err: err}
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "text/markdown, text/plain;q=0.9, */*;q=0.1")
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	resp, err := c.httpClient().Do(req)
	if err != nil {
		return nil, requestError(u, timeout, err)
	}
	defer resp.Body.Close()
	if err := statusError(u, resp); err != nil {
		return nil, err
	}
	page := &Page{URL: u, Validators: Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}}
	if resp.StatusCode == http.StatusNotModified {
		page.NotModified = true
		// A 304 may leave out the validators: the ones sent still hold.
		if page.Validators == (Validators{}) {
			page.Validators = v
		}
		return page, nil
	}
	if page.Data, err = c.read(u, resp); err != nil {
		return nil, err
	}
	kb, err := knowledge.ReadPage(knowledge.File{Name: u, Data: page.Data})
	if err != nil {
		return nil, &Error{URL: u, Status: resp.StatusCode, Msg: fmt.Sprintf("the page at %s is not a responsibility page mmdbot can read:\n%v", u, err), Err: err}
	}
	page.KB = kb
	return page, nil
}

func requestError(u string, timeout time.Duration, err error) error {
	var rd errRedirect
	switch {
	case errors.As(err, &rd):
		return &Error{URL: u, Msg: fmt.Sprintf("%s redirects to another page, %s: the page may have moved or been retired; check the new address and, if it is the same page, set it with --url (or --kb-upstream)", u, rd.to), Err: err}
	case errors.Is(err, context.DeadlineExceeded):
		return &Error{URL: u, Msg: fmt.Sprintf("%s did not answer within %s", u, timeout), Err: err}
	}
	return &Error{URL: u, Msg: fmt.Sprintf("cannot download %s: %v", u, unwrapURLError(err)), Err: err}
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

// statusError says why a response other than 200 or 304 is refused, or
// why a 200 is not a Markdown page.
func statusError(u string, resp *http.Response) error {
	switch code := resp.StatusCode; {
	case code == http.StatusNotModified:
		return nil
	case code == http.StatusNotFound || code == http.StatusGone:
		return &Error{URL: u, Status: code, Msg: fmt.Sprintf("the page is no longer published at %s (%s): it may have moved or been retired; check Microsoft Learn for its new address", u, resp.Status)}
	case code >= 300 && code < 400:
		loc := resp.Header.Get("Location")
		return &Error{URL: u, Status: code, Msg: fmt.Sprintf("%s redirects to %q (%s), which was not followed: check the new address and set it with --url (or --kb-upstream)", u, loc, resp.Status)}
	case code != http.StatusOK:
		return &Error{URL: u, Status: code, Msg: fmt.Sprintf("%s answered %s", u, resp.Status)}
	}
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err == nil && (mt == "text/html" || mt == "application/xhtml+xml") {
			return &Error{URL: u, Status: resp.StatusCode, Msg: fmt.Sprintf("%s answers with an HTML page, not the page's Markdown source: use the raw file's address (such as %s)", u, DefaultURL)}
		}
	}
	return nil
}

// read reads the whole body, refusing one larger than the limit or cut
// short.
func (c *Client) read(u string, resp *http.Response) ([]byte, error) {
	limit := c.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	if resp.ContentLength > limit {
		return nil, &Error{URL: u, Status: resp.StatusCode, Msg: tooLarge(u, resp.ContentLength, limit)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		msg := fmt.Sprintf("the download of %s stopped after %d bytes", u, len(data))
		if resp.ContentLength > 0 {
			msg += fmt.Sprintf(" of %d", resp.ContentLength)
		}
		return nil, &Error{URL: u, Status: resp.StatusCode, Msg: msg + ": " + unwrapURLError(err).Error() + "; nothing was kept", Err: err}
	}
	if int64(len(data)) > limit {
		return nil, &Error{URL: u, Status: resp.StatusCode, Msg: tooLarge(u, -1, limit)}
	}
	return data, nil
}

func tooLarge(u string, size, limit int64) string {
	what := "is larger"
	if size > 0 {
		what = fmt.Sprintf("is %d bytes, larger", size)
	}
	return fmt.Sprintf("the page at %s %s than the limit of %d bytes: it is not the responsibility page (about 9 KB)", u, what, limit)
}
