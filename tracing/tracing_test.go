package tracing_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/tracing"
)

func attr(s sdktrace.ReadOnlySpan, key string) attribute.Value {
	for _, kv := range s.Attributes() {
		if kv.Key == attribute.Key(key) {
			return kv.Value
		}
	}
	return attribute.Value{}
}

// TestHandlerNamesSpanAfterInnerRoute mounts a package the way cmd/herald
// does: an outer mux with a prefix, middleware that copies the request
// (as every context-adding middleware does), and an inner mux wrapped in
// Route. The span must carry the inner route, not the mount point.
func TestHandlerNamesSpanAfterInnerRoute(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))

	var inner trace.SpanContext
	var kept string
	api := http.NewServeMux()
	api.HandleFunc("POST /api/v1/customers/{customerId}/events", func(w http.ResponseWriter, r *http.Request) {
		inner = trace.SpanContextFromContext(r.Context())
		kept = herald.TraceContextFromContext(r.Context())
		w.WriteHeader(http.StatusAccepted)
	})
	type key struct{}
	copying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), key{}, 1)))
		})
	}
	outer := http.NewServeMux()
	outer.Handle("/api/", copying(tracing.Route(api)))
	outer.HandleFunc("GET /healthz", func(http.ResponseWriter, *http.Request) {})
	outer.HandleFunc("GET /portal/{customerId}", func(http.ResponseWriter, *http.Request) {})
	h := tracing.Handler(tp, outer)

	req := httptest.NewRequest("POST", "/api/v1/customers/6269/events", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)
	portal := httptest.NewRequest("GET", "/portal/6269", nil)
	portal.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), portal)
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/healthz", nil))

	ended := spans.Ended()
	if len(ended) != 2 {
		t.Fatalf("%d spans, want 2 (none for /healthz)", len(ended))
	}
	s := ended[0]
	if got, want := s.Name(), "POST /api/v1/customers/{customerId}/events"; got != want {
		t.Errorf("span name %q, want %q", got, want)
	}
	if got := attr(s, "http.route").AsString(); got != "/api/v1/customers/{customerId}/events" {
		t.Errorf("http.route %q", got)
	}
	if got := attr(s, "http.response.status_code").AsInt64(); got != http.StatusAccepted {
		t.Errorf("http.response.status_code %d, want 202", got)
	}
	if got := attr(s, "http.request.method").AsString(); got != "POST" {
		t.Errorf("http.request.method %q, want POST", got)
	}
	if s.SpanKind() != trace.SpanKindServer {
		t.Errorf("span kind %v, want server", s.SpanKind())
	}
	if got := s.SpanContext().TraceID().String(); got != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("trace id %s, want the caller's", got)
	}
	if s.Parent().SpanID().String() != "00f067aa0ba902b7" {
		t.Errorf("parent %s, want the caller's span", s.Parent().SpanID())
	}
	if inner.SpanID() != s.SpanContext().SpanID() {
		t.Error("the handler's context does not carry the request span")
	}
	want := "00-4bf92f3577b34da6a3ce929d0e0e4736-" + s.SpanContext().SpanID().String() + "-01"
	if kept != want {
		t.Errorf("trace context for events %q, want %q (the server span)", kept, want)
	}
	if got := ended[1].Name(); got != "GET /portal/{customerId}" {
		t.Errorf("outer route's span name %q", got)
	}
	// The portal is public: a stranger's traceparent is linked, not joined.
	if ended[1].Parent().IsValid() || len(ended[1].Links()) != 1 ||
		ended[1].SpanContext().TraceID().String() == "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("portal span: parent %v, links %v; want a new root linked to the caller's", ended[1].Parent(), ended[1].Links())
	}
}

func TestLogHandlerAddsSpanIDs(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	log := slog.New(tracing.LogHandler(slog.NewJSONHandler(&buf, nil))).With(slog.String("node_id", "n1"))
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(context.Background(), "work")
	log.InfoContext(ctx, "inside")
	span.End()
	log.InfoContext(context.Background(), "outside")

	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d lines, want 2", len(lines))
	}
	var in, out map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &in); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &out); err != nil {
		t.Fatal(err)
	}
	sc := span.SpanContext()
	if in["trace_id"] != sc.TraceID().String() || in["span_id"] != sc.SpanID().String() || in["node_id"] != "n1" {
		t.Errorf("line inside the span = %v, want its trace_id and span_id", in)
	}
	if _, ok := out["trace_id"]; ok {
		t.Errorf("line outside any span = %v, want no trace_id", out)
	}
}
