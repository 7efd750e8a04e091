package herald

import (
	"context"
	"time"
)

// QueueStatsStore is implemented by stores that can summarise the delivery
// queue cheaply, for metrics. It is separate from Store so that a store
// without it still works; both stores in this module implement it.
type QueueStatsStore interface {
	// DeliveryQueueStats counts the pending deliveries at now: one read of
	// the index of pending deliveries (cost grows with the backlog, not
	// with the history), meant to be polled every few seconds, not per
	// request.
	DeliveryQueueStats(ctx context.Context, now time.Time) (*QueueStats, error)
}

// QueueStats is a summary of the delivery queue.
type QueueStats struct {
	// Pending counts pending deliveries, leased ones included.
	Pending int
	// Due counts pending deliveries due at now and not leased: the
	// backlog waiting for a worker.
	Due int
	// OldestDueAt is when the longest-waiting due delivery became due;
	// zero when none is due.
	OldestDueAt time.Time
	// DisabledEndpoints counts endpoints that are turned off, by an
	// operator or by Herald.
	DisabledEndpoints int
}

// QueueDepthRetention is how long queue depth samples are kept: eight
// days, a week of history with a day to spare. RetentionStore.Purge
// removes older ones.
const QueueDepthRetention = 8 * 24 * time.Hour

// MaxQueueDepthBuckets bounds the buckets of one QueueDepthStore.QueueDepthList.
const MaxQueueDepthBuckets = 1440

// QueueDepthStore keeps the queue depth as a time series: each customer's
// pending deliveries, sampled once a minute, the way a monitoring system
// scrapes a gauge. It is separate from Store so that a store without it
// still works; both stores in this module implement it.
type QueueDepthStore interface {
	// QueueDepthSample records the pending deliveries of every customer
	// that has some, as the sample of now's minute (now truncated to the
	// minute). A minute is recorded once: when it has a customer's sample
	// already (another node sampled it), that sample stays. It returns
	// how many samples it wrote.
	QueueDepthSample(ctx context.Context, now time.Time) (int, error)
	// QueueDepthList returns, for each bucket of p's span and each
	// customer sampled in it, the customer's largest sample in the
	// bucket, by bucket then customer id. A customer missing from a bucket
	// had nothing pending (or nobody sampled). Returns EINVALID if p does
	// not validate.
	QueueDepthList(ctx context.Context, p *QueueDepthParams) ([]*QueueDepthSample, error)
}

// QueueDepthParams select the samples of QueueDepthStore.QueueDepthList.
type QueueDepthParams struct {
	// Since and Until bound the span, [Since, Until). Required.
	Since, Until time.Time
	// Bucket is the width of one bucket; the buckets start at Since.
	// At least a minute; at most MaxQueueDepthBuckets buckets.
	Bucket time.Duration
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (p *QueueDepthParams) Validate() error {
	switch {
	case p.Since.IsZero() || p.Until.IsZero():
		return Errorf(EINVALID, "since and until are required")
	case !p.Until.After(p.Since):
		return Errorf(EINVALID, "until must be after since")
	case p.Bucket < time.Minute:
		return Errorf(EINVALID, "bucket must be at least a minute")
	case p.Until.Sub(p.Since)/p.Bucket > MaxQueueDepthBuckets:
		return Errorf(EINVALID, "the span cannot have more than %d buckets", MaxQueueDepthBuckets)
	}
	return nil
}

// Buckets returns how many buckets p's span has (the last may be partial).
func (p *QueueDepthParams) Buckets() int {
	return int((p.Until.Sub(p.Since) + p.Bucket - 1) / p.Bucket)
}

// QueueDepthSample is one customer's queue depth in one bucket.
type QueueDepthSample struct {
	// Start is the bucket's start (a sample's minute when the bucket is a
	// minute wide).
	Start      time.Time
	CustomerID string
	// Pending is the largest sample of the customer's pending deliveries
	// in the bucket.
	Pending int
}
