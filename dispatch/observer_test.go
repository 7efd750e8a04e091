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

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// observed collects what the dispatcher reports through its Observer.
type observed struct {
	mu       sync.Mutex
	outcomes []string // outcome/state
	statuses []int
	inFlight int
	claimed  int
	handoffs int
	recorded int
}

func (o *observed) observer() dispatch.Observer {
	return dispatch.Observer{
		OutcomeFunc: func(_ wire.EventType, outcome string, state herald.DeliveryState) {
			o.mu.Lock()
			o.outcomes = append(o.outcomes, outcome+"/"+string(state))
			o.mu.Unlock()
		},
		AttemptFunc: func(_ context.Context, _ string, _ wire.EventType, status int, _ time.Duration) {
			o.mu.Lock()
			o.statuses = append(o.statuses, status)
			o.mu.Unlock()
		},
		InFlightFunc:    func(d int) { o.mu.Lock(); o.inFlight += d; o.mu.Unlock() },
		ClaimBatchFunc:  func(n int) { o.mu.Lock(); o.claimed += n; o.mu.Unlock() },
		HandoffFunc:     func(n int) { o.mu.Lock(); o.handoffs += n; o.mu.Unlock() },
		RecordBatchFunc: func(n int) { o.mu.Lock(); o.recorded += n; o.mu.Unlock() },
	}
}

func TestObserverAndAttemptSpans(t *testing.T) {
	t.Parallel()
	var obs observed
	spans := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(spans))
	r := newRig(t, func(c *dispatch.Config) {
		c.Observer = obs.observer()
		c.TracerProvider = tp
	})
	r.customer(t, "2187")
	mux := http.NewServeMux()
	mux.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) {})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusBadGateway) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	okEP := r.endpoint(t, "2187", srv.URL+"/ok", nil)
	r.endpoint(t, "2187", srv.URL+"/fail", nil)

	res := r.publish(t, "2187", "13437", wire.EventTypeWorkFlowStatusChange)
	for _, d := range res.Deliveries {
		r.wait(t, d.ID, attempted(1))
	}
	// An interactive delivery's attempt span is a child of the caller's.
	parentCtx, parent := tp.Tracer("test").Start(context.Background(), "publish")
	// Due in an hour: only DeliverNow attempts it now.
	res2 := r.publishAt(t, "2187", "13438", wire.EventTypeWorkFlowStatusChange, time.Now().UTC().Add(time.Hour))
	var okID string
	for _, d := range res2.Deliveries {
		if d.EndpointID == okEP.ID {
			okID = d.ID
		}
	}
	if _, err := r.disp.DeliverNow(parentCtx, []string{okID}, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	parent.End()
	r.wait(t, okID, attempted(1))
	r.stop() // every record committed and reported

	obs.mu.Lock()
	defer obs.mu.Unlock()
	count := func(s string) int {
		n := 0
		for _, o := range obs.outcomes {
			if o == s {
				n++
			}
		}
		return n
	}
	if count("delivered/delivered") != 2 || count("retry/pending") != 1 || len(obs.outcomes) != 3 {
		t.Errorf("outcomes = %v, want 2 delivered/delivered and 1 retry/pending", obs.outcomes)
	}
	if len(obs.statuses) != 3 || obs.inFlight != 0 {
		t.Errorf("attempt statuses %v, in flight %d; want 3 attempts, 0 in flight", obs.statuses, obs.inFlight)
	}
	// The first event's two deliveries are handed to the dispatcher at
	// publish; the second's is claimed by DeliverNow.
	if obs.claimed != 1 || obs.handoffs != 2 || obs.recorded != 3 {
		t.Errorf("claimed %d, handed off %d, recorded %d; want 1, 2 and 3", obs.claimed, obs.handoffs, obs.recorded)
	}

	var attemptSpans []sdktrace.ReadOnlySpan
	for _, s := range spans.Ended() {
		if s.Name() == "herald.attempt" {
			attemptSpans = append(attemptSpans, s)
		}
	}
	if len(attemptSpans) != 3 {
		t.Fatalf("%d attempt spans, want 3", len(attemptSpans))
	}
	children := 0
	for _, s := range attemptSpans {
		attrs := map[attribute.Key]attribute.Value{}
		for _, kv := range s.Attributes() {
			attrs[kv.Key] = kv.Value
		}
		for _, k := range []attribute.Key{"herald.delivery_id", "herald.endpoint_id", "herald.event_type", "herald.attempt", "http.response.status_code"} {
			if _, ok := attrs[k]; !ok {
				t.Errorf("attempt span lacks %s: %v", k, s.Attributes())
			}
		}
		if s.Parent().SpanID() == parent.SpanContext().SpanID() {
			children++
			if attrs["herald.delivery_id"].AsString() != okID {
				t.Errorf("child span is for %s, want the interactive delivery %s", attrs["herald.delivery_id"].AsString(), okID)
			}
		}
	}
	if children != 1 {
		t.Errorf("%d attempt spans are children of the publish span, want 1 (the interactive one)", children)
	}
}
