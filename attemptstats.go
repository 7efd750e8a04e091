package herald

import (
	"math"
	"time"
)

// Attempt statistics: how many attempts an endpoint (or a customer, or the
// whole node) made per time bucket, how they ended, and how long they took.
// The UI draws its charts from them.

// MaxAttemptStatsBuckets bounds the buckets of one HealthStore.AttemptStats
// call: a week in hours (168) or a day in ten-minute buckets (144) fit.
const MaxAttemptStatsBuckets = 400

// AttemptLatencyBounds are the upper bounds of the latency classes the
// stores count attempts in; a last class holds everything slower. A
// percentile of a bucket is the upper bound of the class it falls in (as a
// Prometheus histogram's quantile is), so the stores return a bounded
// number of rows whatever the traffic, and the rule is written once here.
var AttemptLatencyBounds = []time.Duration{
	5 * time.Millisecond, 10 * time.Millisecond, 25 * time.Millisecond, 50 * time.Millisecond,
	100 * time.Millisecond, 250 * time.Millisecond, 500 * time.Millisecond,
	time.Second, 2500 * time.Millisecond, 5 * time.Second, 10 * time.Second, 30 * time.Second,
}

// AttemptLatencyClass returns the index of the latency class of d in
// AttemptLatencyBounds (len(AttemptLatencyBounds) for slower ones).
func AttemptLatencyClass(d time.Duration) int {
	for i, b := range AttemptLatencyBounds {
		if d <= b {
			return i
		}
	}
	return len(AttemptLatencyBounds)
}

// AttemptStatsParams select the attempts of HealthStore.AttemptStats.
type AttemptStatsParams struct {
	// CustomerID limits the statistics to one customer. Empty: every
	// customer (the operator's view); EndpointID must then be empty.
	CustomerID string
	// EndpointID limits them to one endpoint of the customer.
	EndpointID string
	// Since and Until bound the attempts: at or after Since, before Until.
	// Both required, Since before Until.
	Since, Until time.Time
	// Bucket is the width of one bucket, at least a second. The buckets
	// start at Since; there are at most MaxAttemptStatsBuckets.
	Bucket time.Duration
	// PerEndpoint returns one series per endpoint (of the customer, or
	// the EndpointID one); false sums them into one series.
	PerEndpoint bool
}

// Validate returns EINVALID naming the first bad field.
func (p *AttemptStatsParams) Validate() error {
	switch {
	case p.CustomerID == "" && p.EndpointID != "":
		return Errorf(EINVALID, "customerId is required with endpointId")
	case p.Since.IsZero() || p.Until.IsZero() || !p.Since.Before(p.Until):
		return Errorf(EINVALID, "since and until are required, since before until")
	case p.Bucket < time.Second:
		return Errorf(EINVALID, "bucket must be at least a second")
	case p.Buckets() > MaxAttemptStatsBuckets:
		return Errorf(EINVALID, "at most %d buckets", MaxAttemptStatsBuckets)
	}
	return nil
}

// Buckets returns how many buckets the span has: the last one may reach
// past Until.
func (p *AttemptStatsParams) Buckets() int {
	n := p.Until.Sub(p.Since) / p.Bucket
	if p.Until.Sub(p.Since)%p.Bucket != 0 {
		n++
	}
	return int(n)
}

// AttemptSeries is the statistics of one endpoint (or of all of them).
type AttemptSeries struct {
	// EndpointID is the endpoint; empty for a sum over endpoints.
	EndpointID string
	// Buckets are every bucket from Since, oldest first, empty ones
	// included.
	Buckets []*AttemptBucket
}

// AttemptBucket counts the attempts that started in one bucket.
type AttemptBucket struct {
	Start time.Time
	// Attempts made, split as EndpointHealth splits them.
	Attempts  int
	Succeeded int // 2xx, 303
	Rejected  int // 400
	Failed    int // everything else
	// LatencyP50 and LatencyP99 are the upper bounds of the latency class
	// (AttemptLatencyBounds) holding the median and the 99th percentile;
	// zero without attempts. An attempt slower than every bound counts as
	// the last bound's double.
	LatencyP50, LatencyP99 time.Duration
	// Classes counts the attempts per latency class (len
	// AttemptLatencyBounds + 1); nil without attempts.
	Classes []int
}

// Add counts n attempts of one latency class with the given outcome into
// b: the stores call it with each row of their grouped query.
func (b *AttemptBucket) Add(class, n, succeeded, rejected int) {
	if b.Classes == nil {
		b.Classes = make([]int, len(AttemptLatencyBounds)+1)
	}
	class = min(max(class, 0), len(AttemptLatencyBounds))
	b.Classes[class] += n
	b.Attempts += n
	b.Succeeded += succeeded
	b.Rejected += rejected
	b.Failed += n - succeeded - rejected
	b.LatencyP50, b.LatencyP99 = b.quantile(0.5), b.quantile(0.99)
}

// quantile returns the upper bound of the class holding the q-quantile.
func (b *AttemptBucket) quantile(q float64) time.Duration {
	if b.Attempts == 0 {
		return 0
	}
	// The rank of the q-quantile, 1-based: ceil(q*n).
	rank := max(int(math.Ceil(q*float64(b.Attempts))), 1)
	seen := 0
	for i, n := range b.Classes {
		seen += n
		if seen >= rank {
			if i < len(AttemptLatencyBounds) {
				return AttemptLatencyBounds[i]
			}
			break
		}
	}
	return 2 * AttemptLatencyBounds[len(AttemptLatencyBounds)-1]
}

// NewAttemptSeries returns a series of p's buckets, all empty.
func NewAttemptSeries(endpointID string, p *AttemptStatsParams) *AttemptSeries {
	s := &AttemptSeries{EndpointID: endpointID, Buckets: make([]*AttemptBucket, p.Buckets())}
	for i := range s.Buckets {
		s.Buckets[i] = &AttemptBucket{Start: p.Since.Add(time.Duration(i) * p.Bucket)}
	}
	return s
}
