package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/metrics"
	"github.com/heraldhq/herald/wire"
)

// queueStatsFunc is a herald.QueueStatsStore made of a func.
type queueStatsFunc func(ctx context.Context, now time.Time) (*herald.QueueStats, error)

func (f queueStatsFunc) DeliveryQueueStats(ctx context.Context, now time.Time) (*herald.QueueStats, error) {
	return f(ctx, now)
}

func TestMetricsExposition(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Config{
		QueueStats: queueStatsFunc(func(context.Context, time.Time) (*herald.QueueStats, error) {
			return &herald.QueueStats{Pending: 12, Due: 5, OldestDueAt: now.Add(-90 * time.Second), DisabledEndpoints: 2}, nil
		}),
		OpenCircuitsFunc: func() int { return 3 },
		WriterFunc: func() metrics.WriterCounts {
			return metrics.WriterCounts{Busy: 1500 * time.Millisecond, Writes: 40, Transactions: 25,
				LogSyncs: 20, LogSyncTime: 30 * time.Millisecond}
		},
		NowFunc: func() time.Time { return now },
	})
	m.Outcome(wire.EventTypeAssessment, "delivered_with_link", herald.DeliveryStateDelivered)
	m.Outcome(wire.EventTypeAssessment, "retry", herald.DeliveryStatePending)
	m.Attempt(t.Context(), "ep_1", wire.EventTypeAssessment, 303, 20*time.Millisecond)
	m.Attempt(t.Context(), "ep_1", wire.EventTypeAssessment, 0, 30*time.Second)
	m.Published(&herald.Event{Type: wire.EventTypeAssessment}, nil)
	m.Published(&herald.Event{Type: wire.EventTypeAssessment}, herald.Errorf(herald.EUNAVAILABLE, "shutting down"))
	m.InFlight(1)
	m.ClaimBatch(64)
	m.Handoff(3)
	m.RecordBatch(32)
	m.Circuit("ep_1", "closed", "open")
	m.Poll(t.Context())

	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	for _, want := range []string{
		`herald_deliveries_total{event_type="AssessmentEvent",outcome="delivered_with_link",state="delivered"} 1`,
		`herald_deliveries_total{event_type="AssessmentEvent",outcome="retry",state="pending"} 1`,
		`herald_attempt_duration_seconds_count{code="3xx",event_type="AssessmentEvent"} 1`,
		`herald_attempt_duration_seconds_count{code="none",event_type="AssessmentEvent"} 1`,
		`herald_attempts_in_flight 1`,
		`herald_deliveries_handed_off_total 3`,
		`herald_endpoint_attempt_duration_seconds_count{endpoint_id="ep_1"} 2`,
		`herald_events_published_total{event_type="AssessmentEvent"} 1`,
		`herald_publish_errors_total{code="unavailable"} 1`,
		`herald_last_claim_timestamp_seconds 1.7957808e+09`,
		`herald_claim_batch_size_sum 64`,
		`herald_record_batch_size_sum 32`,
		`herald_circuit_transitions_total{to="open"} 1`,
		`herald_circuits_open 3`,
		`herald_queue_pending 12`,
		`herald_queue_due 5`,
		`herald_queue_oldest_due_age_seconds 90`,
		`herald_endpoints_disabled 2`,
		`herald_sqlite_writer_busy_seconds_total 1.5`,
		`herald_sqlite_writer_writes_total 40`,
		`herald_sqlite_writer_transactions_total 25`,
		`herald_sqlite_log_syncs_total 20`,
		`herald_sqlite_log_sync_seconds_total 0.03`,
		`go_goroutines`,
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("exposition lacks %q", want)
		}
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", body)
	}
}

// TestAttemptExemplars checks that an attempt observed inside a sampled span
// carries its trace id as an exemplar in the OpenMetrics exposition, and
// that the classic text format, which has no exemplars, still parses.
func TestAttemptExemplars(t *testing.T) {
	t.Parallel()
	m := metrics.New(metrics.Config{})
	tp := sdktrace.NewTracerProvider()
	ctx, span := tp.Tracer("test").Start(t.Context(), "herald.attempt")
	m.Attempt(ctx, "ep_1", wire.EventTypeAssessment, 200, 70*time.Millisecond)
	span.End()
	unsampled := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	ctx2, span2 := unsampled.Tracer("test").Start(t.Context(), "herald.attempt")
	m.Attempt(ctx2, "ep_2", wire.EventTypeAssessment, 200, 70*time.Millisecond)
	span2.End()

	req := httptest.NewRequest("GET", "/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, req)
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") {
		t.Fatalf("Content-Type %q, want OpenMetrics", ct)
	}
	body := rec.Body.String()
	exemplar := `# {trace_id="` + span.SpanContext().TraceID().String() + `"} 0.07`
	for _, want := range []string{
		`herald_attempt_duration_seconds_bucket{code="2xx",event_type="AssessmentEvent",le="0.1"} 2 ` + exemplar,
		`herald_endpoint_attempt_duration_seconds_bucket{endpoint_id="ep_1",le="0.1"} 1 ` + exemplar,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("OpenMetrics exposition lacks %q", want)
		}
	}
	if strings.Contains(body, span2.SpanContext().TraceID().String()) {
		t.Error("an unsampled trace id became an exemplar")
	}
	if !strings.Contains(body, `herald_endpoint_attempt_duration_seconds_bucket{endpoint_id="ep_2",le="0.1"} 1`+"\n") {
		t.Error("the unsampled attempt was not observed")
	}
	if t.Failed() {
		t.Logf("exposition:\n%s", body)
	}

	plain := httptest.NewRecorder()
	m.Handler().ServeHTTP(plain, httptest.NewRequest("GET", "/metrics", nil))
	if strings.Contains(plain.Body.String(), "trace_id") {
		t.Error("the text format carries exemplars; Prometheus would refuse it")
	}
}

// TestSlowQueuePollsWaitLonger: a poll that takes d is followed by one no
// sooner than pollCostFactor·d, so counting a large backlog cannot take
// more than a fiftieth of a core. The stub's polls take 20 ms against a
// 10 ms interval: without the rule Run polled back to back, 20 times in
// 400 ms; with it, once at the start and next after 1 s. A slow machine
// only makes fewer polls.
func TestSlowQueuePollsWaitLonger(t *testing.T) {
	var polls atomic.Int32
	m := metrics.New(metrics.Config{
		PollInterval: 10 * time.Millisecond,
		QueueStats: queueStatsFunc(func(context.Context, time.Time) (*herald.QueueStats, error) {
			polls.Add(1)
			time.Sleep(20 * time.Millisecond)
			return &herald.QueueStats{}, nil
		}),
	})
	ctx, cancel := context.WithTimeout(t.Context(), 400*time.Millisecond)
	defer cancel()
	if err := m.Run(ctx); err != nil {
		t.Fatal(err)
	}
	if n := polls.Load(); n != 1 {
		t.Errorf("%d polls of 20 ms in 400 ms, want 1", n)
	}
}
