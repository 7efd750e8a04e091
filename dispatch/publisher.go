package dispatch

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/groupcommit"
)

// Publisher is the herald.Publisher of a node: it commits concurrent
// publishes in shared transactions (group commit) and wakes the dispatcher
// once they are durable, so a published event is attempted within
// milliseconds rather than at the next poll.
type Publisher struct {
	batch *groupcommit.Batcher[*herald.Event, *herald.EventPublishResult]
	store herald.Store
	wake  func()
	wait  time.Duration
	// handoff, when set, is the dispatcher deliveries are handed to at
	// commit (handoff.go), through leaser.
	handoff *Dispatcher
	leaser  herald.PublishLeaser
}

var _ herald.Publisher = (*Publisher)(nil)

// PublisherConfig configures NewPublisher.
type PublisherConfig struct {
	Store herald.Store
	// WakeFunc is called after a commit that made deliveries for a claim
	// to find. Default: Handoff's Wake, if Handoff is set; else nothing.
	WakeFunc func()
	// Handoff is the node's dispatcher. If Store leases at publish
	// (herald.PublishLeaser), each commit leases what deliveries it can
	// to this node and hands them to Handoff without a claim, and
	// WakeFunc is called only when some are left for a claim. Nil: every
	// delivery is left for a claim.
	Handoff *Dispatcher
	// MaxBatch is the most events in one transaction. Default: 256.
	MaxBatch int
	// Writers is how many transactions may commit at once. Default: 1, for
	// SQLite's single writer; PostgreSQL gains from a few.
	Writers int
	// Linger is the most a small batch waits for more publishes while
	// recent batches were large enough for waiting to fill it
	// (groupcommit.Config.Linger). Default: 0, none.
	Linger time.Duration
	// Wait is the most a publish waits for its commit (a commit takes
	// milliseconds; a locked or overloaded database longer). Past it the
	// publish fails EUNAVAILABLE, which the API answers 503 with
	// Retry-After, instead of holding the caller. The event may still
	// commit: a retry with the same id then answers 409. Default: 5s.
	Wait time.Duration
}

// NewPublisher starts a Publisher. Close it after the API stops taking
// requests.
func NewPublisher(cfg PublisherConfig) *Publisher {
	wake := cfg.WakeFunc
	switch {
	case wake == nil && cfg.Handoff != nil:
		wake = cfg.Handoff.Wake
	case wake == nil:
		wake = func() {}
	}
	wait := cfg.Wait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	p := &Publisher{store: cfg.Store, wake: wake, wait: wait}
	if leaser, ok := cfg.Store.(herald.PublishLeaser); ok && cfg.Handoff != nil {
		p.handoff, p.leaser = cfg.Handoff, leaser
	}
	p.batch = groupcommit.New(groupcommit.Config[*herald.Event, *herald.EventPublishResult]{
		CommitFunc: p.commit,
		// A batch the store refuses for what one event holds is
		// split, so that event's publisher alone gets the error;
		// a busy or closing store fails every batch alike.
		SplitFunc: func(err error) bool { return herald.ErrorCode(err) != herald.EUNAVAILABLE },
		MaxBatch:  cfg.MaxBatch,
		Workers:   cfg.Writers,
		Linger:    cfg.Linger,
	})
	return p
}

// commit publishes one batch, hands what the store leased to this node to
// its dispatcher, and wakes the dispatcher if deliveries are left for a
// claim. Both happen once the batch is durable, before its publishers hear
// so.
func (p *Publisher) commit(ctx context.Context, events []*herald.Event) ([]*herald.EventPublishResult, error) {
	var (
		results []*herald.EventPublishResult
		claimed []*herald.ClaimedDelivery
		err     error
	)
	if p.leaser == nil {
		results, err = p.store.EventPublish(ctx, events)
	} else {
		h, lease := p.handoff.newHandoff()
		results, claimed, err = p.leaser.EventPublishLeased(ctx, events, lease)
		h.accept(claimed)
	}
	if err != nil {
		return nil, err
	}
	pending := 0
	for _, r := range results {
		if r.Err == nil {
			pending += len(r.Deliveries)
		}
	}
	if pending > len(claimed) {
		p.wake()
	}
	return results, nil
}

// Publish commits e with its deliveries and returns once they are durable.
func (p *Publisher) Publish(ctx context.Context, e *herald.Event) (*herald.EventPublishResult, error) {
	wctx, cancel := context.WithTimeout(ctx, p.wait)
	defer cancel()
	res, err := p.batch.Do(wctx, e)
	switch {
	case errors.Is(err, groupcommit.ErrClosed):
		return nil, herald.Errorf(herald.EUNAVAILABLE, "Herald is shutting down; publish again in a moment")
	case errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil:
		return nil, herald.BusyError(err)
	}
	return res, err
}

// Close commits what is queued and stops.
func (p *Publisher) Close() { p.batch.Close() }
