package teams

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// slowClient opens a connection to the rig and sends a POST's headers with
// auth and the first bytes of a body of size bytes, then nothing more.
func slowClient(t *testing.T, r *rig, auth string, size int) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", strings.TrimPrefix(r.srv.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST /api/messages HTTP/1.1\r\nHost: x\r\nAuthorization: %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{", auth, size)
	return c
}

// TestSlowUnauthenticatedClientsDoNotStarve: clients with a bogus token,
// more than the slots there are, sending their bodies a byte at a time,
// are refused at once, before their bodies; a real message is answered.
func TestSlowUnauthenticatedClientsDoNotStarve(t *testing.T) {
	r := newRig(t)
	conns := make([]net.Conn, 0, 2*maxInFlight)
	for range 2 * maxInFlight {
		conns = append(conns, slowClient(t, r, "Bearer x.y.z", 100_000))
	}
	// Each is answered without its body being read.
	for i, c := range conns {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("slow client %d: no answer before its body: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden {
			t.Fatalf("slow client %d: status %d, want 403", i, resp.StatusCode)
		}
	}
	resp, _ := r.post("Bearer "+r.token(), message(r.serviceURL(), "help", false))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a real message while slow clients hang on: status %d", resp.StatusCode)
	}
}

// TestSlowAuthenticatedBodyCut: even with a good token, a body that takes
// longer than bodyTimeout to arrive is refused, and its slot freed.
func TestSlowAuthenticatedBodyCut(t *testing.T) {
	r := newRig(t)
	c := slowClient(t, r, "Bearer "+r.token(), 1000)
	c.SetReadDeadline(time.Now().Add(bodyTimeout + 10*time.Second))
	start := time.Now()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusRequestTimeout || time.Since(start) > bodyTimeout+5*time.Second {
		t.Errorf("status %d after %s, want 408 after about %s", resp.StatusCode, time.Since(start), bodyTimeout)
	}
	if r.tel.count("slow-body") != 1 {
		t.Errorf("not counted: %v", r.tel.refused)
	}
}

// TestResentActivityAnsweredOnce: the channel sending the same activity
// again (same id, same conversation) gets it answered once.
func TestResentActivityAnsweredOnce(t *testing.T) {
	r := newRig(t)
	act := message(r.serviceURL(), "who handles VPN issues?", false)
	body, _ := json.Marshal(act)
	for range 3 {
		var again map[string]any
		json.Unmarshal(body, &again)
		if resp, _ := r.post("Bearer "+r.token(), again); resp.StatusCode != http.StatusOK {
			t.Fatalf("status %d", resp.StatusCode)
		}
	}
	r.settle()
	if n := len(r.conn.received()); n != 1 {
		t.Errorf("the same activity sent 3 times was answered %d times, want 1", n)
	}
	// Another activity in the same conversation is answered.
	r.post("Bearer "+r.token(), message(r.serviceURL(), "who handles VPN issues?", false))
	r.settle()
	if n := len(r.conn.received()); n != 2 {
		t.Errorf("a new activity: %d replies in all, want 2", n)
	}
}
