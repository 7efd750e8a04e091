package dispatch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/tracing"
	"github.com/heraldhq/herald/wire"
)

// TestAttemptSpansFollowThePublish follows one queued event from its
// publish to two attempts: the first, made at once, is a child of the
// publish's span; the retry, made minutes later, starts its own trace
// with a link to it. Both carry the delivery's ids and outcome, and the
// partner gets each attempt's traceparent, unless its endpoint turned
// that off.
func TestAttemptSpansFollowThePublish(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	start := time.Now().UTC().Truncate(time.Millisecond)
	clock := &fakeClock{now: start}
	r := newRig(t, func(c *dispatch.Config) {
		c.NowFunc = clock.Now
		c.TracerProvider = tp
		c.RetryPolicy = &herald.RetryPolicy{Schedule: []time.Duration{time.Minute, time.Minute}, Jitter: -1}
	})
	r.customer(t, "2187")

	var mu sync.Mutex
	got := map[string][]string{} // path: traceparent of each request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		got[req.URL.Path] = append(got[req.URL.Path], req.Header.Get(wire.HeaderTraceParent))
		first := len(got[req.URL.Path]) == 1
		mu.Unlock()
		if req.URL.Path == "/on" && first {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	on := r.endpoint(t, "2187", srv.URL+"/on", func(e *herald.Endpoint) { e.TraceContext = true })
	off := r.endpoint(t, "2187", srv.URL+"/off", func(e *herald.Endpoint) { e.TraceContext = false })

	// The publish as cmd/herald makes it: the request's server span
	// (tracing.Handler), whose context the event keeps, and the commit's
	// span (tracing.Publisher).
	ctx, pub := tp.Tracer("test").Start(context.Background(), "POST /api/v1/customers/{customerId}/events",
		trace.WithSpanKind(trace.SpanKindServer))
	ev := tracedStatusChange(t, start, pub.SpanContext())
	res, err := tracing.Publisher(r.pub, tp).Publish(ctx, ev)
	if err != nil || res.Err != nil {
		t.Fatalf("publish: %v, %v", err, res.Err)
	}
	pub.End()
	var id, offID string
	for _, d := range res.Deliveries {
		switch d.EndpointID {
		case on.ID:
			id = d.ID
		case off.ID:
			offID = d.ID
		}
	}
	r.wait(t, id, attempted(1))
	// Both first attempts recorded before the clock jumps past their
	// leases: a lease that ran out with its attempt still unrecorded is
	// claimed again, and "off" would be sent twice.
	r.wait(t, offID, attempted(1))
	// The retry is due a minute later; two minutes is past the window in
	// which an attempt is still a child of the publish.
	clock.Advance(2 * time.Minute)
	r.disp.Wake()
	r.wait(t, id, attempted(2))
	r.stop()

	var commit sdktrace.ReadOnlySpan
	attempts := make([]sdktrace.ReadOnlySpan, 3) // of the "on" endpoint, by attempt number
	for _, s := range spans.Ended() {
		switch s.Name() {
		case "herald.publish.commit":
			commit = s
		case "herald.attempt":
			if attr(s, "herald.endpoint_id").AsString() == on.ID {
				attempts[attr(s, "herald.attempt").AsInt64()] = s
			}
		}
	}
	if commit == nil || commit.Parent().SpanID() != pub.SpanContext().SpanID() {
		t.Fatalf("commit span %v, want a child of the publish span", commit)
	}
	if attr(commit, "herald.event_id").AsString() != ev.ID || attr(commit, "herald.deliveries").AsInt64() != 2 {
		t.Errorf("commit span attributes %v", commit.Attributes())
	}
	first, retry := attempts[1], attempts[2]
	if first == nil || retry == nil {
		t.Fatalf("attempt spans %v, want attempts 1 and 2", attempts)
	}
	for i, s := range []sdktrace.ReadOnlySpan{first, retry} {
		want := map[string]any{
			"herald.event_id": ev.ID, "herald.delivery_id": id, "herald.endpoint_id": on.ID,
			"herald.customer_id": "2187", "herald.attempt": int64(i + 1),
			"herald.outcome": []string{"retry", "delivered"}[i],
		}
		for k, v := range want {
			if got := attr(s, k).AsInterface(); got != v {
				t.Errorf("attempt %d: %s = %v, want %v", i+1, k, got, v)
			}
		}
		if s.SpanKind() != trace.SpanKindClient {
			t.Errorf("attempt %d: kind %v, want client", i+1, s.SpanKind())
		}
	}
	if first.SpanContext().TraceID() != pub.SpanContext().TraceID() || first.Parent().SpanID() != pub.SpanContext().SpanID() {
		t.Errorf("first attempt: trace %s parent %s, want a child of the publish span %s", first.SpanContext().TraceID(),
			first.Parent().SpanID(), pub.SpanContext().SpanID())
	}
	if retry.Parent().IsValid() || len(retry.Links()) != 1 || retry.Links()[0].SpanContext.SpanID() != pub.SpanContext().SpanID() {
		t.Errorf("retry: parent %v, links %v; want a new root linked to the publish span", retry.Parent(), retry.Links())
	}

	mu.Lock()
	defer mu.Unlock()
	wantOn := []string{traceparentOf(first), traceparentOf(retry)}
	if len(got["/on"]) != 2 || got["/on"][0] != wantOn[0] || got["/on"][1] != wantOn[1] {
		t.Errorf("partner got traceparent %q, want %q (each attempt's span)", got["/on"], wantOn)
	}
	if len(got["/off"]) != 1 || got["/off"][0] != "" {
		t.Errorf("partner with traceContext off got traceparent %q, want none", got["/off"])
	}
}

func traceparentOf(s sdktrace.ReadOnlySpan) string {
	sc := s.SpanContext()
	return "00-" + sc.TraceID().String() + "-" + sc.SpanID().String() + "-01"
}

func attr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, kv := range s.Attributes() {
		if kv.Key == attribute.Key(key) {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// TestUntracedAttemptsPassOnThePublishersTraceparent: a dispatcher with
// tracing off (no provider) makes no spans of its own, but an event whose
// publish was traced (on a node that traces, say) still takes its
// publisher's traceparent to the partner on an attempt within childWindow
// of the publish, so the partner's spans join that trace; a retry
// minutes later sends none.
func TestUntracedAttemptsPassOnThePublishersTraceparent(t *testing.T) {
	t.Parallel()
	start := time.Now().UTC().Truncate(time.Millisecond)
	clock := &fakeClock{now: start}
	r := newRig(t, func(c *dispatch.Config) {
		c.NowFunc = clock.Now
		c.RetryPolicy = &herald.RetryPolicy{Schedule: []time.Duration{time.Minute, time.Minute}, Jitter: -1}
	})
	r.customer(t, "2187")
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		got = append(got, req.Header.Get(wire.HeaderTraceParent))
		first := len(got) == 1
		mu.Unlock()
		if first {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(srv.Close)
	r.endpoint(t, "2187", srv.URL, func(e *herald.Endpoint) { e.TraceContext = true })

	caller := trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36},
		SpanID:     trace.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7},
		TraceFlags: trace.FlagsSampled,
	})
	ev := tracedStatusChange(t, start, caller)
	res, err := r.pub.Publish(context.Background(), ev)
	if err != nil || res.Err != nil {
		t.Fatalf("publish: %v, %v", err, res.Err)
	}
	id := res.Deliveries[0].ID
	r.wait(t, id, attempted(1))
	clock.Advance(2 * time.Minute)
	r.disp.Wake()
	r.wait(t, id, attempted(2))
	r.stop()

	mu.Lock()
	defer mu.Unlock()
	want := []string{"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", ""}
	if len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("traceparents %q, want %q", got, want)
	}
}

// tracedStatusChange is customer 2187's status change event, published at
// start by a request whose span context was sc.
func tracedStatusChange(t *testing.T, start time.Time, sc trace.SpanContext) *herald.Event {
	t.Helper()
	params := &wire.EventParams{EventType: wire.EventTypeWorkFlowStatusChange, SystemID: "13437", PersonID: "9166",
		UserID: "9059", JobID: "4442", OldStatus: "1753", NewStatus: "20786"}
	body, links, err := wire.BuildEvent("https://platform.example", "2187", params)
	if err != nil {
		t.Fatal(err)
	}
	return &herald.Event{ID: herald.NewID(herald.IDPrefixEvent, start), CustomerID: "2187", Type: params.EventType,
		NewStatus: params.NewStatus, Body: body, BodyGzip: wire.Gzip(body), LinkHeader: wire.FormatLinkHeader(links),
		TraceContext: tracing.FormatSpanContext(sc), CreatedAt: start}
}
