package herald_test

import (
	"slices"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

func TestCustomerRetryPolicyRetryPolicy(t *testing.T) {
	t.Parallel()
	s := []time.Duration{time.Minute, 10 * time.Minute, time.Hour}
	tests := []struct {
		name     string
		p        herald.CustomerRetryPolicy
		schedule []time.Duration
	}{
		{"defaults", herald.CustomerRetryPolicy{}, herald.DefaultRetrySchedule},
		{"own schedule", herald.CustomerRetryPolicy{Schedule: s}, s},
		{"max attempts cuts", herald.CustomerRetryPolicy{Schedule: s, MaxAttempts: 2}, s[:1]},
		{"max attempts 1: no retries", herald.CustomerRetryPolicy{Schedule: s, MaxAttempts: 1}, []time.Duration{}},
		{"max attempts extends with the last wait", herald.CustomerRetryPolicy{Schedule: s, MaxAttempts: 6}, append(slices.Clone(s), time.Hour, time.Hour)},
		{"max window cuts", herald.CustomerRetryPolicy{Schedule: s, MaxWindow: 11 * time.Minute}, s[:2]},
		{"max window shorter than the first wait", herald.CustomerRetryPolicy{Schedule: s, MaxWindow: time.Second}, []time.Duration{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := tt.p.RetryPolicy()
			if !slices.Equal(got.Schedule, tt.schedule) {
				t.Fatalf("schedule = %v, want %v", got.Schedule, tt.schedule)
			}
			if got.Jitter != herald.DefaultRetryPolicy().Jitter || !slices.Equal(got.PermanentStatuses, []int{400}) {
				t.Fatalf("jitter %v, permanent %v: want the defaults", got.Jitter, got.PermanentStatuses)
			}
		})
	}
	p := herald.CustomerRetryPolicy{PermanentStatuses: []int{422}}
	if got := p.RetryPolicy(); !got.Permanent(422) || got.Permanent(400) {
		t.Fatalf("permanent statuses %v, want [422] only", got.PermanentStatuses)
	}
}

func TestResolveRetryPolicy(t *testing.T) {
	t.Parallel()
	wide := &herald.CustomerRetryPolicy{CustomerID: "c", MaxAttempts: 3}
	typed := &herald.CustomerRetryPolicy{CustomerID: "c", EventType: wire.EventTypeAssessment, MaxAttempts: 2}
	if got := herald.ResolveRetryPolicy([]*herald.CustomerRetryPolicy{wide, typed}, wire.EventTypeAssessment); len(got.Schedule) != 1 {
		t.Fatalf("event type's policy must win: schedule %v", got.Schedule)
	}
	if got := herald.ResolveRetryPolicy([]*herald.CustomerRetryPolicy{wide, typed}, wire.EventTypeJobPostToWeb); len(got.Schedule) != 2 {
		t.Fatalf("customer's default must apply: schedule %v", got.Schedule)
	}
	if got := herald.ResolveRetryPolicy(nil, wire.EventTypeJobPostToWeb); !slices.Equal(got.Schedule, herald.DefaultRetrySchedule) {
		t.Fatalf("no policies: schedule %v, want the default", got.Schedule)
	}
}
