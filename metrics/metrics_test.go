package metrics_test

import (
	"context"
	"io"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

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
		NowFunc:          func() time.Time { return now },
	})
	m.Outcome(wire.EventTypeAssessment, "delivered_with_link", herald.DeliveryStateDelivered)
	m.Outcome(wire.EventTypeAssessment, "retry", herald.DeliveryStatePending)
	m.Attempt(wire.EventTypeAssessment, 303, 20*time.Millisecond)
	m.Attempt(wire.EventTypeAssessment, 0, 30*time.Second)
	m.InFlight(1)
	m.ClaimBatch(64)
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
		`herald_claim_batch_size_sum 64`,
		`herald_record_batch_size_sum 32`,
		`herald_circuit_transitions_total{to="open"} 1`,
		`herald_circuits_open 3`,
		`herald_queue_pending 12`,
		`herald_queue_due 5`,
		`herald_queue_oldest_due_age_seconds 90`,
		`herald_endpoints_disabled 2`,
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
