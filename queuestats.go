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
