package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// defaultHealthcheckURL is the readiness probe of a Herald serving on the
// container image's default address.
const defaultHealthcheckURL = "http://127.0.0.1:8080/readyz"

// runHealthcheck is `herald healthcheck`: GET the readiness URL of a running
// Herald and exit 0 if it answers 200, 1 otherwise. A FROM scratch image has
// no shell and no curl, so the image's HEALTHCHECK runs the binary itself.
func runHealthcheck(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	fs := newFlagSet("healthcheck", stderr)
	target := fs.String("url", envDefault("HERALD_HEALTHCHECK_URL", defaultHealthcheckURL), "readiness URL to GET (HERALD_HEALTHCHECK_URL)")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	quiet := fs.Bool("q", false, "print nothing when healthy")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	u, err := url.Parse(*target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usagef("--url: %q is not an http(s) URL", *target)
	}
	if *timeout <= 0 {
		return usagef("--timeout must be positive")
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return usagef("--url: %v", err)
	}
	// A probe must not follow a redirect somewhere else or reuse a pool:
	// one request, one answer.
	client := &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Transport:     &http.Transport{DisableKeepAlives: true, Proxy: nil},
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", u.Redacted(), resp.Status)
	}
	if !*quiet {
		fmt.Fprintf(stdout, "%s: %s\n", u.Redacted(), resp.Status)
	}
	return nil
}
