// Package groupcommit batches many callers' writes into one call, so that
// one transaction (one fsync) serves all the work that arrived while the
// previous one was committing. This is what lets a store that commits a few
// thousand times a second carry tens of thousands of rows a second.
//
// A caller's Do returns only after its item's batch has committed, so an
// acknowledgement built on it still means "durable".
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"
)

// ErrClosed is returned by Do after Close.
var ErrClosed = errors.New("group commit closed")

// Config configures a Batcher.
type Config[T, R any] struct {
	// CommitFunc writes a batch and returns one result per item, in order.
	// An error fails every item of the batch.
	CommitFunc func(ctx context.Context, items []T) ([]R, error)
	// MaxBatch is the most items in one call. Default: 256.
	MaxBatch int
	// SplitFunc reports whether a failed batch is worth splitting to find
	// the items that made it fail (see Isolate), so that one bad item
	// fails its own caller only, not everyone whose item shared its
	// batch. It should say false for failures that any batch would meet
	// alike (the store is down or busy). Default (nil): always split.
	SplitFunc func(err error) bool
	// Workers is how many batches may commit at once. Default: 1, which is
	// what a single-writer store (SQLite) wants; a store with many
	// connections (PostgreSQL) gains from 2-4.
	Workers int
	// Linger is the most a batch of fewer than LingerTarget items waits
	// for more before it commits. It waits only while recent batches held
	// at least half of LingerTarget on average, that is while enough
	// callers are committing at once for the wait to fill the batch: a
	// trickle of lone items commits each at once, with no added latency.
	// Where it waits, each commit's fixed cost (a round trip, a plan, a
	// flush) is shared by more items. Default: 0, never wait.
	Linger time.Duration
	// LingerTarget is the batch size that ends a linger. Default: 8.
	LingerTarget int
}

type request[T, R any] struct {
	item T
	done chan result[R]
}

type result[R any] struct {
	val R
	err error
}

// Batcher collects items from concurrent callers and commits them in batches.
type Batcher[T, R any] struct {
	cfg    Config[T, R]
	queue  chan request[T, R]
	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.RWMutex
	closed bool
}

// New starts a Batcher. Close stops it.
func New[T, R any](cfg Config[T, R]) *Batcher[T, R] {
	if cfg.MaxBatch <= 0 {
		cfg.MaxBatch = 256
	}
	if cfg.Workers <= 0 {
		cfg.Workers = 1
	}
	if cfg.LingerTarget <= 0 {
		cfg.LingerTarget = 8
	}
	ctx, cancel := context.WithCancel(context.Background())
	b := &Batcher[T, R]{cfg: cfg, queue: make(chan request[T, R], cfg.MaxBatch*4), ctx: ctx, cancel: cancel}
	for range cfg.Workers {
		b.wg.Add(1)
		go b.loop()
	}
	return b
}

// Do adds item to the next batch and waits until that batch has committed.
// If ctx ends first Do returns ctx's error, and the item may or may not be
// committed: callers that must know use an idempotent item.
func (b *Batcher[T, R]) Do(ctx context.Context, item T) (R, error) {
	var zero R
	req := request[T, R]{item: item, done: make(chan result[R], 1)}
	b.mu.RLock()
	if b.closed {
		b.mu.RUnlock()
		return zero, ErrClosed
	}
	select {
	case b.queue <- req:
		b.mu.RUnlock()
	case <-ctx.Done():
		b.mu.RUnlock()
		return zero, ctx.Err()
	}
	select {
	case r := <-req.done:
		return r.val, r.err
	case <-ctx.Done():
		return zero, ctx.Err()
	}
}

// loop takes whatever has queued up: under heavy load the batch grows by
// itself while the previous one commits, and under light load a batch of
// one commits at once (no added latency). With Linger, a small batch waits
// a little for more while many callers commit at once (see Linger).
func (b *Batcher[T, R]) loop() {
	defer b.wg.Done()
	batch := make([]request[T, R], 0, b.cfg.MaxBatch)
	items := make([]T, 0, b.cfg.MaxBatch)
	var linger *time.Timer
	avgBatch := NewAverage(1) // the recent batches' size
	for {
		batch, items = batch[:0], items[:0]
		req, ok := <-b.queue
		if !ok {
			return
		}
		batch = b.take(append(batch, req), b.cfg.MaxBatch)
		if b.cfg.Linger > 0 && len(batch) < b.cfg.LingerTarget && 2*avgBatch.Mean() >= float64(b.cfg.LingerTarget) {
			if linger == nil {
				linger = time.NewTimer(b.cfg.Linger)
			} else {
				linger.Reset(b.cfg.Linger)
			}
			batch = b.wait(batch, linger)
			linger.Stop()
			batch = b.take(batch, b.cfg.MaxBatch)
		}
		for _, r := range batch {
			items = append(items, r.item)
		}
		avgBatch.Add(len(batch))
		results, errs := b.commit(items)
		for i, r := range batch {
			r.done <- result[R]{val: results[i], err: errs[i]}
		}
	}
}

// take adds to batch what has queued up, without waiting, until it holds
// limit items.
func (b *Batcher[T, R]) take(batch []request[T, R], limit int) []request[T, R] {
	for len(batch) < limit {
		select {
		case req, ok := <-b.queue:
			if !ok {
				return batch
			}
			batch = append(batch, req)
		default:
			return batch
		}
	}
	return batch
}

// wait adds to batch what arrives until it holds LingerTarget items or
// timer fires.
func (b *Batcher[T, R]) wait(batch []request[T, R], timer *time.Timer) []request[T, R] {
	for len(batch) < b.cfg.LingerTarget {
		select {
		case req, ok := <-b.queue:
			if !ok {
				return batch
			}
			batch = append(batch, req)
		case <-timer.C:
			return batch
		}
	}
	return batch
}

// commit commits items and returns each item's result or error. A batch
// that fails is split to isolate the items that make it fail, unless
// SplitFunc says the failure is not theirs.
func (b *Batcher[T, R]) commit(items []T) ([]R, []error) {
	results := make([]R, len(items))
	call := func(lo, hi int) error {
		res, err := b.cfg.CommitFunc(b.ctx, items[lo:hi])
		if err == nil && len(res) != hi-lo {
			err = errors.New("group commit: CommitFunc returned the wrong number of results")
		}
		if err == nil {
			copy(results[lo:hi], res)
		}
		return err
	}
	split := func(err error) bool {
		// Shutting down: nothing is worth another call.
		return b.ctx.Err() == nil && (b.cfg.SplitFunc == nil || b.cfg.SplitFunc(err))
	}
	errs := Isolate(len(items), call, split)
	return results, errs
}

// Close stops taking items, commits what is queued, and waits for the
// workers to finish.
func (b *Batcher[T, R]) Close() {
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.queue)
	}
	b.mu.Unlock()
	b.wg.Wait()
	b.cancel()
}
