package tracing

import (
	"context"
	"net/http"
	"strings"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
)

// propagator reads a caller's W3C traceparent, so Herald's spans join the
// trace of whoever published, and writes the one events keep.
var propagator = propagation.TraceContext{}

// untraced are paths not worth a span: scrapes, probes and static files
// would bury the requests that matter.
func untraced(r *http.Request) bool {
	p := r.URL.Path
	return p == "/metrics" || p == "/healthz" || p == "/readyz" || strings.HasPrefix(p, "/ui/static/")
}

// Handler wraps a node's whole handler (its outer ServeMux) in otelhttp's
// server instrumentation: a server span per request, a child of the
// caller's traceparent if it sent one, with the HTTP semantic-convention
// attributes (method, scheme, address, status, sizes, user agent).
//
// The span is named "METHOD route" once the route is known. otelhttp
// names it from r.Pattern, but only from the *http.Request it handed on,
// after it returns, and only the outer mux sets that one: the API, the
// platform API and the UI are each mounted under a prefix ("/api/",
// "/customers/", "/ui/") and route with an inner ServeMux, which sets
// Pattern on a request copied further down (every middleware that adds to
// the context copies it). So each inner mux is wrapped in Route, which
// reports its match upward through a holder in the context, and Handler
// names the span from the innermost match before otelhttp ends it.
//
// Handler also puts the span's trace context in the request's context
// (herald.NewContextWithTraceContext), so the events the request publishes
// keep it.
func Handler(tp trace.TracerProvider, next http.Handler) http.Handler {
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		h := &routeHolder{}
		ctx = context.WithValue(ctx, routeKey{}, h)
		if tc := FormatSpanContext(trace.SpanContextFromContext(ctx)); tc != "" {
			ctx = herald.NewContextWithTraceContext(ctx, tc)
		}
		r = r.WithContext(ctx)
		next.ServeHTTP(w, r)
		if h.pattern == "" {
			h.pattern = r.Pattern // a route of the outer mux itself
		}
		if route := patternRoute(h.pattern); route != "" {
			span := trace.SpanFromContext(ctx)
			span.SetName(spanMethod(r.Method) + " " + route)
			span.SetAttributes(attribute.String("http.route", route))
		}
	})
	return otelhttp.NewHandler(inner, "herald",
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagator),
		otelhttp.WithFilter(func(r *http.Request) bool { return !untraced(r) }),
		otelhttp.WithPublicEndpointFn(public))
}

// public reports whether r comes from anyone on the internet (the portal's
// candidates and new hires) rather than from a caller holding a token. Its
// traceparent is then only linked, not joined: a stranger must not pick
// our trace ids or force every span to be sampled.
func public(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/portal/") }

// Route is middleware for a package's inner ServeMux: after the mux has
// served the request, it reports the pattern the mux matched (which the
// mux set on this very request) to Handler, which names the server span
// after it. The innermost mux's report wins. Without Handler around it, it
// does nothing.
func Route(mux http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(w, r)
		if h, ok := r.Context().Value(routeKey{}).(*routeHolder); ok && h.pattern == "" {
			h.pattern = r.Pattern
		}
	})
}

// routeKey is the context key of the routeHolder.
type routeKey struct{}

// routeHolder carries the matched pattern from Route up to Handler. The
// request's goroutine alone writes and then reads it, so it needs no lock.
type routeHolder struct{ pattern string }

// patternRoute is the path part of a ServeMux pattern: "POST
// /api/v1/customers/{customerId}/events" gives
// "/api/v1/customers/{customerId}/events".
func patternRoute(pattern string) string {
	if i := strings.IndexByte(pattern, '/'); i >= 0 {
		return pattern[i:]
	}
	return ""
}

// spanMethod is the method for a span name: a known one, or "HTTP", so a
// caller cannot make up span names.
func spanMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace:
		return m
	}
	return "HTTP"
}

// FormatSpanContext returns sc in Event.TraceContext's form (traceparent,
// and tracestate after a newline), or "" if sc is not valid.
func FormatSpanContext(sc trace.SpanContext) string {
	if !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagator.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return herald.FormatTraceContext(c["traceparent"], c["tracestate"])
}
