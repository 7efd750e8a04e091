package dispatch

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// Observer receives the dispatcher's measurements. Every field is optional;
// nil ones are skipped. The functions are called on the hot path, from many
// goroutines at once: they must be quick and safe for concurrent use (a
// Prometheus counter's Inc is both).
//
// It is a struct of funcs rather than an import of a metrics library so
// that dispatch stays an adapter that imports only the root package: the
// metrics package provides methods of these shapes and cmd/herald connects
// the two.
type Observer struct {
	// OutcomeFunc is called once per claimed delivery the dispatcher
	// settles: attempted (the outcome of the reply), failed without an
	// attempt (endpoint disabled or deleted: "gone") or deferred by an open
	// circuit or the rate limit ("deferred"). outcome is an
	// OutcomeKind's String; state is the delivery's new state. Deliveries
	// handed back unchanged (shutdown) are not reported.
	OutcomeFunc func(eventType wire.EventType, outcome string, state herald.DeliveryState)
	// AttemptFunc is called after each HTTP attempt with the endpoint, the
	// partner's status (0: no reply) and how long the request took. ctx
	// carries the attempt's span, for exemplars.
	AttemptFunc func(ctx context.Context, endpointID string, eventType wire.EventType, statusCode int, latency time.Duration)
	// InFlightFunc is called with +1 when an attempt's request starts and
	// -1 when it ends.
	InFlightFunc func(delta int)
	// ClaimBatchFunc is called with the size of each non-empty claim.
	ClaimBatchFunc func(n int)
	// HandoffFunc is called with the number of deliveries a publish
	// leased to this node and handed to it without a claim (handoff.go),
	// when there are any.
	HandoffFunc func(n int)
	// RecordBatchFunc is called with the size of each committed batch of
	// attempt records.
	RecordBatchFunc func(n int)
	// CircuitFunc is called when an endpoint's circuit changes state on
	// this node, with CircuitState strings ("closed", "open", "half_open").
	CircuitFunc func(endpointID, from, to string)
}

// The funcs take strings and root types only, so that the package that
// implements them (metrics) need not import dispatch.

func (o *Observer) outcome(t wire.EventType, k OutcomeKind, s herald.DeliveryState) {
	if o.OutcomeFunc != nil {
		o.OutcomeFunc(t, k.String(), s)
	}
}

func (o *Observer) attempt(ctx context.Context, endpointID string, t wire.EventType, status int, latency time.Duration) {
	if o.AttemptFunc != nil {
		o.AttemptFunc(ctx, endpointID, t, status, latency)
	}
}

func (o *Observer) inFlight(delta int) {
	if o.InFlightFunc != nil {
		o.InFlightFunc(delta)
	}
}

func (o *Observer) claimBatch(n int) {
	if o.ClaimBatchFunc != nil {
		o.ClaimBatchFunc(n)
	}
}

func (o *Observer) handoff(n int) {
	if o.HandoffFunc != nil {
		o.HandoffFunc(n)
	}
}

func (o *Observer) recordBatch(n int) {
	if o.RecordBatchFunc != nil {
		o.RecordBatchFunc(n)
	}
}

func (o *Observer) circuit(id string, from, to CircuitState) {
	if o.CircuitFunc != nil {
		o.CircuitFunc(id, from.String(), to.String())
	}
}

// tracerName names the dispatcher's spans' instrumentation scope.
const tracerName = "github.com/heraldhq/herald/dispatch"

// newTracer returns the dispatcher's tracer, and whether it records
// anything: a no-op provider ignores a span's options, so startAttemptSpan
// does not build them (seven attributes and a URL parse per attempt).
func newTracer(tp trace.TracerProvider) (trace.Tracer, bool) {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	_, isNoop := tp.(noop.TracerProvider)
	return tp.Tracer(tracerName), !isNoop
}

// childWindow is how long after its event was published an attempt's span
// is still made a child of the publish's span; a later one starts a trace
// of its own with a span link to the publish.
//
// Why both: the first attempt from the queue follows the publish within
// milliseconds, as the interactive one does, and belongs in its trace. A
// retry, a replay or an operator's retry may run hours or days later. As
// a child it would stretch the publish's trace over days (its duration and
// its place in a latency view become meaningless) and arrive after trace
// backends have made up their mind about it: a tail-sampling collector
// decides a trace decision_wait (30s by default) after its first span, so
// late children are dropped or kept apart from what was sampled. That is
// the case OpenTelemetry's messaging conventions answer with links (a
// consumer that processes a message later, or in a batch, links to the
// producer's span rather than descending from it). The link keeps the
// event one click away, and every attempt span carries herald.event_id, so
// a search by event id still finds the publish and all its attempts.
const childWindow = 30 * time.Second

