package dispatch

import (
	"context"
	"sync"
	"time"

	"github.com/heraldhq/herald"
)

// endpointCache keeps endpoints' configuration for a short time, so a batch
// of deliveries to one endpoint reads it once, while edits (a new URL, a
// disabled endpoint) still take effect within the TTL.
type endpointCache struct {
	store herald.Store
	ttl   time.Duration
	now   func() time.Time

	mu      sync.Mutex
	entries map[string]*endpointEntry
}

type endpointEntry struct {
	ep      *herald.Endpoint
	err     error // ENOTFOUND is cached too: deleted endpoints stay deleted
	fetched time.Time
	ready   chan struct{} // closed once ep/err are set; concurrent readers wait on it
}

func newEndpointCache(store herald.Store, ttl time.Duration, now func() time.Time) *endpointCache {
	return &endpointCache{store: store, ttl: ttl, now: now, entries: map[string]*endpointEntry{}}
}

// get returns the endpoint, reading it from the store at most once per TTL
// however many workers ask at the same time.
func (c *endpointCache) get(ctx context.Context, id string) (*herald.Endpoint, error) {
	c.mu.Lock()
	ent := c.entries[id]
	if ent != nil {
		select {
		case <-ent.ready:
			if c.now().Sub(ent.fetched) < c.ttl {
				c.mu.Unlock()
				return ent.ep, ent.err
			}
		default:
			c.mu.Unlock()
			select {
			case <-ent.ready:
				return ent.ep, ent.err
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}
	}
	ent = &endpointEntry{ready: make(chan struct{})}
	c.entries[id] = ent
	c.mu.Unlock()

	ent.ep, ent.err = c.store.EndpointGet(ctx, id)
	ent.fetched = c.now()
	if ent.err != nil && herald.ErrorCode(ent.err) != herald.ENOTFOUND {
		// Do not cache a passing store failure.
		c.mu.Lock()
		if c.entries[id] == ent {
			delete(c.entries, id)
		}
		c.mu.Unlock()
	}
	close(ent.ready)
	return ent.ep, ent.err
}

// forget drops an endpoint, so the next get reads it again.
func (c *endpointCache) forget(id string) {
	c.mu.Lock()
	delete(c.entries, id)
	c.mu.Unlock()
}
