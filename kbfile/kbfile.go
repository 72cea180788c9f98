// Package kbfile is the knowledge mmdbot answers from: the embedded
// knowledge, or a knowledge file (--kb, MMD_KB) that every command loads the
// same way and that a server reloads when it changes.
//
// A file that does not load is refused whole, with errors naming the file
// and line; a server that cannot reload keeps the knowledge it has.
package kbfile

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"

	"github.com/mmdbot/mmdbot/knowledge"
)

// Load returns the embedded knowledge when path is "", or the knowledge of
// the file at path.
func Load(path string) (*knowledge.Base, error) {
	kb, _, err := Open(path)
	return kb, err
}

// File is a knowledge file being answered from: Watch reloads it.
type File struct {
	path string
	// last is the hash of the content last tried, so that one change
	// reported as several events loads once.
	last [sha256.Size]byte
}

// Open loads the knowledge at path, as Load does, and returns the file to
// watch; the file is nil for the embedded knowledge.
func Open(path string) (*knowledge.Base, *File, error) {
	if path == "" {
		return knowledge.Default(), nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("read knowledge file: %w", err)
	}
	kb, err := knowledge.Load(knowledge.File{Name: path, Data: data})
	if err != nil {
		return nil, nil, err
	}
	return kb, &File{path: path, last: sha256.Sum256(data)}, nil
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
	for {
		select {
		case <-ctx.Done():
			return
		case <-hup:
			f.reload("signal", true, onLoad)
		case ev, ok := <-events:
			if !ok {
				events = nil
				continue
			}
			// The file itself, or Kubernetes' ..data symlink swap.
			if filepath.Clean(ev.Name) == name || strings.HasPrefix(filepath.Base(ev.Name), "..") {
				timer.Reset(reloadDelay)
			}
		case err, ok := <-errs:
			if !ok {
				errs = nil
				continue
			}
			log.Warn("watching the knowledge file", "file", f.path, "error", err)
		case <-timer.C:
			f.reload("change", false, onLoad)
		}
	}
}

// reload loads the file and tells onLoad. Unless forced, a file whose
// content was already tried is left alone.
func (f *File) reload(trigger string, force bool, onLoad func(Reload)) {
	data, err := os.ReadFile(f.path)
	if err != nil {
		onLoad(Reload{Err: fmt.Errorf("read knowledge file: %w", err), Trigger: trigger})
		return
	}
	sum := sha256.Sum256(data)
	if !force && bytes.Equal(sum[:], f.last[:]) {
		return
	}
	f.last = sum
	kb, err := knowledge.Load(knowledge.File{Name: f.path, Data: data})
	onLoad(Reload{KB: kb, Err: err, Trigger: trigger})
}
