package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

func cmdHealthcheck(ctx context.Context, e env, usage string, args []string) error {
	fs := newFlags(e, "healthcheck", usage)
	url := fs.String("url", healthURL(envOr(e, "MMD_ADDR", ":8080")), "address to probe; default /healthz on this machine at the port of MMD_ADDR")
	timeout := fs.Duration("timeout", 3*time.Second, "how long to wait for the answer")
	if ok, err := parseFlags(fs, args); !ok {
		return err
	}
	if err := probe(ctx, *url, *timeout); err != nil {
		fmt.Fprintln(e.stderr, "mmdbot healthcheck:", err)
		return exitCode(1)
	}
	fmt.Fprintln(e.stdout, "ok")
	return nil
}

// healthURL returns the /healthz address of a server listening on addr, as
// seen from the same machine: an unspecified host (":8080", "0.0.0.0:8080")
// is probed on the loopback address.
func healthURL(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = "", "8080"
	}
	switch ip := net.ParseIP(host); {
	case host == "", ip != nil && ip.To4() != nil && ip.IsUnspecified():
		host = "127.0.0.1"
	case ip != nil && ip.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/healthz"
}

// probe gets url and fails unless the answer is 200 OK.
func probe(ctx context.Context, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	client := &http.Client{
		// A probe follows no redirects and uses no proxy from the environment.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true},
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("probe %s: %w", url, err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("probe %s: %s", url, resp.Status)
	}
	return nil
}
