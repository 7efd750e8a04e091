package dispatch

import (
	"context"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
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
	// AttemptFunc is called after each HTTP attempt with the partner's
	// status (0: no reply) and how long the request took.
	AttemptFunc func(eventType wire.EventType, statusCode int, latency time.Duration)
	// InFlightFunc is called with +1 when an attempt's request starts and
	// -1 when it ends.
	InFlightFunc func(delta int)
	// ClaimBatchFunc is called with the size of each non-empty claim.
	ClaimBatchFunc func(n int)
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

func (o *Observer) attempt(t wire.EventType, status int, latency time.Duration) {
	if o.AttemptFunc != nil {
		o.AttemptFunc(t, status, latency)
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

func newTracer(tp trace.TracerProvider) trace.Tracer {
	if tp == nil {
		tp = noop.NewTracerProvider()
	}
	return tp.Tracer(tracerName)
}

// startAttemptSpan starts the span of one HTTP attempt. Its parent is
// whatever span ctx carries: the publish request's, for an interactive
// delivery; none for a delivery from the queue, since the publish's trace
// context is not stored with the event.
func (d *Dispatcher) startAttemptSpan(ctx context.Context, ep *herald.Endpoint, c *herald.ClaimedDelivery, number int) (context.Context, trace.Span) {
	return d.tracer.Start(ctx, "herald.attempt",
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("herald.delivery_id", c.ID),
			attribute.String("herald.event_id", c.EventID),
			attribute.String("herald.endpoint_id", ep.ID),
			attribute.String("herald.customer_id", c.CustomerID),
			attribute.String("herald.event_type", string(c.EventType)),
			attribute.Int("herald.attempt", number),
		))
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
