package teams

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// FuzzParseActivity feeds arbitrary bodies to the activity parser and to
// everything that reads a parsed activity: it must never panic.
func FuzzParseActivity(f *testing.F) {
	for _, a := range []map[string]any{
		message("https://smba.trafficmanager.net/emea/", "<at>mmd</at> who handles VPN issues?", true),
		message("https://smba.trafficmanager.net/emea/", "table", false),
	} {
		b, _ := json.Marshal(a)
		f.Add(b)
	}
	f.Add([]byte(`{"type":"invoke","name":"composeExtension/query","serviceUrl":"https://x/","conversation":{"id":"c"},"value":{"commandId":"searchQuery","parameters":[{"name":"searchQuery","value":"vpn"}],"queryOptions":{"skip":-1,"count":99}}}`))
	f.Add([]byte(`{"type":"message","serviceUrl":"https://x/","conversation":{"id":"c"},"value":{"mmd":"vote","id":"customer/printing","vote":"up","q":"x"}}`))
	f.Add([]byte(`{"type":"invoke","name":"adaptiveCard/action","serviceUrl":"https://x/","conversation":{"id":"c"},"value":{"action":{"type":"Action.Execute","verb":"vote","data":{"mmd":"vote","id":"customer/printing","vote":"undo","q":"x"}},"trigger":"manual"}}`))
	f.Add([]byte(`{"type":"invoke","name":"adaptiveCard/action","serviceUrl":"https://x/","conversation":{"id":"c"},"value":{"action":{"verb":"vote","data":{"mmd":"vote","vote":7}}}}`))
	f.Add([]byte(`{"type":"conversationUpdate","serviceUrl":"https://x/","conversation":{"id":"c"},"recipient":{"id":"b"},"membersAdded":[{"id":"b"}]}`))
	f.Add([]byte(`{"type":"message","text":"<at>a</at><at>a</at>","entities":[{"type":"mention","text":"<at>a</at>","mentioned":{"id":""}},{"type":"mention","text":"","mentioned":7}]}`))
	f.Add([]byte(`{"type":"message","timestamp":"not a time","value":[1,2],"channelData":"x"}`))
	b := testBot()
	a, err := New(Config{Dev: true}, b)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		act, err := parseActivity(data)
		if err != nil {
			return
		}
		act.question()
		act.personal()
		act.user()
		act.botAdded()
		if s, ok := act.submitted(); ok && s.ID != "" {
			b.Show(s.ID)
		}
		var q searchQuery
		if json.Unmarshal(act.Value, &q) == nil {
			a.search(context.Background(), act, q)
		}
		if act.Name == "adaptiveCard/action" {
			// A card's button: answered in the response, never a panic,
			// always JSON.
			w := httptest.NewRecorder()
			a.cardAction(context.Background(), w, act)
			if w.Code != http.StatusOK || !json.Valid(w.Body.Bytes()) {
				t.Fatalf("card action: %d %s", w.Code, w.Body)
			}
		}
		out, err := json.Marshal(act.cardMessage(WelcomeCard(testBot().Show("customer/printing")), ""))
		if err != nil || len(out) == 0 {
			t.Fatalf("reply: %v", err)
		}
	})
}

// FuzzParseJWKS feeds arbitrary key sets to the key parser.
func FuzzParseJWKS(f *testing.F) {
	f.Add([]byte(`{"keys":[{"kty":"RSA","use":"sig","kid":"k","n":"AQAB","e":"AQAB","endorsements":["msteams"]}]}`))
	f.Add([]byte(`{"keys":[{"kty":"EC","kid":"k"},{"kty":"RSA","kid":"","n":"","e":""}]}`))
	f.Add([]byte(`{"keys":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := parseJWKS(data)
		if err == nil && len(keys) == 0 {
			t.Fatal("no error and no keys")
		}
		for _, k := range keys {
			if k.pub == nil || k.pub.N.BitLen() < minKeyBits {
				t.Fatal("weak key accepted")
			}
			k.endorses("msteams")
		}
	})
}

// FuzzBearer feeds arbitrary Authorization headers to the token checks.
func FuzzBearer(f *testing.F) {
	f.Add("Bearer eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln")
	f.Add("Bearer a.b.c")
	f.Add("")
	v := &validator{keys: newKeySet("http://127.0.0.1:1/none", &http.Client{Timeout: time.Second}, time.Now), appID: testAppID, now: time.Now}
	v.keys.minGap = keyRefresh
	v.keys.state.Store(&keyState{keys: map[string]signingKey{}, fetched: time.Now()})
	f.Fuzz(func(t *testing.T, header string) {
		tok, err := bearer(header)
		if err != nil {
			return
		}
		if _, err := v.verify(t.Context(), tok); err == nil {
			t.Fatal("a token verified without any key")
		}
	})
}
