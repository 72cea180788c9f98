package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/mmdbot/mmdbot/internal/jsonout"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/upstream"
)

// cmdKBFetch downloads the published page: to a file (--out), or to print
// how it differs from the knowledge in use. Without --out its exit status
// is that of kb diff: 0 the same, 1 different, 2 an error.
func cmdKBFetch(ctx context.Context, e env, args []string) error {
	fs := newFlags(e, "kb fetch", "kb fetch [--url URL] [--out FILE] [--kb FILE] [--json]")
	u := fs.String("url", upstream.DefaultURL, "address of the page's Markdown: the public documentation repository's raw file, or a mirror")
	out := fs.String("out", "", "write the page to this file (once it imports), rather than printing how it differs; a later fetch asks only for a newer version")
	kb := settingFlag(e, fs, "kb")
	asJSON := fs.Bool("json", false, "print the differences as JSON")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return exitCode(2)
	}
	current, err := readKnowledge(*kb)
	if err != nil {
		printLoadError(e.stderr, err)
		fmt.Fprintf(e.stderr, "%s: the knowledge in use is not valid\n", *kb)
		return exitCode(2)
	}
	var v upstream.Validators
	if *out != "" {
		v = readValidators(*out, *u)
	}
	page, err := (&upstream.Client{}).Fetch(ctx, *u, v)
	if err != nil {
		fmt.Fprintln(e.stderr, err)
		fmt.Fprintln(e.stderr, "nothing was written")
		return exitCode(2)
	}
	if page.NotModified {
		fmt.Fprintf(e.stdout, "%s is up to date: %s has not changed since it was downloaded\n", *out, *u)
		return nil
	}
	d := knowledge.Compare(current, page.KB)
	if *out == "" {
		return printDiff(e, d, firstNonEmpty(*kb, "default"), *u, *asJSON)
	}
	if err := writeAtomic(*out, page.Data); err != nil {
		fmt.Fprintln(e.stderr, err)
		return exitCode(2)
	}
	if err := writeValidators(*out, *u, page.Validators); err != nil {
		// The page is written; the next fetch downloads it whole.
		fmt.Fprintf(e.stderr, "warning: %v\n", err)
	}
	p := page.KB.Page()
	fmt.Fprintf(e.stdout, "wrote %s: %d entries, ms.date %s\n", *out, len(page.KB.Entries()), p.Date)
	fmt.Fprintf(e.stdout, "against %s: %s\n", firstNonEmpty(*kb, "the embedded knowledge"), d.Summary())
	switch {
	case *kb != "" && filepath.Clean(*kb) == filepath.Clean(*out):
		fmt.Fprintln(e.stdout, "it replaces the knowledge in use: a server answering from it reloads it")
	case !d.Equal():
		fmt.Fprintf(e.stdout, "see the differences with: mmdbot kb diff %s %s\n", firstNonEmpty(*kb, "default"), *out)
	}
	return nil
}

// printDiff prints a comparison as kb diff does, and returns its exit
// status.
func printDiff(e env, d *knowledge.Diff, oldName, newName string, asJSON bool) error {
	if asJSON {
		if err := jsonout.Write(e.stdout, d); err != nil {
			return err
		}
	} else {
		writeDiff(e.stdout, d, oldName, newName)
	}
	if !d.Equal() {
		return exitCode(1)
	}
	return nil
}

// fetched is what is remembered, beside a page written by kb fetch --out,
// of its download: the next fetch sends the validators back.
type fetched struct {
	URL        string    `json:"url"`
	Checked    time.Time `json:"checked"`
	ETag       string    `json:"etag,omitempty"`
	LastModify string    `json:"last_modified,omitempty"`
}

// validatorsFile is where the download of the page in file is remembered.
func validatorsFile(file string) string {
	return filepath.Join(filepath.Dir(file), "."+filepath.Base(file)+".fetched.json")
}

// readValidators returns the validators of the last download of u into
// file; none when the file or the record is missing, or from another address.
func readValidators(file, u string) upstream.Validators {
	if _, err := os.Stat(file); err != nil {
		return upstream.Validators{}
	}
	data, err := os.ReadFile(validatorsFile(file))
	if err != nil {
		return upstream.Validators{}
	}
	var f fetched
	if json.Unmarshal(data, &f) != nil || f.URL != u {
		return upstream.Validators{}
	}
	return upstream.Validators{ETag: f.ETag, LastModified: f.LastModify}
}

func writeValidators(file, u string, v upstream.Validators) error {
	data, err := json.MarshalIndent(fetched{URL: u, Checked: time.Now().UTC(), ETag: v.ETag, LastModify: v.LastModified}, "", "  ")
	if err != nil {
		return err
	}
	return writeAtomic(validatorsFile(file), append(data, '\n'))
}

// writeAtomic writes data to a temporary file beside path and renames it
// over path: a reader (the server's reload) sees the old file or the new
// one, never half of one.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
