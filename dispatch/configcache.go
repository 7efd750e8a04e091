package dispatch

import (
	"context"
	"reflect"
	"sync"
	"time"

	"github.com/heraldhq/herald"
)

// What the dispatcher reads of the store's configuration (endpoints,
// customers' retry policies) it keeps in memory in a configCache, so that
// a delivery rarely reads the store before its attempt.
//
// An entry is trusted for ttl after it was read. With a store that counts
// its configuration changes (herald.DispatchConfigStore), it is trusted
// after that too, for as long as the count is the one read before the
// entry was: one read of the count per ttl vouches for every entry. With
// thousands of customers each endpoint sees an event only every few
// seconds, so a plain ttl missed on nearly every delivery, and each miss
// was two statements (herald bench --store postgres --customers 10000).
// Either way an edit, on any node, takes effect within ttl.
//
// Entries a claimed or handed-off batch lacks are reserved before the
// batch reaches its workers and read together, one statement per batch
// (prefetchLocked): a worker that asks for one meanwhile waits for that
// read instead of reading alone.

// configVersion is the store's count of configuration changes, read at most
// once per ttl however many deliveries ask.
type configVersion struct {
	read func(context.Context) (int64, error) // nil: the store keeps no count
	ttl  time.Duration
	now  func() time.Time

	mu      sync.Mutex
	v       int64
	at      time.Time     // when the read that returned v began; zero: none yet
	pending chan struct{} // closed when the read in flight ends
}

// current returns the count and a time at which it was current, reading it
// again when that was ttl or more ago. ok is false when the store keeps no
// count or it cannot be read now.
func (cv *configVersion) current(ctx context.Context) (v int64, at time.Time, ok bool) {
	if cv == nil || cv.read == nil {
		return 0, time.Time{}, false
	}
	for {
		cv.mu.Lock()
		if !cv.at.IsZero() && cv.now().Sub(cv.at) < cv.ttl {
			v, at = cv.v, cv.at
			cv.mu.Unlock()
			return v, at, true
		}
		if p := cv.pending; p != nil {
			cv.mu.Unlock()
			select {
			case <-p:
				continue
			case <-ctx.Done():
				return 0, time.Time{}, false
			}
		}
		p := make(chan struct{})
		cv.pending = p
		cv.mu.Unlock()

		start := cv.now()
		nv, err := cv.read(ctx)
		cv.mu.Lock()
		cv.pending = nil
		if err == nil {
			cv.v, cv.at = nv, start
		}
		cv.mu.Unlock()
		close(p)
		if err != nil {
			return 0, time.Time{}, false
		}
		return nv, start, true
	}
}

// newConfigVersion returns the change count of store, nil if it keeps none.
func newConfigVersion(store any, ttl time.Duration, now func() time.Time) *configVersion {
	cs, ok := store.(herald.DispatchConfigStore)
	if !ok {
		return nil
	}
	return &configVersion{read: cs.ConfigVersion, ttl: ttl, now: now}
}

// sameStore reports whether a and b hold the same store, so that the
// endpoint and retry-policy caches share one count. Interface values of a
// type that cannot be compared (a struct holding a map, say) would panic
// on ==; such stores are taken as different.
func sameStore(a, b any) bool {
	v := reflect.ValueOf(a)
	return v.IsValid() && v.Comparable() && a == b
}

