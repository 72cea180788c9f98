package jsonout

import (
	"bytes"
	"net/http/httptest"
	"testing"
)

func TestMarshal(t *testing.T) {
	v := map[string]string{"q": "<@U1> & you"}
	b, err := Marshal(v, false)
	if err != nil || string(b) != `{"q":"<@U1> & you"}` {
		t.Errorf("compact: %s %v", b, err)
	}
	var w bytes.Buffer
	if err := Write(&w, v); err != nil || w.String() != "{\n  \"q\": \"<@U1> & you\"\n}\n" {
		t.Errorf("indented: %q %v", w.String(), err)
	}
	rec := httptest.NewRecorder()
	Respond(rec, 400, v, false)
	if rec.Code != 400 || rec.Header().Get("Content-Type") != "application/json; charset=utf-8" || rec.Header().Get("Content-Length") != "19" {
		t.Errorf("response %d %v", rec.Code, rec.Header())
	}
	rec = httptest.NewRecorder()
	Respond(rec, 200, func() {}, false)
	if rec.Code != 500 {
		t.Errorf("a value that cannot be encoded: %d", rec.Code)
	}
}
