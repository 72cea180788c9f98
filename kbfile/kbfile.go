// Package kbfile is the knowledge mmdbot answers from: the embedded
// knowledge, or a knowledge file (--kb, MMD_KB) that every command loads the
// same way and that a server reloads when it changes.
//
// A file that does not load is refused whole, with errors naming the file
// and line; a server that cannot reload keeps the knowledge it has. A file
// over the size limit (MaxBytes, --kb-max-bytes) is refused before it is
// read. A change is reloaded only once the file has stayed the same (size,
// modification time and checksum) for a settle time, so that a file being
// written is never loaded half-written; replacing it atomically (write a
// temporary file, rename it over) is still the way to change it.
package kbfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/mmdbot/mmdbot/knowledge"
)

// MaxBytes is the default limit on the size of a knowledge file: 16 MiB,
// some forty times the largest real one.
const MaxBytes = 16 << 20

// Settle is how long a changed file must stay the same before it is
// reloaded.
const Settle = 2 * time.Second

// Options are the limits of a knowledge file.
type Options struct {
	// MaxBytes is the largest file loaded (MaxBytes when 0).
	MaxBytes int64
	// Settle is how long a changed file must stay the same before it is
	// reloaded (Settle when 0).
	Settle time.Duration
}

// Load returns the embedded knowledge when path is "", or the knowledge of
// the file at path.
func Load(path string) (*knowledge.Base, error) {
	kb, _, err := Open(path, Options{})
	return kb, err
}

// File is a knowledge file being answered from: Watch reloads it.
type File struct {
	path string
	opts Options
	// last is the hash of the content last tried, so that one change
	// reported as several events loads once.
	last [sha256.Size]byte
}

// Open loads the knowledge at path, as Load does, within the limits of
// opts, and returns the file to watch; the file is nil for the embedded
// knowledge.
func Open(path string, opts Options) (*knowledge.Base, *File, error) {
	if path == "" {
		return knowledge.Default(), nil, nil
	}
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = MaxBytes
	}
	if opts.Settle <= 0 {
		opts.Settle = Settle
	}
	snap, err := read(path, opts.MaxBytes)
	if err != nil {
		return nil, nil, err
	}
	kb, err := knowledge.Load(knowledge.File{Name: path, Data: snap.data})
	if err != nil {
		return nil, nil, err
	}
	return kb, &File{path: path, opts: opts, last: snap.sum}, nil
}

// ErrTooLarge is the error of a knowledge file over the size limit.
var ErrTooLarge = errors.New("knowledge file too large")

// snapshot is a knowledge file as read once.
type snapshot struct {
	data  []byte
	size  int64
	mtime time.Time
	sum   [sha256.Size]byte
}

// same reports whether two reads found the same file.
func (s snapshot) same(o snapshot) bool {
	return s.size == o.size && s.mtime.Equal(o.mtime) && s.sum == o.sum
}