// prefetchLocked starts reading, in the background, the endpoints and
// retry policies of a claimed or handed-off batch that the caches lack,
// before its deliveries reach the lanes' workers, who would otherwise read
// them one by one. d.mu is held and the dispatcher is not draining, so
// drain waits for it like a worker.
func (d *Dispatcher) prefetchLocked(batch []*herald.ClaimedDelivery) {
	if d.draining {
		return
	}
	// The ids are read from the batch in place: most batches lack
	// nothing, and should cost no allocation to find that out.
	eps := d.eps.reserve(len(batch), func(i int) string { return batch[i].EndpointID })
	var policies *prefetch[*customerPolicies]
	if d.policies.cache != nil {
		policies = d.policies.cache.reserve(len(batch), func(i int) string { return batch[i].CustomerID })
	}
	if eps == nil && policies == nil {
		return
	}
	d.workers.Add(1)
	go func() {
		defer d.workers.Done()
		ctx, cancel := context.WithTimeout(d.attemptCtx, prefetchTimeout)
		defer cancel()
		if eps != nil {
			eps.read(ctx)
		}
		if policies != nil {
			policies.read(ctx)
		}
	}()
}

// prefetchTimeout bounds a prefetch's reads; a worker waiting for them
// reads alone if they fail.
const prefetchTimeout = 10 * time.Second

// configCache keeps values of type V read from the store by id.
type configCache[V any] struct {
	version *configVersion // nil: entries live for ttl only
	ttl     time.Duration
	now     func() time.Time
	// one reads one value. An error that keep accepts is an answer (the
	// endpoint does not exist) and is kept like a value; any other is
	// returned to that caller only.
	one  func(ctx context.Context, id string) (V, error)
	keep func(error) bool
	// many reads many values at once, returning those that exist; absent
	// gives the answer for an id many did not return. nil: no prefetch.
	many   func(ctx context.Context, ids []string) (map[string]V, error)
	absent func(id string) (V, error)

	mu      sync.Mutex
	entries map[string]*configEntry[V]
}

type configEntry[V any] struct {
	val V
	err error
	// version is the count read before val was, when versioned.
	version   int64
	versioned bool
	// asOf is a time at which val was known current; guarded by the
	// cache's mu once ready is closed.
	asOf time.Time
	// ready is closed once val and err are set, or the read failed
	// (failed, and the entry is out of the map): those who waited on it
	// ask again.
	ready  chan struct{}
	failed bool
}

func (c *configCache[V]) freshLocked(e *configEntry[V]) bool {
	return c.now().Sub(e.asOf) < c.ttl
}

// get returns id's value, reading the store only when the cache cannot
// vouch for what it holds, and at most once however many ask together.
func (c *configCache[V]) get(ctx context.Context, id string) (V, error) {
	for {
		c.mu.Lock()
		ent := c.entries[id]
		if ent == nil {
			ent = c.pendingLocked(id)
			c.mu.Unlock()
			return c.load(ctx, id, ent)
		}
		select {
		case <-ent.ready:
		default:
			c.mu.Unlock()
			select {
			case <-ent.ready:
				if ent.failed {
					continue
				}
				return ent.val, ent.err
			case <-ctx.Done():
				var zero V
				return zero, ctx.Err()
			}
		}
		if c.freshLocked(ent) {
			c.mu.Unlock()
			return ent.val, ent.err
		}
		c.mu.Unlock()
		if ent.versioned {
			if v, at, ok := c.version.current(ctx); ok && v == ent.version {
				c.mu.Lock()
				if at.After(ent.asOf) {
					ent.asOf = at
				}
				c.mu.Unlock()
				return ent.val, ent.err
			}
		}
		c.mu.Lock()
		if c.entries[id] != ent {
			c.mu.Unlock()
			continue // replaced meanwhile: ask the new entry
		}
		ent = c.pendingLocked(id)
		c.mu.Unlock()
		return c.load(ctx, id, ent)
	}
}

// pendingLocked puts an entry being read in id's place. c.mu is held.
func (c *configCache[V]) pendingLocked(id string) *configEntry[V] {
	ent := &configEntry[V]{ready: make(chan struct{})}
	c.entries[id] = ent
	return ent
}

// load reads id alone into ent.
func (c *configCache[V]) load(ctx context.Context, id string, ent *configEntry[V]) (V, error) {
	v, _, versioned := c.version.current(ctx)
	start := c.now()
	val, err := c.one(ctx, id)
	c.settle(id, ent, val, err, v, versioned, start)
	return val, err
}

