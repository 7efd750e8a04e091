package storerules

import (
	"context"
	"fmt"
	"time"

	"github.com/heraldhq/herald"
)

// CustomerRetention is a customer's retention period in days (0: the
// server's default).
type CustomerRetention struct {
	ID   string
	Days int
}

// PurgeEvent is an event old enough to be purged, and where the purge's
// walk of the customer's events stands once it is looked at.
type PurgeEvent struct {
	ID        string
	CreatedAt time.Time
}

// PurgeDelivery is one delivery of a purge candidate. Live: it is pending,
// or changed since the cutoff, so it keeps its event (and the event's other
// deliveries) for a later purge.
type PurgeDelivery struct {
	ID, EventID string
	Live        bool
}

// RetentionTx is one purge batch's view of a store's write transaction.
type RetentionTx interface {
	// PurgeCandidates returns the customer's next limit events created
	// before cutoff and after (afterAt, afterID), in (created_at, id)
	// order, locked against replays and other nodes' purges where the
	// database has row locks.
	PurgeCandidates(ctx context.Context, customerID string, cutoff, afterAt time.Time, afterID string, limit int) ([]PurgeEvent, error)
	// PurgeDeliveries returns every delivery of the events, locked so
	// nothing changes them before the deletes.
	PurgeDeliveries(ctx context.Context, eventIDs []string, cutoff time.Time) ([]PurgeDelivery, error)
	// DeleteAttempts, DeleteDeliveries and DeleteEvents remove rows by id
	// and return how many went.
	DeleteAttempts(ctx context.Context, deliveryIDs []string) (int64, error)
	DeleteDeliveries(ctx context.Context, ids []string) (int64, error)
	DeleteEvents(ctx context.Context, ids []string) (int64, error)
}

// Retention implements herald.RetentionStore's Purge for a store that
// embeds it.
type Retention struct {
	// Customers lists every customer's retention period, by id.
	Customers func(ctx context.Context) ([]CustomerRetention, error)
	// PurgeQueueDepth deletes queue depth samples older than before.
	PurgeQueueDepth func(ctx context.Context, before time.Time) (int, error)
	// InPurgeTx runs one batch in a write transaction of its own, so the
	// dispatcher's writes get the database between batches.
	InPurgeTx func(ctx context.Context, fn func(RetentionTx) error) error
	// Round gives t at the store's precision.
	Round func(t time.Time) time.Time
}

// Purge implements herald.RetentionStore: queue depth samples older than
// herald.QueueDepthRetention, then, customer by customer, a batch at a
// time, every event older than the customer's retention whose deliveries
// are all final and unchanged since, with its deliveries and attempts.
func (r Retention) Purge(ctx context.Context, p *herald.PurgeParams) (*herald.PurgeResult, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	limit := p.BatchSize
	if limit == 0 {
		limit = herald.DefaultPurgeBatchSize
	}
	customers, err := r.Customers(ctx)
	if err != nil {
		return nil, fmt.Errorf("purge: %w", err)
	}
	res := &herald.PurgeResult{}
	// Queue depth samples first, in one statement: they are small rows,
	// kept QueueDepthRetention whatever the customers' retention.
	n, err := r.PurgeQueueDepth(ctx, p.Now.Add(-herald.QueueDepthRetention))
	if err != nil {
		return res, fmt.Errorf("purge queue depth samples: %w", err)
	}
	res.QueueDepthSamples = n
	for _, c := range customers {
		cutoff := r.Round(p.Cutoff(c.Days))
		// The (created_at, id) of the last event looked at, so each batch
		// starts past the events the previous one kept. The zero time
		// sorts before every event.
		var afterAt time.Time
		var afterID string
		for {
			if err := ctx.Err(); err != nil {
				return res, err
			}
			var more bool
			var batch herald.PurgeResult
			err := r.InPurgeTx(ctx, func(tx RetentionTx) error {
				var err error
				more, err = purgeBatch(ctx, tx, c.ID, cutoff, &afterAt, &afterID, limit, &batch)
				return err
			})
			if err != nil {
				return res, fmt.Errorf("purge customer %s: %w", c.ID, err)
			}
			// Counted once the batch has committed.
			res.Attempts += batch.Attempts
			res.Deliveries += batch.Deliveries
			res.Events += batch.Events
			res.Batches += batch.Batches
			if !more {
				break
			}
		}
	}
	return res, nil
}

// purgeBatch looks at the customer's next limit events created before
// cutoff, removes those whose deliveries are all final and unchanged since
// cutoff, counts what it removed in res, and reports whether more events
// may follow.
func purgeBatch(ctx context.Context, tx RetentionTx, customerID string, cutoff time.Time, afterAt *time.Time, afterID *string, limit int, res *herald.PurgeResult) (bool, error) {
	candidates, err := tx.PurgeCandidates(ctx, customerID, cutoff, *afterAt, *afterID, limit)
	if err != nil || len(candidates) == 0 {
		return false, err
	}
	last := candidates[len(candidates)-1]
	*afterAt, *afterID = last.CreatedAt, last.ID

	ids := make([]string, len(candidates))
	for i, c := range candidates {
		ids[i] = c.ID
	}
	ds, err := tx.PurgeDeliveries(ctx, ids, cutoff)
	if err != nil {
		return false, err
	}
	byEvent := map[string][]string{}
	keep := map[string]bool{}
	for _, d := range ds {
		byEvent[d.EventID] = append(byEvent[d.EventID], d.ID)
		if d.Live {
			keep[d.EventID] = true
		}
	}
	var events, deliveries []string
	for _, id := range ids {
		if !keep[id] {
			events = append(events, id)
			deliveries = append(deliveries, byEvent[id]...)
		}
	}
	more := len(candidates) == limit
	if len(events) == 0 {
		return more, nil
	}
	// Children first: attempts reference deliveries, deliveries events.
	var attempts, dels, evs int64
	if len(deliveries) > 0 {
		if attempts, err = tx.DeleteAttempts(ctx, deliveries); err != nil {
			return false, err
		}
		if dels, err = tx.DeleteDeliveries(ctx, deliveries); err != nil {
			return false, err
		}
	}
	if evs, err = tx.DeleteEvents(ctx, events); err != nil {
		return false, err
	}
	res.Attempts += int(attempts)
	res.Deliveries += int(dels)
	res.Events += int(evs)
	res.Batches++
	return more, nil
}