// startAttemptSpan starts the span of one HTTP attempt (a client span):
//   - interactive (ctx carries the publish request's span): its child;
//   - from the queue, within childWindow of the publish: a child of the
//     publish's span, read from the event's stored trace context;
//   - later (retries, replays): the root of a new trace, linked to it.
//
// An event published untraced gives a root span without a link.
func (d *Dispatcher) startAttemptSpan(ctx context.Context, ep *herald.Endpoint, c *herald.ClaimedDelivery, number int) (context.Context, trace.Span) {
	// The parent is chosen whether or not the tracer records: the span's
	// context is what the partner's traceparent carries. The options are
	// built only for a tracer that records; a no-op one ignores them.
	var opts []trace.SpanStartOption
	if d.traced {
		opts = attemptSpanOptions(ep, c, number)
	}
	if !trace.SpanContextFromContext(ctx).IsValid() {
		if pub := publishSpanContext(c.TraceContext); pub.IsValid() {
			if d.now().Sub(c.CreatedAt) <= childWindow {
				ctx = trace.ContextWithRemoteSpanContext(ctx, pub)
			} else if d.traced {
				opts = append(opts, trace.WithNewRoot(), trace.WithLinks(trace.Link{
					SpanContext: pub,
					Attributes:  []attribute.KeyValue{attribute.String("herald.link", "publish")},
				}))
			}
		}
	}
	return d.tracer.Start(ctx, "herald.attempt", opts...)
}

// attemptSpanOptions are an attempt span's kind and attributes.
func attemptSpanOptions(ep *herald.Endpoint, c *herald.ClaimedDelivery, number int) []trace.SpanStartOption {
	opts := []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("herald.delivery_id", c.ID),
			attribute.String("herald.event_id", c.EventID),
			attribute.String("herald.endpoint_id", ep.ID),
			attribute.String("herald.customer_id", c.CustomerID),
			attribute.String("herald.event_type", string(c.EventType)),
			attribute.Int("herald.attempt", number),
			attribute.String("http.request.method", http.MethodPost),
		),
	}
	if u, err := url.Parse(ep.URL); err == nil {
		// The host only: a URL's path or query may hold a partner's token.
		opts = append(opts, trace.WithAttributes(attribute.String("server.address", u.Hostname())))
	}
	return opts
}

// publishSpanContext reads an event's stored trace context; an empty or
// malformed one gives an invalid span context.
func publishSpanContext(tc string) trace.SpanContext {
	if tc == "" {
		return trace.SpanContext{}
	}
	tp, ts := herald.ParseTraceContext(tc)
	carrier := propagation.MapCarrier{"traceparent": tp}
	if ts != "" {
		carrier["tracestate"] = ts
	}
	return trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), carrier))
}

// traceParent is the traceparent header sent to the partner: the attempt
// span's, so the partner's spans are its children; "" when the endpoint
// turned it off or there is no valid span (tracing off, event untraced).
// tracestate is not sent: it may carry the publisher's vendors' data,
// which is not the partner's business.
func traceParent(ep *herald.Endpoint, sc trace.SpanContext) string {
	if !ep.TraceContext || !sc.IsValid() {
		return ""
	}
	c := propagation.MapCarrier{}
	propagation.TraceContext{}.Inject(trace.ContextWithSpanContext(context.Background(), sc), c)
	return c["traceparent"]
}

// endAttemptSpan records the outcome on the span and ends it.
func endAttemptSpan(span trace.Span, o *Outcome) {
	span.SetAttributes(attribute.String("herald.outcome", o.Kind.String()))
	if o.StatusCode != 0 {
		span.SetAttributes(attribute.Int("http.response.status_code", o.StatusCode))
	}
	switch o.Kind {
	case OutcomeDelivered, OutcomeDeliveredWithLink:
	default:
		span.SetStatus(codes.Error, o.Error)
	}
	span.End()
}
