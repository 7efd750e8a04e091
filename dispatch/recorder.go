package dispatch

import (
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/groupcommit"
)

// maxRecordBatch bounds one DeliveryRecordAttempts call.
const maxRecordBatch = 512

// recordLingerTarget is the batch size that ends a linger, and
// recordLingerGate the average batch size (over the last few) from which
// the recorder lingers at all: results that come one per commit gain
// nothing from waiting, so a trickle is recorded at once.
const (
	recordLingerTarget = 16
	recordLingerGate   = 2
)

// recorder writes attempt results in batches: whatever arrived while the
// previous batch committed goes in the next, so under load one transaction
// records hundreds of attempts while a lone result is written at once.
// Workers hand results over and move on to their next delivery; the lane's
// slot is about requests to the partner, not about our disk.
type recorder struct {
	store   herald.Store
	log     *slog.Logger
	settled func(n int)
	// committed, if set, is told the size of each batch written.
	committed func(n int)
	// lingerFor is Config.RecordLinger.
	lingerFor time.Duration

	mu      sync.Mutex
	pending []*herald.AttemptRecord
	// waiting are closed once the batch holding their record commits
	// (interactive callers wait for that, so what they report is stored).
	waiting map[*herald.AttemptRecord]chan struct{}
	closed  bool
	signal  chan struct{}
}

func newRecorder(store herald.Store, log *slog.Logger, settled func(int)) *recorder {
	return &recorder{store: store, log: log, settled: settled, signal: make(chan struct{}, 1)}
}

func (r *recorder) add(rec *herald.AttemptRecord) {
	r.mu.Lock()
	r.pending = append(r.pending, rec)
	r.mu.Unlock()
	r.poke()
}

// addWait adds rec and returns a channel closed once it is committed (or
// given up on at shutdown).
func (r *recorder) addWait(rec *herald.AttemptRecord) <-chan struct{} {
	done := make(chan struct{})
	r.mu.Lock()
	if r.waiting == nil {
		r.waiting = map[*herald.AttemptRecord]chan struct{}{}
	}
	r.waiting[rec] = done
	r.pending = append(r.pending, rec)
	r.mu.Unlock()
	r.poke()
	return done
}

func (r *recorder) poke() {
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

// close makes run return once everything added has been written.
func (r *recorder) close() {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	select {
	case r.signal <- struct{}{}:
	default:
	}
}

func (r *recorder) run() {
	recent := groupcommit.NewAverage(1)
	for {
		if r.lingerFor > 0 && recent.Mean() >= recordLingerGate {
			r.linger()
		}
		r.mu.Lock()
		n := min(len(r.pending), maxRecordBatch)
		batch := r.pending[:n:n]
		r.pending = r.pending[n:]
		if len(r.pending) == 0 {
			r.pending = nil // let the old backing array go
		}
		closed := r.closed
		r.mu.Unlock()
		if n == 0 {
			if closed {
				return
			}
			<-r.signal
			continue
		}
		recent.Add(n)
		r.write(batch, closed)
	}
}

// linger waits up to lingerFor for a small batch to reach
// recordLingerTarget.
//
// Under moderate load each batch is only what arrived while the previous
// one committed (at 1,500 deliveries/s on PostgreSQL, 4-5 results), and
// every batch pays a transaction's fixed cost. Waiting a few milliseconds
// for more is free for partners and publishers, since a result is
// recorded after its partner answered; it only leaves the delivery's row
// pending, and its lease held, that much longer. So the wait ends at once
// for what someone is waiting on: a result an interactive caller waits
// for (addWait), an ordered delivery's (its subject's next delivery waits
// for this one to be final), and everything at close. (herald bench
// --rate 1500 on PostgreSQL: 14 results a batch instead of 4.5, and
// 0.86-0.90 of the database's CPU per delivery; docs/performance.md,
// session 26.)
func (r *recorder) linger() {
	if !r.lingerable() {
		return
	}
	timer := time.NewTimer(r.lingerFor)
	defer timer.Stop()
	for {
		select {
		case <-timer.C:
			return
		case <-r.signal:
			if !r.lingerable() {
				return
			}
		}
	}
}

// lingerable says whether the pending results may wait for more: some
// and fewer than the target, none that anyone waits for.
func (r *recorder) lingerable() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.pending) == 0 || len(r.pending) >= recordLingerTarget || len(r.waiting) > 0 || r.closed {
		return false
	}
	for _, rec := range r.pending {
		if !rec.Unordered {
			return false
		}
	}
	return true
}

// write commits a batch, retrying while the store is unavailable. Results
// are never dropped while running: if the store stays down, the leases run
// out and the deliveries are attempted again, which is at-least-once. At
// shutdown it gives up after a bounded time for the same reason.
func (r *recorder) write(batch []*herald.AttemptRecord, closing bool) {
	backoff := 50 * time.Millisecond
	deadline := time.Now().Add(30 * time.Second)
	all := batch
	for {
		// Only what failed for a reason any batch would meet is retried;
		// a record the store refuses for what it holds is isolated and
		// stored reduced (commit), never retried with everyone else's.
		left := r.commit(batch)
		if r.committed != nil && len(left) < len(batch) {
			r.committed(len(batch) - len(left))
		}
		if batch = left; len(batch) == 0 {
			break
		}
		r.mu.Lock()
		closing = closing || r.closed
		r.mu.Unlock()
		if closing && time.Now().After(deadline) {
			break
		}
		time.Sleep(backoff)
		backoff = min(2*backoff, 5*time.Second)
	}
	r.mu.Lock()
	for _, rec := range all {
		if done, ok := r.waiting[rec]; ok {
			close(done)
			delete(r.waiting, rec)
		}
	}
	r.mu.Unlock()
	r.settled(len(all))
}
