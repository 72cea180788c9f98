package main

import (
	"bytes"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthURL(t *testing.T) {
	tests := []struct{ addr, want string }{
		{":8080", "http://127.0.0.1:8080/healthz"},
		{"0.0.0.0:9000", "http://127.0.0.1:9000/healthz"},
		{"[::]:9000", "http://[::1]:9000/healthz"},
		{"127.0.0.1:8081", "http://127.0.0.1:8081/healthz"},
		{"mmdbot.internal:80", "http://mmdbot.internal:80/healthz"},
		{"nonsense", "http://127.0.0.1:8080/healthz"},
	}
	for _, tt := range tests {
		if got := healthURL(tt.addr); got != tt.want {
			t.Errorf("healthURL(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestHealthcheck(t *testing.T) {
	s := runServer(t, nil, nil)
	addr := strings.TrimPrefix(s.URL, "http://")
	// A port nothing listens on: bind one, then free it.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := ln.Addr().String()
	ln.Close()
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer failing.Close()

	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr bool
		stderr  string
	}{
		{"--url", []string{"--url", s.URL + "/healthz"}, nil, false, ""},
		{"MMD_ADDR", nil, map[string]string{"MMD_ADDR": addr}, false, ""},
		{"nothing listening", []string{"--url", "http://" + closed + "/healthz", "--timeout", "1s"}, nil, true, "connection refused"},
		{"not healthy", []string{"--url", failing.URL}, nil, true, "503 Service Unavailable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), append([]string{"healthcheck"}, tt.args...), func(k string) string { return tt.env[k] }, nil, &stdout, &stderr)
			if (err != nil) != tt.wantErr {
				t.Fatalf("healthcheck: error %v, want error %v\n%s", err, tt.wantErr, stderr.String())
			}
			if err != nil && err != exitCode(1) {
				t.Errorf("healthcheck: %v, want exit status 1", err)
			}
			if !strings.Contains(stderr.String(), tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.stderr)
			}
		})
	}
}
