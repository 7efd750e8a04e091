package dispatch

import (
	"net/http"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestClassifyReply(t *testing.T) {
	t.Parallel()
	policy := herald.DefaultRetryPolicy()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	errBody := []byte(`{"error":{"userMessage":"Please provide a valid US SSN.","debugErrorMessage":"US SSN missing"}}`)
	tests := []struct {
		name       string
		status     int
		header     http.Header
		body       []byte
		kind       OutcomeKind
		location   string
		userMsg    string
		retryAfter time.Duration
	}{
		{name: "200", status: 200, kind: OutcomeDelivered},
		{name: "204", status: 204, kind: OutcomeDelivered},
		{name: "303", status: 303, header: http.Header{"Location": {"https://vendor.example/a/1"}}, kind: OutcomeDeliveredWithLink, location: "https://vendor.example/a/1"},
		{name: "303 without location", status: 303, kind: OutcomeDelivered},
		{name: "400", status: 400, body: errBody, kind: OutcomeRejected, userMsg: "Please provide a valid US SSN."},
		{name: "410", status: 410, kind: OutcomeGone},
		{name: "408", status: 408, kind: OutcomeRetry},
		{name: "429 seconds", status: 429, header: http.Header{"Retry-After": {"120"}}, kind: OutcomeRetry, retryAfter: 120 * time.Second},
		{name: "503 date", status: 503, header: http.Header{"Retry-After": {now.Add(time.Hour).Format(http.TimeFormat)}}, body: errBody, kind: OutcomeRetry, userMsg: "Please provide a valid US SSN.", retryAfter: time.Hour},
		{name: "500", status: 500, body: errBody, kind: OutcomeRetry, userMsg: "Please provide a valid US SSN."},
		{name: "302 is not followed", status: 302, header: http.Header{"Location": {"https://elsewhere.example"}}, kind: OutcomeRetry},
		{name: "401", status: 401, kind: OutcomeRetry},
		{name: "retry-after capped", status: 429, header: http.Header{"Retry-After": {"999999999"}}, kind: OutcomeRetry, retryAfter: herald.MaxRetryAfter},
		{name: "retry-after garbage", status: 429, header: http.Header{"Retry-After": {"soon"}}, kind: OutcomeRetry},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			h := tt.header
			if h == nil {
				h = http.Header{}
			}
			o := classifyReply(&http.Response{StatusCode: tt.status, Header: h}, tt.body, &policy, now)
			if o.Kind != tt.kind {
				t.Fatalf("kind = %v, want %v", o.Kind, tt.kind)
			}
			if o.Location != tt.location {
				t.Errorf("location = %q, want %q", o.Location, tt.location)
			}
			if o.UserMessage != tt.userMsg {
				t.Errorf("userMessage = %q, want %q", o.UserMessage, tt.userMsg)
			}
			if o.RetryAfter != tt.retryAfter {
				t.Errorf("retryAfter = %v, want %v", o.RetryAfter, tt.retryAfter)
			}
			delivered := tt.kind == OutcomeDelivered || tt.kind == OutcomeDeliveredWithLink
			if !delivered && o.Error == "" {
				t.Error("a failed outcome must say why in Error")
			}
		})
	}
}

func TestOutcomeRecordSchedule(t *testing.T) {
	t.Parallel()
	policy := herald.RetryPolicy{Schedule: []time.Duration{time.Minute, time.Hour}}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	c := &herald.ClaimedDelivery{}
	retry := Outcome{Kind: OutcomeRetry}

	c.ScheduleAttempts = 0
	if r := retry.record(c, nil, &policy, now); r.State != herald.DeliveryStatePending || !r.NextAttemptAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("first failure: %+v", r)
	}
	c.ScheduleAttempts = 1
	if r := retry.record(c, nil, &policy, now); r.State != herald.DeliveryStatePending || !r.NextAttemptAt.Equal(now.Add(time.Hour)) {
		t.Fatalf("second failure: %+v", r)
	}
	c.ScheduleAttempts = 2
	if r := retry.record(c, nil, &policy, now); r.State != herald.DeliveryStateDead {
		t.Fatalf("schedule spent: state %s, want dead", r.State)
	}
	withRA := Outcome{Kind: OutcomeRetry, RetryAfter: 3 * time.Minute}
	c.ScheduleAttempts = 0
	if r := withRA.record(c, nil, &policy, now); !r.NextAttemptAt.Equal(now.Add(3 * time.Minute)) {
		t.Fatalf("Retry-After longer than the schedule must win: %v", r.NextAttemptAt)
	}
}
