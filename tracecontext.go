package herald

import (
	"context"
	"strings"
)

// MaxTraceContextLength bounds Event.TraceContext: a traceparent is 55
// characters and W3C asks vendors to keep tracestate within 512; anything
// longer is dropped rather than stored with every event.
const MaxTraceContextLength = 1024

// traceContextKey is the context key of the publisher's trace context.
type traceContextKey struct{}

// NewContextWithTraceContext returns ctx carrying the W3C trace context of
// the request being served (Event.TraceContext's form), so the events it
// publishes keep it. Middleware that starts the request's span sets it;
// the root stays free of any tracing library.
func NewContextWithTraceContext(ctx context.Context, tc string) context.Context {
	return context.WithValue(ctx, traceContextKey{}, tc)
}

// TraceContextFromContext returns the trace context ctx carries, or "" if
// none, or one longer than MaxTraceContextLength.
func TraceContextFromContext(ctx context.Context) string {
	tc, _ := ctx.Value(traceContextKey{}).(string)
	if len(tc) > MaxTraceContextLength {
		return ""
	}
	return tc
}

// FormatTraceContext joins a traceparent and a tracestate header value into
// Event.TraceContext's form. An empty traceparent gives "".
func FormatTraceContext(traceparent, tracestate string) string {
	if traceparent == "" {
		return ""
	}
	if tracestate == "" || len(traceparent)+1+len(tracestate) > MaxTraceContextLength {
		return traceparent
	}
	return traceparent + "\n" + tracestate
}

// ParseTraceContext splits Event.TraceContext into its traceparent and
// tracestate header values; it does not check them (the tracing library
// that reads them does).
func ParseTraceContext(tc string) (traceparent, tracestate string) {
	traceparent, tracestate, _ = strings.Cut(tc, "\n")
	return traceparent, tracestate
}