// read reads the file at path, refusing one over max bytes before reading
// it (and one that grows past it while read).
func read(path string, max int64) (snapshot, error) {
	f, err := os.Open(path)
	if err != nil {
		return snapshot{}, fmt.Errorf("read knowledge file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return snapshot{}, fmt.Errorf("read knowledge file: %w", err)
	}
	tooLarge := func(n int64) error {
		return fmt.Errorf("%w: %s is %d bytes or more, over the limit of %d (--kb-max-bytes, MMD_KB_MAX_BYTES): split it, or raise the limit",
			ErrTooLarge, path, n, max)
	}
	if fi.Size() > max {
		return snapshot{}, tooLarge(fi.Size())
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return snapshot{}, fmt.Errorf("read knowledge file: %w", err)
	}
	if int64(len(data)) > max {
		return snapshot{}, tooLarge(int64(len(data)))
	}
	return snapshot{data: data, size: fi.Size(), mtime: fi.ModTime(), sum: sha256.Sum256(data)}, nil
}

// Path is the file's name, as given.
func (f *File) Path() string { return f.path }

// Reload is one attempt to load the file again: the knowledge it holds, or
// why it does not load.
type Reload struct {
	KB  *knowledge.Base
	Err error
	// Trigger is "signal" or "change".
	Trigger string
}

// reloadDelay lets a burst of file events (an editor's save, a Kubernetes
// ConfigMap swap) settle before the file is read.
const reloadDelay = 250 * time.Millisecond

// Watch loads the file again when it changes, and whenever a signal arrives
// on hup, until ctx is done; onLoad is told of each attempt, one at a time.
// A change that leaves the content as it was loads nothing; a signal
// always loads. The directory is watched, not the file: editors and
// Kubernetes replace files by renaming, which a watch on the file itself
// loses. Watch returns once the directory is watched, so that no change
// made after it returns is missed; when the directory cannot be watched,
// log (nil: none) says so and signals still reload.
func (f *File) Watch(ctx context.Context, hup <-chan os.Signal, log *slog.Logger, onLoad func(Reload)) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	w, err := fsnotify.NewWatcher()
	if err == nil {
		if err = w.Add(filepath.Dir(f.path)); err != nil {
			w.Close()
		}
	}
	if err != nil {
		log.Warn("not watching the knowledge file for changes: send SIGHUP to reload it", "file", f.path, "error", err)
		w = nil
	}
	go f.loop(ctx, w, hup, log, onLoad)
}

// loop reloads on the events of w (nil: none) and on hup until ctx is done.
func (f *File) loop(ctx context.Context, w *fsnotify.Watcher, hup <-chan os.Signal, log *slog.Logger, onLoad func(Reload)) {
	var events <-chan fsnotify.Event
	var errs <-chan error
	if w != nil {
		defer w.Close()
		events, errs = w.Events, w.Errors
	}
	name := filepath.Clean(f.path)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	// pending is the file as read at the last check, waiting to be seen
	// unchanged after the settle time.
	var pending *snapshot
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			pending = nil
			f.reload("signal", true, onLoad)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			// The file itself, or Kubernetes' ..data symlink swap.
			if filepath.Clean(ev.Name) == name || strings.HasPrefix(filepath.Base(ev.Name), "..") {
				// Every change starts the settle time again.
				pending = nil
				timer.Reset(reloadDelay)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			log.Warn("watching the knowledge file", "file", f.path, "error", err)
		case <-timer.C:
			pending = f.settled(pending, onLoad)
			if pending != nil {
				timer.Reset(f.opts.Settle)
			}
		}
	}
}

// settled reads the file after a change: once it is the same as at the
// last check (pending), it is loaded; otherwise the new read is returned,
// to be checked again after the settle time.
func (f *File) settled(pending *snapshot, onLoad func(Reload)) *snapshot {
	snap, err := read(f.path, f.opts.MaxBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) && pending == nil {
			// Removed, perhaps on the way to being replaced: wait.
			return &snapshot{}
		}
		onLoad(Reload{Err: err, Trigger: "change"})
		return nil
	}
	if snap.sum == f.last {
		return nil // the content already tried
	}
	if pending == nil || !pending.same(snap) {
		return &snap
	}
	f.last = snap.sum
	kb, err := knowledge.Load(knowledge.File{Name: f.path, Data: snap.data})
	onLoad(Reload{KB: kb, Err: err, Trigger: "change"})
	return nil
}

// reload loads the file and tells onLoad. Unless forced, a file whose
// content was already tried is left alone.
func (f *File) reload(trigger string, force bool, onLoad func(Reload)) {
	snap, err := read(f.path, f.opts.MaxBytes)
	if err != nil {
		onLoad(Reload{Err: err, Trigger: trigger})
		return
	}
	if !force && bytes.Equal(snap.sum[:], f.last[:]) {
		return
	}
	f.last = snap.sum
	kb, err := knowledge.Load(knowledge.File{Name: f.path, Data: snap.data})
	onLoad(Reload{KB: kb, Err: err, Trigger: trigger})
}
