// Package jsonout writes JSON the way mmdbot writes it everywhere: text as
// it is (no escaping of <, > and &, which renderers escape their own way
// where it matters), indented for people or compact for platforms, and as
// a whole HTTP response body.
package jsonout

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
)

// Marshal returns v as JSON, indented by two spaces when indent is set,
// without a final newline.
func Marshal(v any, indent bool) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// Write writes v as indented JSON and a newline, as the command line prints
// it.
func Write(w io.Writer, v any) error {
	b, err := Marshal(v, true)
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Respond writes v as the whole JSON body of a response with the given
// status, ending in a newline when indented. A value that cannot be
// encoded gets a 500 and a plain-text body instead.
func Respond(w http.ResponseWriter, status int, v any, indent bool) {
	b, err := Marshal(v, indent)
	if err != nil {
		http.Error(w, "The answer could not be written as JSON.", http.StatusInternalServerError)
		return
	}
	if indent {
		b = append(b, '\n')
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
