package main

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mmdbot/mmdbot/internal/pgtest"
	"github.com/mmdbot/mmdbot/store"
)

var (
	buildOnce sync.Once
	binary    string
	buildErr  error
)

// mmdbotBinary builds mmdbot once for the tests that run it as a process.
func mmdbotBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mmdbot-bin")
		if err != nil {
			buildErr = err
			return
		}
		binary = filepath.Join(dir, "mmdbot")
		out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binary
}

// replica is one `mmdbot serve` process.
type replica struct {
	cmd  *exec.Cmd
	url  string
	logs *syncBuffer
}

// freeAddr returns a loopback address no one listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startReplica runs `mmdbot serve` with env and waits until /readyz says
// it is ready.
func startReplica(t *testing.T, env map[string]string, args ...string) *replica {
	t.Helper()
	addr := freeAddr(t)
	cmd := exec.Command(mmdbotBinary(t), append([]string{"serve", "--addr", addr}, args...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	r := &replica{cmd: cmd, url: "http://" + addr, logs: &syncBuffer{}}
	cmd.Stdout, cmd.Stderr = r.logs, r.logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Signal(syscall.SIGTERM)
			cmd.Wait()
		}
	})
	deadline := time.Now().Add(patience)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(r.url + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return r
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("replica on %s not ready after %s\n%s", addr, patience, r.logs)
	return nil
}

// TestTwoReplicas: two mmdbot serve processes on one PostgreSQL. The same
// Slack event sent to both is answered once; a replica killed (SIGKILL)
// with replies in its outbox has them delivered by the other; the fake
// Slack counts exactly one reply per event.
func TestTwoReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("runs two mmdbot processes")
	}
	db := pgtest.URL(t)
	counter, fake := newSlackCounter(t, 0)
	env := slackEnv(fake)
	env["MMD_DATABASE_URL"] = db
	a := startReplica(t, env, "--outbox-lease", "6s")
	b := startReplica(t, env, "--outbox-lease", "6s")

	// The same event to both replicas, as Slack's retry would land on
	// the other one: answered once.
	for _, r := range []*replica{a, b} {
		if code, _ := slackE2EPost(t, r.url+"/slack/events", "application/json", mentionBody(0), slackE2ESecret, time.Now()); code != 200 {
			t.Fatalf("event to %s: status %d", r.url, code)
		}
	}
	counter.waitAnswered(t, 1, a.logs)

	// Replies owed by a, which Slack is slow to take, when a is killed.
	counter.setDelay(1500 * time.Millisecond)
	const events = 40
	for i := 1; i <= events; i++ {
		if code, _ := slackE2EPost(t, a.url+"/slack/events", "application/json", mentionBody(i), slackE2ESecret, time.Now()); code != 200 {
			t.Fatalf("event %d: status %d", i, code)
		}
	}
	time.Sleep(500 * time.Millisecond) // a has deliveries in flight
	if got, _ := counter.counts(); got > 1 {
		t.Fatalf("%d events answered before the kill: nothing is left to take over", got-1)
	}
	if err := a.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	a.cmd.Wait()
	counter.setDelay(0)
	counter.waitAnswered(t, events+1, b.logs)
	// Once b has nothing left, no late duplicate can come.
	waitOutboxEmpty(t, db)
	answered, duplicated := counter.counts()
	if answered != events+1 || duplicated != 0 {
		t.Errorf("%d events answered, %d more than once; want %d, each once\n%s", answered, duplicated, events+1, b.logs)
	}
	// The reports read the shared database too.
	report := exec.Command(mmdbotBinary(t), "report", "unanswered", "--format", "json")
	report.Env = []string{"MMD_DATABASE_URL=" + db}
	out, err := report.CombinedOutput()
	var rep struct {
		Unanswered []map[string]any `json:"unanswered"`
	}
	if err != nil || json.Unmarshal(out, &rep) != nil || rep.Unanswered == nil {
		t.Errorf("mmdbot report on PostgreSQL: %v\n%s", err, out)
	}
}

// waitOutboxEmpty waits until the shared outbox owes nothing.
func waitOutboxEmpty(t *testing.T, db string) {
	t.Helper()
	st, err := store.Open(t.Context(), db, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	deadline := time.Now().Add(patience)
	for {
		n, err := st.Pending(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if n == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d replies still owed after %s", n, patience)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
