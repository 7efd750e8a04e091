// Package tracing sets up OpenTelemetry traces for a Herald node: a tracer
// provider that exports over OTLP/HTTP; Handler, which starts a server span
// per request (otelhttp) named after the route; Route, which each package's
// inner ServeMux uses to report that route; a Publisher and a PlatformStore
// that add a span around the commit of a publish or a platform action; and
// LogHandler, which puts the active span's ids on every log line.
//
// The trace of an event: the request that publishes it (server span) keeps
// its W3C trace context in the request's context
// (herald.NewContextWithTraceContext), the event stores it
// (Event.TraceContext), and dispatch starts every attempt's span from it,
// as a child or, for a late attempt, with a link (see dispatch's
// observer.go).
//
// Tracing is off unless cmd/herald is given an OTLP endpoint; off,
// cmd/herald installs none of this and the dispatcher's provider is the
// no-op one, which costs nothing.
//
// It imports the root package and OpenTelemetry, never another adapter;
// api, web and platform import it only for Route.
package tracing

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
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

// scope names the instrumentation scope of the spans this package starts.
const scope = "github.com/heraldhq/herald/tracing"
