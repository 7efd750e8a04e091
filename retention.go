package herald

import (
	"context"
	"time"
)

// Retention defaults and limits.
const (
	// DefaultRetentionDays is how long Herald keeps an event, its
	// deliveries and their attempt logs when neither the customer nor the
	// operator (herald serve --retention) says otherwise: 30 days, ten
	// times the retry schedule, long enough to answer "did the partner get
	// it?" about last month.
	DefaultRetentionDays = 30
	// MaxRetentionDays is the longest retention a customer can set: ten
	// years. It keeps the cutoff arithmetic far from overflow.
	MaxRetentionDays = 3650
	// DefaultPurgeBatchSize is how many events one purge transaction
	// removes, with their deliveries and attempts: enough to make progress
	// on millions of rows in minutes, few enough that each transaction
	// holds its locks (SQLite's one writer, PostgreSQL's row locks) for
	// milliseconds.
	DefaultPurgeBatchSize = 1000
)

// RetentionStore purges old events so the database does not grow without
// bound. It is separate from Store so that stores and fakes that only
// deliver events need not implement it; the sqlite and postgres stores
// implement both, on the same database.
//
// An event is purged whole (its gzip'd body, its deliveries and their
// attempt logs) once it is older than its customer's retention period AND
// every one of its deliveries is final and has not changed within that
// period. A pending delivery (first attempts, retries, a manual retry) and
// its event are never purged, whatever their age: the event stays until
// the last delivery ends, then waits one more period measured from that
// end, so a recent attempt log is always there to read.
type RetentionStore interface {
	// CustomerRetentionGet returns the customer's retention period in
	// days; 0 means the server default. Returns ENOTFOUND if there is no
	// such customer.
	CustomerRetentionGet(ctx context.Context, customerID string) (int, error)
	// CustomerRetentionSet sets the customer's retention period in days;
	// 0 restores the server default. Returns ENOTFOUND if there is no such
	// customer, EINVALID if days is negative or above MaxRetentionDays.
	CustomerRetentionSet(ctx context.Context, customerID string, days int) error
	// Purge removes every event that has outlived its retention period
	// (see RetentionStore), with its deliveries and attempts, customer by
	// customer, in transactions of at most BatchSize events each, so no
	// lock is held for long and work goes on meanwhile. Several nodes may
	// purge at once: they skip each other's batches. It returns what it
	// removed; when ctx ends it stops between batches and returns what it
	// removed so far with ctx's error. It also deletes the queue depth
	// samples older than QueueDepthRetention (see QueueDepthStore), in one
	// statement: a sample is a small row. Returns EINVALID if
	// DefaultRetention is not positive or BatchSize is negative.
	Purge(ctx context.Context, p *PurgeParams) (*PurgeResult, error)
}

// PurgeParams are the arguments of RetentionStore.Purge.
type PurgeParams struct {
	// Now is the instant retention periods are measured back from.
	Now time.Time
	// DefaultRetention is the retention of customers without one of their
	// own. Required.
	DefaultRetention time.Duration
	// BatchSize is the most events one transaction removes. Default:
	// DefaultPurgeBatchSize.
	BatchSize int
}

// PurgeResult counts what a purge removed.
type PurgeResult struct {
	Events     int
	Deliveries int
	Attempts   int
	// Batches is how many transactions removed something.
	Batches int
	// QueueDepthSamples is how many queue depth samples older than
	// QueueDepthRetention were deleted (QueueDepthStore), whatever the
	// customers' retention.
	QueueDepthSamples int
	// PartnerTokens is how many expired partner access tokens were
	// deleted: set by retention.Purger, which also purges them, never by
	// RetentionStore.Purge.
	PartnerTokens int
}

// Validate returns an EINVALID error naming the first field that breaks a rule.
func (p *PurgeParams) Validate() error {
	if p.DefaultRetention <= 0 {
		return Errorf(EINVALID, "default retention must be positive")
	}
	if p.BatchSize < 0 {
		return Errorf(EINVALID, "batch size cannot be negative")
	}
	return nil
}

// Cutoff returns the instant before which a customer's events are purged:
// Now less the customer's days, or less DefaultRetention when days is 0.
func (p *PurgeParams) Cutoff(days int) time.Time {
	if days > 0 {
		return p.Now.Add(-time.Duration(days) * 24 * time.Hour)
	}
	return p.Now.Add(-p.DefaultRetention)
}

// ValidateRetentionDays returns an EINVALID error unless days is a
// retention a customer may set: 0 (the default) to MaxRetentionDays.
func ValidateRetentionDays(days int) error {
	if days < 0 {
		return Errorf(EINVALID, "retentionDays cannot be negative")
	}
	if days > MaxRetentionDays {
		return Errorf(EINVALID, "retentionDays cannot be more than %d", MaxRetentionDays)
	}
	return nil
}