// settle fills ent with what a read that began at start returned, or
// drops it if the error is not an answer to keep.
func (c *configCache[V]) settle(id string, ent *configEntry[V], val V, err error, v int64, versioned bool, start time.Time) {
	c.mu.Lock()
	if err != nil && (c.keep == nil || !c.keep(err)) {
		ent.failed = true
		if c.entries[id] == ent {
			delete(c.entries, id)
		}
	} else {
		ent.val, ent.err, ent.version, ent.versioned, ent.asOf = val, err, v, versioned, start
	}
	c.mu.Unlock()
	close(ent.ready)
}

// prefetch is a batch read that reserve set up: entries put in place of
// the ids a batch lacks, which those who ask for them wait on.
type prefetch[V any] struct {
	c    *configCache[V]
	ids  []string
	ents []*configEntry[V]
	// prevs are the entries replaced, past their ttl (nil where there was
	// none): if the count has not moved since they were read, they stand
	// again without a read.
	prevs []*configEntry[V]
}

// reserve puts entries being read in place of those of the n ids (idOf)
// the cache holds no fresh value for and no one is reading, and returns
// the read to make, or nil if there is none. It does no I/O, so that it can run before the
// batch reaches the workers: a worker that asks for one of them then
// waits for the batch instead of reading alone.
func (c *configCache[V]) reserve(n int, idOf func(i int) string) *prefetch[V] {
	if c.many == nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	var p *prefetch[V]
	for i := range n {
		id := idOf(i)
		prev := c.entries[id]
		if prev != nil && (!chanClosed(prev.ready) || c.freshLocked(prev)) {
			continue // being read, or fresh (or listed twice)
		}
		if p == nil {
			p = &prefetch[V]{c: c}
		}
		p.ids = append(p.ids, id)
		p.ents = append(p.ents, c.pendingLocked(id))
		p.prevs = append(p.prevs, prev)
	}
	return p
}

// read settles the reserved entries: those whose previous value the count
// still vouches for keep it, the rest are read, in one statement per
// herald.MaxConfigReadIDs. If a read fails, each asker reads alone.
func (p *prefetch[V]) read(ctx context.Context) {
	c := p.c
	v, at, versioned := c.version.current(ctx)
	var ids []string
	var ents []*configEntry[V]
	for i, prev := range p.prevs {
		if versioned && prev != nil && prev.versioned && prev.version == v {
			c.mu.Lock()
			asOf := prev.asOf
			c.mu.Unlock()
			if at.After(asOf) {
				asOf = at
			}
			c.settle(p.ids[i], p.ents[i], prev.val, prev.err, v, true, asOf)
			continue
		}
		ids = append(ids, p.ids[i])
		ents = append(ents, p.ents[i])
	}
	for len(ids) > 0 {
		n := min(len(ids), herald.MaxConfigReadIDs)
		start := c.now()
		vals, err := c.many(ctx, ids[:n])
		for i, id := range ids[:n] {
			var val V
			var verr error
			switch found, ok := vals[id]; {
			case err != nil:
				verr = err // not kept: each asker reads alone
			case ok:
				val = found
			default:
				val, verr = c.absent(id)
			}
			c.settle(id, ents[i], val, verr, v, versioned, start)
		}
		ids, ents = ids[n:], ents[n:]
	}
}

// forget drops id, so the next get reads it again.
func (c *configCache[V]) forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}

// prune drops the entries nothing has asked for since before, so that
// those of deleted endpoints and departed customers (and the secrets an
// endpoint holds) do not stay in memory for good.
func (c *configCache[V]) prune(before time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for id, ent := range c.entries {
		if chanClosed(ent.ready) && ent.asOf.Before(before) {
			delete(c.entries, id)
		}
	}
}

func chanClosed(ch chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}
