package admin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/mmdbot/mmdbot/admin"
	"github.com/mmdbot/mmdbot/knowledge"
	"github.com/mmdbot/mmdbot/store"
)

// A script with the admin token decides that a question is answered by
// the printing entry, through the JSON API.
func ExampleAdmin_Routes() {
	ctx := context.Background()
	st, err := store.Open(ctx, store.Memory, 0)
	if err != nil {
		panic(err)
	}
	defer st.Close()
	a, err := admin.New(admin.Options{
		Store: st, Knowledge: knowledge.Default,
		Token:      "an-admin-token-for-scripts",
		SessionKey: []byte("a session key of at least 32 bytes!"),
		Changed:    func() { fmt.Println("(the server applies the decisions)") },
	})
	if err != nil {
		panic(err)
	}
	mux := http.NewServeMux()
	a.Routes(mux)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	req, _ := http.NewRequest("POST", srv.URL+"/admin/api/decisions",
		strings.NewReader(`{"questions": ["who sorts out the office printers?"], "kind": "answer", "entries": ["customer/printing"]}`))
	req.Header.Set("Authorization", "Bearer an-admin-token-for-scripts")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	var out struct {
		Decisions []store.Decision `json:"decisions"`
		Notice    string           `json:"notice"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	fmt.Println(resp.Status)
	fmt.Println(out.Notice)
	fmt.Println(out.Decisions[0].Kind, out.Decisions[0].Entries, "by", out.Decisions[0].By)
	// Output:
	// (the server applies the decisions)
	// 201 Created
	// Saved: mmdbot answers “who sorts out the office printers?” with “Printing” from now on; similar questions follow once the model has retrained.
	// answer [customer/printing] by token
}
