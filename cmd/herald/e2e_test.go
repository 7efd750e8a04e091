package main

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

const testAdminToken = "e2e-admin-token-0123456789"

// startServe runs `herald serve` in-process on a free port and returns its
// base URL. It stops when the test ends.
func startServe(t *testing.T, extra ...string) string {
	t.Helper()
	t.Setenv("HERALD_ADMIN_TOKEN", testAdminToken)
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data", t.TempDir(), "--allow-destinations", "127.0.0.0/8", "--log-level", "warn"}, extra...)
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, args, strings.NewReader(""), pw, t.Output())
		pw.Close()
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve returned %v", err)
		}
	})
	return readAddress(t, pr)
}

var listeningRE = regexp.MustCompile(`Herald listening on (http://\S+)`)

// readAddress reads the server's first lines until it says where it listens,
// then keeps draining the pipe so the server never blocks on stdout.
func readAddress(t *testing.T, r io.Reader) string {
	t.Helper()
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(r)
		for sc.Scan() {
			if m := listeningRE.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return u
	case <-time.After(30 * time.Second):
		t.Fatal("herald serve did not say where it listens")
	}
	return ""
}

// partnerRecorder is a partner endpoint that records what it gets.
type partnerRecorder struct {
	mu     sync.Mutex
	events map[string]int // Herald-Event-Id → times received
	bodies [][]byte
	got    chan string
}

func newReceiver(t *testing.T) (*partnerRecorder, *httptest.Server) {
	rc := &partnerRecorder{events: map[string]int{}, got: make(chan string, 100000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(400)
			return
		}
		if r.Header.Get("Content-Encoding") == "gzip" {
			if body, err = wire.Gunzip(body, 1<<20); err != nil {
				w.WriteHeader(400)
				return
			}
		}
		id := r.Header.Get(wire.HeaderEventID)
		rc.mu.Lock()
		rc.events[id]++
		rc.bodies = append(rc.bodies, body)
		rc.mu.Unlock()
		rc.got <- id
	}))
	t.Cleanup(srv.Close)
	return rc, srv
}

func TestServeDeliversAnEventEndToEnd(t *testing.T) {
	base := startServe(t)
	rc, partner := newReceiver(t)
	ctx := t.Context()
	c := api.NewClient(base, testAdminToken, nil)

	if _, err := c.CustomerCreate(ctx, &api.CustomerCreateRequest{ID: "6269", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	ep, err := c.EndpointCreate(ctx, "6269", &api.EndpointCreateRequest{
		URL:        partner.URL + "/icims",
		EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth:       &api.AuthRequest{Type: "basic", Username: "acme", Password: "correct-horse-battery"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(ep.Auth.Password, "correct-horse") {
		t.Fatalf("password echoed: %q", ep.Auth.Password)
	}
	res, err := c.EventPublish(ctx, "6269", &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/front-line-job-3/assessment?i=1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Deliveries) != 1 || res.Deliveries[0].EndpointID != ep.ID {
		t.Fatalf("deliveries %+v", res.Deliveries)
	}
	select {
	case id := <-rc.got:
		if id != res.ID {
			t.Fatalf("partner got event %q, want %q", id, res.ID)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the partner never got the event")
	}
	body, err := wire.ParseBody(rc.bodies[0])
	if err != nil {
		t.Fatal(err)
	}
	if want := base + "/customers/6269/jobs/1385"; body.Links[1].URL != want {
		t.Errorf("job link %q, want %q (built from the public URL)", body.Links[1].URL, want)
	}

	// The attempt is recorded and visible through the API.
	deadline := time.Now().Add(10 * time.Second)
	for {
		ev, err := c.EventGet(ctx, res.ID)
		if err != nil {
			t.Fatal(err)
		}
		if d := ev.Deliveries[0]; d.State == "delivered" {
			if len(d.Attempts) != 1 || d.Attempts[0].StatusCode != 200 {
				t.Fatalf("attempts %+v", d.Attempts)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("delivery not recorded as delivered: %+v", ev.Deliveries[0])
		}
		time.Sleep(20 * time.Millisecond)
	}

	// Prometheus sees the delivery.
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	metricsText, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(metricsText), `herald_deliveries_total{event_type="AssessmentEvent",outcome="delivered"`) {
		t.Fatalf("/metrics has no delivered AssessmentEvent:\n%.2000s", metricsText)
	}
	for _, path := range []string{"/healthz", "/readyz", "/api/openapi.json"} {
		r, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		r.Body.Close()
		if r.StatusCode != 200 {
			t.Errorf("%s = %d", path, r.StatusCode)
		}
	}
}

// TestServeRejectsBadFlags also checks that a refused serve made nothing
// on disk: a typo must not leave an empty data directory behind.
func TestServeRejectsBadFlags(t *testing.T) {
	t.Parallel()
	dataDir := filepath.Join(t.TempDir(), "data")
	for _, args := range [][]string{
		{"serve", "--no-such-flag"},
		{"serve", "--allow-destinations", "not-a-cidr"},
		{"serve", "--log-format", "xml"},
		{"serve", "--database", "mysql://x"},
		{"nope"},
	} {
		if args[0] == "serve" {
			args = append(args, "--data", dataDir)
		}
		err := run(t.Context(), args, strings.NewReader(""), io.Discard, io.Discard)
		var ue *usageError
		if !errors.As(err, &ue) {
			t.Errorf("%v: got %v, want a usage error (exit 2)", args, err)
		}
		if _, err := os.Stat(dataDir); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%v: the data directory exists after the refusal (stat: %v)", args, err)
		}
	}
}
