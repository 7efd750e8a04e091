package tracing_test

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/tracing"
)

// fakePlatformStore implements only the action the test makes; any other
// method would panic on the nil embedded interface.
type fakePlatformStore struct {
	herald.PlatformStore
	ApplicationCompleteFunc func(ctx context.Context, p *herald.ApplicationCompleteParams) (*herald.ActionResult, error)
}

func (f *fakePlatformStore) ApplicationComplete(ctx context.Context, p *herald.ApplicationCompleteParams) (*herald.ActionResult, error) {
	return f.ApplicationCompleteFunc(ctx, p)
}

func TestPlatformStoreSpansTheCommit(t *testing.T) {
	t.Parallel()
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	var inner context.Context
	fake := &fakePlatformStore{ApplicationCompleteFunc: func(ctx context.Context, p *herald.ApplicationCompleteParams) (*herald.ActionResult, error) {
		inner = ctx
		if p.JobID == "missing" {
			return nil, herald.Errorf(herald.ENOTFOUND, "job not found")
		}
		return &herald.ActionResult{Event: &herald.Event{ID: "evt_1", Type: "AssessmentEvent"},
			Deliveries: []*herald.Delivery{{ID: "dlv_1"}, {ID: "dlv_2"}}}, nil
	}}
	s := tracing.PlatformStore(fake, tp)
	ctx, req := tp.Tracer("test").Start(context.Background(), "POST /customers/{customerId}/applicantworkflows")
	if _, err := s.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{CustomerID: "6269", JobID: "1385"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ApplicationComplete(ctx, &herald.ApplicationCompleteParams{CustomerID: "6269", JobID: "missing"}); err == nil {
		t.Fatal("the store's error was lost")
	}
	req.End()

	ended := spans.Ended()
	if len(ended) != 3 {
		t.Fatalf("%d spans, want 3", len(ended))
	}
	ok, refused := ended[0], ended[1]
	for _, s := range []sdktrace.ReadOnlySpan{ok, refused} {
		if s.Name() != "herald.action.commit" || s.Parent().SpanID() != req.SpanContext().SpanID() {
			t.Errorf("span %q with parent %s, want herald.action.commit under the request", s.Name(), s.Parent().SpanID())
		}
		if attr(s, "herald.action").AsString() != "ApplicationComplete" || attr(s, "herald.customer_id").AsString() != "6269" {
			t.Errorf("attributes %v", s.Attributes())
		}
	}
	if attr(ok, "herald.event_id").AsString() != "evt_1" || attr(ok, "herald.deliveries").AsInt64() != 2 {
		t.Errorf("committed action's attributes %v", ok.Attributes())
	}
	if attr(refused, "herald.error_code").AsString() != herald.ENOTFOUND || refused.Status().Code == codes.Error {
		t.Errorf("refused action: code %q, status %v; want not_found, not a span error", attr(refused, "herald.error_code").AsString(), refused.Status())
	}
	if inner == nil || trace.SpanContextFromContext(inner).SpanID() != refused.SpanContext().SpanID() {
		t.Error("the store's context does not carry the commit span")
	}
}
