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
	wake  func()
	wait  time.Duration
}

var _ herald.Publisher = (*Publisher)(nil)

// PublisherConfig configures NewPublisher.
type PublisherConfig struct {
	Store herald.Store
	// WakeFunc is called after a commit that made deliveries; typically
	// Dispatcher.Wake. May be nil.
	WakeFunc func()
	// MaxBatch is the most events in one transaction. Default: 256.
	MaxBatch int
	// Writers is how many transactions may commit at once. Default: 1, for
	// SQLite's single writer; PostgreSQL gains from a few.
	Writers int
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
	if wake == nil {
		wake = func() {}
	}
	wait := cfg.Wait
	if wait <= 0 {
		wait = 5 * time.Second
	}
	return &Publisher{
		wake: wake,
		wait: wait,
		batch: groupcommit.New(groupcommit.Config[*herald.Event, *herald.EventPublishResult]{
			CommitFunc: cfg.Store.EventPublish,
			// A batch the store refuses for what one event holds is
			// split, so that event's publisher alone gets the error;
			// a busy or closing store fails every batch alike.
			SplitFunc: func(err error) bool { return herald.ErrorCode(err) != herald.EUNAVAILABLE },
			MaxBatch:  cfg.MaxBatch,
			Workers:   cfg.Writers,
		}),
	}
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
	if err == nil && res.Err == nil && len(res.Deliveries) > 0 {
		p.wake()
	}
	return res, err
}

// Close commits what is queued and stops.
func (p *Publisher) Close() { p.batch.Close() }
