package herald

import (
	"math/rand/v2"
	"slices"
	"time"
)

// DefaultRetrySchedule is how long Herald waits before each retry of a
// delivery that failed in a way worth retrying. It starts fast (most
// failures are blips) and backs off to daily, lasting a little over three
// days in all, long enough to outlast a partner's weekend outage, as the
// best webhook systems do. A delivery whose schedule runs out is dead.
var DefaultRetrySchedule = []time.Duration{
	5 * time.Second,
	30 * time.Second,
	2 * time.Minute,
	10 * time.Minute,
	30 * time.Minute,
	1 * time.Hour,
	2 * time.Hour,
	4 * time.Hour,
	8 * time.Hour,
	12 * time.Hour,
	24 * time.Hour,
	24 * time.Hour,
}

// MaxRetryAfter bounds how far a partner's Retry-After can push a retry.
const MaxRetryAfter = 24 * time.Hour

// RetryPolicy says when a failed delivery is retried.
type RetryPolicy struct {
	// Schedule is the wait before each retry; its length is the number of
	// retries. Default: DefaultRetrySchedule.
	Schedule []time.Duration
	// Jitter spreads each wait by up to this fraction either way, so the
	// retries of a burst that failed together do not come back together.
	// Default: 0.2. Negative: none.
	Jitter float64
	// PermanentStatuses are the reply statuses that reject a delivery for
	// good instead of retrying it. Default: 400.
	PermanentStatuses []int
}

// DefaultRetryPolicy is the policy of an endpoint that configures none.
func DefaultRetryPolicy() RetryPolicy {
	return RetryPolicy{Schedule: DefaultRetrySchedule, Jitter: 0.2, PermanentStatuses: []int{400}}
}

// Permanent reports whether a reply with this status rejects the delivery.
func (p *RetryPolicy) Permanent(status int) bool {
	return slices.Contains(p.PermanentStatuses, status)
}

// NextAttempt returns when a delivery that has failed scheduleAttempts times
// in its current schedule (counting the failure just seen) is due again, and
// false when the schedule is spent and the delivery is dead. retryAfter is
// the partner's Retry-After (zero if none): it is honoured when it asks for
// a longer wait than the schedule, up to MaxRetryAfter.
func (p *RetryPolicy) NextAttempt(scheduleAttempts int, retryAfter time.Duration, now time.Time) (time.Time, bool) {
	if scheduleAttempts < 1 || scheduleAttempts > len(p.Schedule) {
		return time.Time{}, false
	}
	wait := p.Schedule[scheduleAttempts-1]
	if p.Jitter > 0 {
		wait += time.Duration((rand.Float64()*2 - 1) * p.Jitter * float64(wait))
	}
	if retryAfter > wait {
		wait = min(retryAfter, MaxRetryAfter)
	}
	return now.Add(wait), true
}

// Total returns the sum of the schedule without jitter: how long a delivery
// that never succeeds is retried before it is dead.
func (p *RetryPolicy) Total() time.Duration {
	var d time.Duration
	for _, w := range p.Schedule {
		d += w
	}
	return d
}
