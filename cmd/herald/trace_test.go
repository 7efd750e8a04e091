package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald/api"
	"github.com/heraldhq/herald/wire"
)

// TestNodeTracesAnEventFromPublishToAttempt runs a node wired as serve
// wires it, with an in-memory span recorder: the publish request's span
// is named after its route, the commit and the attempt are in its trace,
// the partner gets the attempt's traceparent, the UI's and the platform
// API's spans are named after their routes too, and the attempt's latency
// carries the trace id as an exemplar.
func TestNodeTracesAnEventFromPublishToAttempt(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	n, err := startNode(t.Context(), serverConfig{
		Listen: "127.0.0.1:0", DataDir: t.TempDir(), AdminToken: testAdminToken,
		AllowDestinations: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")},
		RequestTimeout:    5 * time.Second, LeaseDuration: time.Minute, ShutdownTimeout: 5 * time.Second,
		TracerProvider: tp,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})

	var mu sync.Mutex
	var traceparent string
	got := make(chan struct{}, 1)
	partner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		traceparent = r.Header.Get(wire.HeaderTraceParent)
		mu.Unlock()
		got <- struct{}{}
	})
	partnerSrv := httptest.NewServer(partner)
	t.Cleanup(partnerSrv.Close)
	srv := partnerSrv.URL + "/icims"
	c := api.NewClient(n.baseURL, testAdminToken, nil)
	if _, err := c.CustomerCreate(t.Context(), &api.CustomerCreateRequest{ID: "6269", Name: "Acme"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.EndpointCreate(t.Context(), "6269", &api.EndpointCreateRequest{URL: srv, EventTypes: []wire.EventType{wire.EventTypeAssessment},
		Auth: &api.AuthRequest{Type: "none"}}); err != nil {
		t.Fatal(err)
	}
	res, err := c.EventPublish(t.Context(), "6269", &api.EventPublishRequest{EventParams: wire.EventParams{
		EventType: wire.EventTypeAssessment, SystemID: "12391385", UserID: "1239", JobID: "1385",
		ReturnURL: "https://careers.example.com/jobs/1385/assessment?i=1",
	}})
	if err != nil {
		t.Fatal(err)
	}
	select {
	case <-got:
	case <-time.After(30 * time.Second):
		t.Fatal("the partner never got the event")
	}
	for _, path := range []string{"/ui/login", "/customers/6269/jobs/1385"} {
		resp, err := http.Get(n.baseURL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}

	// Wait for the attempt's span: it ends after the partner replied.
	var publish, commit, attempt sdktrace.ReadOnlySpan
	names := map[string]bool{}
	deadline := time.Now().Add(30 * time.Second)
	for attempt == nil || !names["GET /customers/{customerId}/jobs/{id}"] {
		if time.Now().After(deadline) {
			t.Fatalf("spans so far: %v", names)
		}
		time.Sleep(20 * time.Millisecond)
		for _, s := range spans.Ended() {
			names[s.Name()] = true
			switch s.Name() {
			case "POST /api/v1/customers/{customerId}/events":
				publish = s
			case "herald.publish.commit":
				commit = s
			case "herald.attempt":
				attempt = s
			}
		}
	}
	for _, want := range []string{"POST /api/v1/customers/{customerId}/endpoints", "GET /ui/login", "GET /customers/{customerId}/jobs/{id}"} {
		if !names[want] {
			t.Errorf("no span named %q among %v", want, names)
		}
	}
	if publish == nil || publish.SpanKind() != trace.SpanKindServer {
		t.Fatalf("publish span %v, want a server span named after the route", publish)
	}
	if commit == nil || commit.Parent().SpanID() != publish.SpanContext().SpanID() {
		t.Fatalf("commit span %v, want a child of the publish span", commit)
	}
	if attempt.Parent().SpanID() != publish.SpanContext().SpanID() || attempt.SpanContext().TraceID() != publish.SpanContext().TraceID() {
		t.Fatalf("attempt span's parent %s, want the publish span %s", attempt.Parent().SpanID(), publish.SpanContext().SpanID())
	}
	var eventID attribute.Value
	for _, kv := range attempt.Attributes() {
		if kv.Key == "herald.event_id" {
			eventID = kv.Value
		}
	}
	if eventID.AsString() != res.ID {
		t.Errorf("attempt span's herald.event_id %q, want %q", eventID.AsString(), res.ID)
	}
	mu.Lock()
	want := "00-" + attempt.SpanContext().TraceID().String() + "-" + attempt.SpanContext().SpanID().String() + "-01"
	if traceparent != want {
		t.Errorf("partner got traceparent %q, want %q", traceparent, want)
	}
	mu.Unlock()

	req, _ := http.NewRequestWithContext(t.Context(), "GET", n.baseURL+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body strings.Builder
	if _, err := io.Copy(&body, resp.Body); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(body.String(), `trace_id="`+attempt.SpanContext().TraceID().String()+`"`) {
		t.Error("the attempt latency has no exemplar with the attempt's trace id")
	}
	// Traced publishes are still counted.
	if !strings.Contains(body.String(), `herald_events_published_total{event_type="AssessmentEvent"} 1`) {
		t.Error("the publish was not counted")
	}
}
