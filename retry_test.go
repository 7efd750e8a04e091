package herald_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestDefaultRetryScheduleLastsThreeDays(t *testing.T) {
	t.Parallel()
	p := herald.DefaultRetryPolicy()
	if total := p.Total(); total < 72*time.Hour {
		t.Fatalf("default schedule lasts %s, want at least 3 days", total)
	}
	// The first retry comes quickly: most failures are blips.
	if p.Schedule[0] > 10*time.Second {
		t.Fatalf("first retry after %s", p.Schedule[0])
	}
	if !p.Permanent(400) || p.Permanent(500) || p.Permanent(429) {
		t.Fatal("only 400 is permanent by default")
	}
}

func TestRetryPolicyNextAttempt(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	p := herald.RetryPolicy{Schedule: []time.Duration{10 * time.Second, time.Hour}, Jitter: 0.2}
	for range 200 {
		next, ok := p.NextAttempt(1, 0, now)
		if !ok {
			t.Fatal("first retry refused")
		}
		if wait := next.Sub(now); wait < 8*time.Second || wait > 12*time.Second {
			t.Fatalf("wait %s outside 10s ± 20%%", wait)
		}
	}
	if _, ok := p.NextAttempt(3, 0, now); ok {
		t.Fatal("a spent schedule must end in dead")
	}
	if _, ok := p.NextAttempt(0, 0, now); ok {
		t.Fatal("attempt 0 is not a failure")
	}
	// Retry-After asks for more: honoured, capped.
	p.Jitter = 0
	if next, _ := p.NextAttempt(1, 5*time.Minute, now); !next.Equal(now.Add(5 * time.Minute)) {
		t.Fatalf("Retry-After ignored: %s", next)
	}
	if next, _ := p.NextAttempt(1, 72*time.Hour, now); !next.Equal(now.Add(herald.MaxRetryAfter)) {
		t.Fatalf("Retry-After not capped: %s", next)
	}
	// Retry-After shorter than the schedule does not shorten it.
	if next, _ := p.NextAttempt(2, time.Second, now); !next.Equal(now.Add(time.Hour)) {
		t.Fatalf("short Retry-After shortened the schedule: %s", next)
	}
}
