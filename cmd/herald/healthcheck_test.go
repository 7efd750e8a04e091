package main

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	status := http.StatusOK
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/readyz":
			w.WriteHeader(status)
		case "/moved":
			http.Redirect(w, r, "/readyz", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	// A port nothing listens on: a closed server's.
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()

	for _, tc := range []struct {
		name     string
		status   int
		args     []string
		wantCode int
	}{
		{"ready", http.StatusOK, []string{"--url", srv.URL + "/readyz"}, 0},
		{"not ready", http.StatusServiceUnavailable, []string{"--url", srv.URL + "/readyz"}, 1},
		{"not found", http.StatusOK, []string{"--url", srv.URL + "/nope"}, 1},
		{"redirect is not followed", http.StatusOK, []string{"--url", srv.URL + "/moved"}, 1},
		{"nothing listening", http.StatusOK, []string{"--url", closed.URL + "/readyz"}, 1},
		{"not a URL", http.StatusOK, []string{"--url", "127.0.0.1:8080/readyz"}, 2},
		{"bad timeout", http.StatusOK, []string{"--url", srv.URL + "/readyz", "--timeout", "0s"}, 2},
		{"extra argument", http.StatusOK, []string{"now"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Not parallel: the cases share the fake's status.
			status = tc.status
			var stdout, stderr bytes.Buffer
			err := run(t.Context(), append([]string{"healthcheck"}, tc.args...), strings.NewReader(""), &stdout, &stderr)
			if got := exitCode(err, &stderr); got != tc.wantCode {
				t.Fatalf("exit code %d, want %d (err %v)", got, tc.wantCode, err)
			}
		})
	}
}

// TestHealthcheckAgainstServe probes a real node, by flag and by variable.
func TestHealthcheckAgainstServe(t *testing.T) {
	base := startServe(t)
	var out bytes.Buffer
	if err := run(t.Context(), []string{"healthcheck", "--url", base + "/readyz"}, strings.NewReader(""), &out, &out); err != nil {
		t.Fatalf("healthcheck of a ready node: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "200 OK") {
		t.Errorf("output %q, want the status", out.String())
	}
	t.Setenv("HERALD_HEALTHCHECK_URL", base+"/readyz")
	out.Reset()
	if err := run(t.Context(), []string{"healthcheck", "-q"}, strings.NewReader(""), &out, &out); err != nil || out.Len() != 0 {
		t.Fatalf("healthcheck -q from HERALD_HEALTHCHECK_URL: %v, output %q", err, out.String())
	}
	var ue *usageError
	if err := run(t.Context(), []string{"healthcheck", "--url", base + "/nope"}, strings.NewReader(""), &out, &out); err == nil || errors.As(err, &ue) {
		t.Fatalf("healthcheck of a missing path: %v, want a runtime error", err)
	}
}
