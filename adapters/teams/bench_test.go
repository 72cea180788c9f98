package teams

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"
)

// BenchmarkVerify measures checking one channel token with the keys cached.
func BenchmarkVerify(b *testing.B) {
	k := testKeys(b, 1)[0]
	ch := newChannel(b, publishedKey{kid: "k", key: k, endorsements: []string{"msteams"}})
	v := &validator{keys: newKeySet(ch.metadataURL(), http.DefaultClient, time.Now), appID: testAppID, now: time.Now}
	tok := sign(b, "k", k, goodClaims("https://smba.trafficmanager.net/emea/"))
	ctx := context.Background()
	if _, err := v.verify(ctx, tok); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := v.verify(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/token")
}

// BenchmarkComposeQuery measures answering one search of the messaging
// extension, which Teams wants within 5 seconds.
func BenchmarkComposeQuery(b *testing.B) {
	a, err := New(Config{Dev: true}, testBot())
	if err != nil {
		b.Fatal(err)
	}
	var q searchQuery
	json.Unmarshal([]byte(`{"commandId":"searchQuery","parameters":[{"name":"searchQuery","value":"who fixes vpn"}],"queryOptions":{"skip":0,"count":10}}`), &q)
	size := 0
	for b.Loop() {
		out, _ := json.Marshal(a.search(b.Context(), &incoming{}, q))
		size = len(out)
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/query")
	b.ReportMetric(float64(size), "bytes/response")
}

// BenchmarkMessage measures a question end to end: token check, bot, card,
// and the reply posted to a local connector.
func BenchmarkMessage(b *testing.B) {
	r := newRig(b)
	act := message(r.serviceURL(), "<at>mmd</at> who handles VPN issues?", true)
	tok := "Bearer " + r.token()
	for b.Loop() {
		if resp, _ := r.post(tok, act); resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N), "µs/message")
}
