package tracing_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald/tracing"
)

func TestMiddlewareJoinsCallersTrace(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	var inner trace.SpanContext
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/customers/{customerId}/events", func(w http.ResponseWriter, r *http.Request) {
		inner = trace.SpanContextFromContext(r.Context())
		w.WriteHeader(http.StatusAccepted)
	})
	h := tracing.Middleware(tp)(mux)

	req := httptest.NewRequest("POST", "/api/v1/customers/6269/events", nil)
	req.Header.Set("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	h.ServeHTTP(httptest.NewRecorder(), req)

	ended := spans.Ended()
	if len(ended) != 1 {
		t.Fatalf("%d spans, want 1", len(ended))
	}
	s := ended[0]
	if s.Name() != "POST /api/v1/customers/{customerId}/events" {
		t.Errorf("span name %q, want the route", s.Name())
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
	var status int64
	for _, kv := range s.Attributes() {
		if kv.Key == attribute.Key("http.response.status_code") {
			status = kv.Value.AsInt64()
		}
	}
	if status != http.StatusAccepted {
		t.Errorf("status attribute %d, want 202", status)
	}
}
