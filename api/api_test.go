package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/sqlite"
	"github.com/heraldhq/herald/wire"
)

const (
	testToken     = "test-admin-token-0123456789"
	testPublicURL = "https://herald.example.com"
)

// testBundle holds what most tests need: a real SQLite store, the API
// server over HTTP, and a client whose every reply body is recorded, so a
// test can search the raw bytes (for secrets, say).
type testBundle struct {
	store  *sqlite.Store
	server *httptest.Server
	client *api.Client
	clock  *testClock
	wakes  atomic.Int32
	// replies records every reply body the bundle's HTTP client read.
	replies *recordingTransport
	// logs holds everything the server logged.
	logs *syncBuffer
	hc   *http.Client
}

type setupOpts struct {
	MaxBodyBytes int64
	// WrapStore lets a test put a fake in front of the real store.
	WrapStore func(herald.Store) herald.Store
	// Publisher replaces the publisher that writes straight to the store.
	Publisher herald.Publisher
	// Deliverer, if set, makes interactive publishes possible.
	Deliverer herald.Deliverer
	// Checker, if set, runs endpoint checks.
	Checker herald.EndpointChecker
}

func setup(t testing.TB, opts *setupOpts) *testBundle {
	t.Helper()
	if opts == nil {
		opts = &setupOpts{}
	}
	b := &testBundle{
		clock: &testClock{t: time.Date(2025, 3, 14, 15, 9, 26, 0, time.UTC)},
		logs:  &syncBuffer{},
	}
	store, err := sqlite.Open(t.Context(), &sqlite.Config{
		Path:    filepath.Join(t.TempDir(), "herald.db"),
		NowFunc: b.clock.Now,
	})
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { _ = store.Close() })
	b.store = store

	var s herald.Store = store
	if opts.WrapStore != nil {
		s = opts.WrapStore(store)
	}
	var pub herald.Publisher = &storePublisher{store: s}
	if opts.Publisher != nil {
		pub = opts.Publisher
	}
	logger := slog.New(slog.NewTextHandler(io.MultiWriter(t.Output(), b.logs), &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := api.NewServer(api.Config{
		Store:        s,
		Publisher:    pub,
		AdminToken:   testToken,
		PublicURL:    testPublicURL,
		Logger:       logger,
		MaxBodyBytes: opts.MaxBodyBytes,
		NowFunc:      b.clock.Now,
		WakeFunc:     func() { b.wakes.Add(1) },
		Deliverer:    opts.Deliverer,
		Checker:      opts.Checker,
		Health:       store, Replays: store, Retention: store, RetryPolicies: store,
	})
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	b.server = httptest.NewServer(srv)
	t.Cleanup(b.server.Close)
	b.replies = &recordingTransport{base: b.server.Client().Transport}
	b.hc = &http.Client{Transport: b.replies, Timeout: 30 * time.Second}
	b.client = api.NewClient(b.server.URL, testToken, b.hc)
	return b
}

// storePublisher is the tiny Publisher of these tests: one event per
// transaction, straight into the store.
type storePublisher struct{ store herald.Store }

func (p *storePublisher) Publish(ctx context.Context, e *herald.Event) (*herald.EventPublishResult, error) {
	res, err := p.store.EventPublish(ctx, []*herald.Event{e})
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// publishFunc is a Publisher made of a function, for injecting failures.
type publishFunc func(ctx context.Context, e *herald.Event) (*herald.EventPublishResult, error)

func (f publishFunc) Publish(ctx context.Context, e *herald.Event) (*herald.EventPublishResult, error) {
	return f(ctx, e)
}

// testClock is a settable clock, so no test waits on a real one.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// recordingTransport keeps a copy of every reply body.
type recordingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	all  bytes.Buffer
}

func (rt *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := rt.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	if err != nil {
		return nil, err
	}
	rt.mu.Lock()
	rt.all.Write(body)
	rt.all.WriteByte('\n')
	rt.mu.Unlock()
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

func (rt *recordingTransport) String() string {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return rt.all.String()
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// rawReply is a reply read by rawRequest.
type rawReply struct {
	status int
	header http.Header
	body   []byte
	err    api.ErrorResponse // decoded when the status is not 2xx
}

// rawRequest sends a request as is, for the inputs the client never sends.
// It authenticates with the admin token unless header sets Authorization
// (even to ""), and sends Content-Type application/json with a body unless
// header sets Content-Type.
func (b *testBundle) rawRequest(t testing.TB, method, path string, header http.Header, body string) rawReply {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, b.server.URL+path, rd)
	if err != nil {
		t.Fatalf("new request: %v", err)
	}
	req.Header.Set("Authorization", "Bearer "+testToken)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := b.hc.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("read reply: %v", err)
	}
	r := rawReply{status: resp.StatusCode, header: resp.Header, body: data}
	if resp.StatusCode >= 300 {
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Fatalf("%s %s: status %d with Content-Type %q, want application/json; body %s", method, path, resp.StatusCode, ct, data)
		}
		if err := json.Unmarshal(data, &r.err); err != nil {
			t.Fatalf("%s %s: status %d with a body that is not an ErrorResponse: %s", method, path, resp.StatusCode, data)
		}
	}
	return r
}

// createCustomer creates a customer through the API.
func (b *testBundle) createCustomer(t testing.TB, id string) *api.Customer {
	t.Helper()
	c, err := b.client.CustomerCreate(t.Context(), &api.CustomerCreateRequest{ID: id, Name: "Customer " + id})
	if err != nil {
		t.Fatalf("create customer %s: %v", id, err)
	}
	return c
}

// createEndpoint creates an endpoint with no auth for the given types.
func (b *testBundle) createEndpoint(t testing.TB, customerID string, types ...wire.EventType) *api.Endpoint {
	t.Helper()
	e, err := b.client.EndpointCreate(t.Context(), customerID, &api.EndpointCreateRequest{
		URL:        "https://partner.example.com/hook",
		EventTypes: types,
		Auth:       &api.AuthRequest{Type: herald.AuthTypeNone},
	})
	if err != nil {
		t.Fatalf("create endpoint: %v", err)
	}
	return e
}

// statusChange returns a valid Status Flow Update request.
func statusChange(systemID string) *api.EventPublishRequest {
	return &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeWorkFlowStatusChange,
		SystemID:  systemID,
		UserID:    "9059",
		PersonID:  "9166",
		JobID:     "4442",
		OldStatus: "1753",
		NewStatus: "20786",
	}}
}

// publish publishes an event through the API.
func (b *testBundle) publish(t testing.TB, customerID string, req *api.EventPublishRequest) *api.EventPublishResponse {
	t.Helper()
	res, err := b.client.EventPublish(t.Context(), customerID, req)
	if err != nil {
		t.Fatalf("publish: %v", err)
	}
	return res
}

// wantCode fails t unless err is a *herald.Error with the code.
func wantCode(t testing.TB, err error, code string) {
	t.Helper()
	if err == nil {
		t.Fatalf("error = nil, want code %s", code)
	}
	if got := herald.ErrorCode(err); got != code {
		t.Fatalf("error code = %s, want %s (error: %v)", got, code, err)
	}
}
