package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const goodKB = `extends: default
entries:
  - id: customer/quokka-badge-readers
    title: Quokka badge readers
    side: customer
    description: Your organisation installs and maintains Quokka badge readers on managed devices.
    keywords: [quokka, badge reader]
`

const betterKB = goodKB + `  - id: customer/wombat-docking-stations
    title: Wombat docking stations
    side: customer
    description: Your organisation buys and replaces Wombat docking stations.
    keywords: [wombat, docking station]
`

const badKB = `extends: default
entries:
  - id: customer/broken
    title: Broken
    side: nowhere
    description: x
`

func waitReload(t *testing.T, s *testServer) error {
	t.Helper()
	select {
	case err := <-s.Reloads:
		return err
	case <-time.After(patience):
		t.Fatalf("no reload within %s\n%s", patience, s.Logs)
		return nil
	}
}

func TestServeReload(t *testing.T) {
	dir := t.TempDir()
	kb := filepath.Join(dir, "kb.yaml")
	if err := os.WriteFile(kb, []byte(goodKB), 0o644); err != nil {
		t.Fatal(err)
	}
	s := runServer(t, []string{"--kb", kb}, nil)
	const wombat = "who replaces wombat docking stations?"
	if got := answerOf(t, s.URL, "who maintains quokka badge readers?"); got != "customer/quokka-badge-readers" {
		t.Fatalf("before reload: answer %q", got)
	}
	if got := answerOf(t, s.URL, wombat); got != "" {
		t.Fatalf("before reload: answer %q to %q", got, wombat)
	}

	// A good file answers at once.
	if err := os.WriteFile(kb, []byte(betterKB), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload of a good file: %v", err)
	}
	if got := answerOf(t, s.URL, wombat); got != "customer/wombat-docking-stations" {
		t.Errorf("after reload: answer %q to %q", got, wombat)
	}

	// A bad file, replaced by renaming as editors do, is refused.
	tmp := filepath.Join(dir, ".kb.yaml.tmp")
	if err := os.WriteFile(tmp, []byte(badKB), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, kb); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err == nil {
		t.Fatal("reload of a bad file: no error")
	}
	if got := answerOf(t, s.URL, wombat); got != "customer/wombat-docking-stations" {
		t.Errorf("after a refused reload: answer %q to %q, want the knowledge loaded before", got, wombat)
	}
	_, body := get(t, "GET", s.URL+"/metrics")
	for _, want := range []string{`mmdbot_knowledge_reloads_total{result="ok"} 1`, `mmdbot_knowledge_reloads_total{result="failed"} 1`, "mmdbot_knowledge_entries 17"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	if resp, _ := get(t, "GET", s.URL+"/readyz"); resp.StatusCode != 200 {
		t.Errorf("/readyz after a refused reload: %s", resp.Status)
	}

	// SIGHUP reloads too; the file is fixed again.
	if err := os.WriteFile(kb, []byte(goodKB), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload after fixing the file: %v", err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload on SIGHUP: %v", err)
	}
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	logs := s.Logs.String()
	for _, want := range []string{"kb.yaml", "line=5", `unknown side \"nowhere\"`, "knowledge reload refused", "trigger=signal"} {
		if !strings.Contains(logs, want) {
			t.Errorf("logs lack %q:\n%s", want, logs)
		}
	}
}

// A Kubernetes ConfigMap volume updates by swapping the ..data symlink; the
// file itself is a symlink through it. The swap reloads the knowledge.
func TestServeReloadConfigMapSwap(t *testing.T) {
	dir := t.TempDir()
	v1, v2 := filepath.Join(dir, "..v1"), filepath.Join(dir, "..v2")
	for v, kb := range map[string]string{v1: goodKB, v2: betterKB} {
		if err := os.Mkdir(v, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(v, "kb.yaml"), []byte(kb), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Symlink("..v1", filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	kb := filepath.Join(dir, "kb.yaml")
	if err := os.Symlink(filepath.Join("..data", "kb.yaml"), kb); err != nil {
		t.Fatal(err)
	}
	s := runServer(t, []string{"--kb", kb}, nil)
	const wombat = "who replaces wombat docking stations?"
	if got := answerOf(t, s.URL, wombat); got != "" {
		t.Fatalf("before the swap: answer %q", got)
	}
	tmp := filepath.Join(dir, "..data_tmp")
	if err := os.Symlink("..v2", tmp); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, "..data")); err != nil {
		t.Fatal(err)
	}
	if err := waitReload(t, s); err != nil {
		t.Fatalf("reload after the swap: %v", err)
	}
	if got := answerOf(t, s.URL, wombat); got != "customer/wombat-docking-stations" {
		t.Errorf("after the swap: answer %q", got)
	}
}
