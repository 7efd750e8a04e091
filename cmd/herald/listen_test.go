package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/wire"
)

// listenTestOutput is a concurrency-safe stdout that tests can wait on.
type listenTestOutput struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	changed chan struct{}
}

func newListenTestOutput() *listenTestOutput {
	return &listenTestOutput{changed: make(chan struct{}, 1)}
}

func (o *listenTestOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	n, err := o.buf.Write(p)
	select {
	case o.changed <- struct{}{}:
	default:
	}
	return n, err
}

func (o *listenTestOutput) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

// waitFor waits until the output matches re and returns the first submatch.
func (o *listenTestOutput) waitFor(t testing.TB, re *regexp.Regexp) []string {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		if m := re.FindStringSubmatch(o.String()); m != nil {
			return m
		}
		select {
		case <-o.changed:
		case <-timeout:
			t.Fatalf("timed out waiting for %s in output:\n%s", re, o.String())
		}
	}
}

var listenAddrRE = regexp.MustCompile(`listening on (http://127\.0\.0\.1:\d+)`)

// startListen runs `herald listen` with args on a free port and returns its
// URL and output. It is stopped, and its error checked, at cleanup.
func startListen(t *testing.T, args ...string) (string, *listenTestOutput) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out := newListenTestOutput()
	var stderr bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runListen(ctx, append([]string{"--listen", "127.0.0.1:0"}, args...), nil, out, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("listen returned %v (stderr %s)", err, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("listen did not stop")
		}
	})
	select {
	case err := <-done:
		t.Fatalf("listen exited early: %v\n%s", err, stderr.String())
	default:
	}
	return out.waitFor(t, listenAddrRE)[1], out
}

func postEvent(t *testing.T, url string, gz bool, signer wire.Signer) (*http.Response, []byte) {
	t.Helper()
	body, links, err := wire.BuildEvent("https://api.example.com", "6269", triggerSample(wire.EventTypeAssessment))
	if err != nil {
		t.Fatal(err)
	}
	sent := body
	if gz {
		sent = wire.Gzip(body)
	}
	req, err := wire.NewRequest(t.Context(), &wire.Request{URL: url, EventID: "evt_test", Attempt: 2, Body: sent, Gzip: gz,
		LinkHeader: wire.FormatLinkHeader(links), Signer: signer}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestListenPrintsAndReplies(t *testing.T) {
	t.Parallel()
	url, out := startListen(t, "--auth", "hmac", "--username", "herald", "--secret", "k3y", "--reply", "303 https://partner.example.com/assess/1")
	resp, _ := postEvent(t, url+"/hook", true, wire.HMACAuth{Username: "herald", Secret: []byte("k3y")})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "https://partner.example.com/assess/1" {
		t.Fatalf("reply %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	out.waitFor(t, regexp.MustCompile(`reply +303 See Other`))
	got := out.String()
	for _, want := range []string{"AssessmentEvent (Application Complete)  customer 6269", "event id    evt_test (attempt 2)",
		"systemId    12391385", "applicantWorkflow", "Content-Encoding: gzip", "verified    hmac (user herald), sender herald",
		"Authorization: x-icims-v1-hmac-sha256 …"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "k3y") || strings.Contains(got, "signature=") {
		t.Errorf("output shows credentials:\n%s", got)
	}

	// A request signed with the wrong secret is refused and reported.
	resp, body := postEvent(t, url, false, wire.HMACAuth{Username: "herald", Secret: []byte("wrong")})
	if resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("wrong secret: status %d %s", resp.StatusCode, body)
	}
	out.waitFor(t, regexp.MustCompile(`refused request from .*\n.*signature does not match`))
}

func TestListenJSONAndErrorReply(t *testing.T) {
	t.Parallel()
	url, out := startListen(t, "--json", "--reply", "400 Please provide a valid US SSN.")
	resp, body := postEvent(t, url, false, nil)
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if d, ok := wire.ParseErrorReport(body); !ok || d.UserMessage != "Please provide a valid US SSN." {
		t.Fatalf("error body %s", body)
	}
	line := out.waitFor(t, regexp.MustCompile(`(?m)^(\{.*"eventType".*\})$`))[1]
	var rec listenRecord
	if err := json.Unmarshal([]byte(line), &rec); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	if rec.EventType != wire.EventTypeAssessment || rec.CustomerID != "6269" || rec.EventID != "evt_test" || rec.Reply.Status != 400 ||
		len(rec.Links) != 4 || !json.Valid(rec.Body) {
		t.Fatalf("record = %+v", rec)
	}
}

func TestListenDelay(t *testing.T) {
	t.Parallel()
	url, _ := startListen(t, "--delay", "150ms")
	start := time.Now()
	resp, _ := postEvent(t, url, true, nil)
	if resp.StatusCode != http.StatusOK || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("status %d after %s", resp.StatusCode, time.Since(start))
	}
}

func TestListenUsage(t *testing.T) {
	t.Parallel()
	for _, args := range [][]string{
		{"--reply", "302 https://x.example.com"},
		{"--reply", "303 /relative"},
		{"--reply", "ok"},
		{"--auth", "basic", "--username", "u"},
		{"--auth", "hmac", "--username", "u"},
		{"--auth", "bearer"},
		{"--auth", "standard-webhooks", "--secret", "nope"},
		{"--auth", "oauth2"},
		{"--auth", "magic"},
		{"--delay", "-1s"},
		{"--bogus"},
		{"extra"},
	} {
		err := runListen(t.Context(), args, nil, io.Discard, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: err = %v, want a usage error", args, err)
		}
	}
}
