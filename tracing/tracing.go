// Package tracing sets up OpenTelemetry traces for a Herald node: a tracer
// provider that exports over OTLP/HTTP, and a middleware that starts a
// server span per API request, so a publish's span is the parent of the
// spans of the attempts made while the caller waits (interactive
// delivery). dispatch makes the attempt spans itself, through the
// trace.TracerProvider it is given.
//
// Tracing is off unless cmd/herald is given an OTLP endpoint; off, the
// provider is the no-op one and costs nothing.
//
// Attempts made later from the queue start traces of their own: linking
// them to the publish would mean storing the publish's trace context with
// the event, a schema change left for later.
package tracing

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// Config configures NewProvider.
type Config struct {
	// Endpoint is the OTLP/HTTP collector's URL, such as
	// "http://otel-collector:4318"; "/v1/traces" is added when it has no
	// path. Required.
	Endpoint string
	// ServiceName names the service in every span. Default: "herald".
	ServiceName string
	// NodeID names this node (service.instance.id).
	NodeID string
}

// NewProvider returns a tracer provider that batches spans and exports them
// over OTLP/HTTP. Shut it down (Shutdown) at exit to flush the last spans.
func NewProvider(ctx context.Context, cfg Config) (*sdktrace.TracerProvider, error) {
	u, err := url.Parse(cfg.Endpoint)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("otlp endpoint %q must be an http or https URL", cfg.Endpoint)
	}
	if strings.Trim(u.Path, "/") == "" {
		u.Path = "/v1/traces"
	}
	exp, err := otlptracehttp.New(ctx, otlptracehttp.WithEndpointURL(u.String()))
	if err != nil {
		return nil, fmt.Errorf("otlp exporter: %w", err)
	}
	name := cfg.ServiceName
	if name == "" {
		name = "herald"
	}
	attrs := []attribute.KeyValue{attribute.String("service.name", name)}
	if cfg.NodeID != "" {
		attrs = append(attrs, attribute.String("service.instance.id", cfg.NodeID))
	}
	return sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(resource.NewSchemaless(attrs...)),
	), nil
}

// propagator reads a caller's W3C traceparent, so Herald's spans join the
// trace of whoever published.
var propagator = propagation.TraceContext{}

// Middleware starts a server span for each request, a child of the
// caller's traceparent if it sent one, named after the route once routing
// has set r.Pattern.
func Middleware(tp trace.TracerProvider) func(http.Handler) http.Handler {
	tracer := tp.Tracer("github.com/heraldhq/herald/tracing")
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			ctx := propagator.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
			ctx, span := tracer.Start(ctx, r.Method, trace.WithSpanKind(trace.SpanKindServer),
				trace.WithAttributes(
					attribute.String("http.request.method", r.Method),
					attribute.String("url.path", r.URL.Path),
				))
			defer span.End()
			sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
			r = r.WithContext(ctx)
			next.ServeHTTP(sw, r)
			if r.Pattern != "" {
				span.SetName(r.Pattern)
				span.SetAttributes(attribute.String("http.route", r.Pattern))
			}
			span.SetAttributes(attribute.Int("http.response.status_code", sw.status))
			if sw.status >= 500 {
				span.SetStatus(codes.Error, http.StatusText(sw.status))
			}
		})
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
