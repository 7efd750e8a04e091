package storerules

import (
	"sync"

	"github.com/heraldhq/herald"
)

// EndpointCache keeps each customer's endpoints, as publishing reads them
// (Auth left empty, so no secret is held), between publish batches, for a
// store that counts the changes to customers and endpoints in a version
// (a row its triggers keep: endpoints_version).
//
// An entry is stamped with a version read before its endpoints were, so
// it is never older than its stamp. A batch plans with the version the
// cache holds (Stamp) and its insert checks, in the statement or
// transaction that writes, that the version has not moved; if it has, the
// batch plans again, reading the version first (Current, which empties
// the cache if it moved). Either way an edit committed before a batch's
// insert applies to that batch, and the common batch reads no endpoint.
// Unknown customers are not kept, so ids that name no one cannot grow it.
type EndpointCache struct {
	mu         sync.Mutex
	version    int64
	byCustomer map[string][]*herald.Endpoint
}

// Current takes v, a version just read, as the cache's, emptying it if it
// moved, and returns v to stamp what the batch reads after it.
func (c *EndpointCache) Current(v int64) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.version || c.byCustomer == nil {
		c.version, c.byCustomer = v, map[string][]*herald.Endpoint{}
	}
	return v
}

// Stamp returns the version the cache keeps entries for, if it has taken
// one: a batch may plan with it if its insert checks it is still current.
func (c *EndpointCache) Stamp() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.version, c.byCustomer != nil
}

// Get returns the customer's endpoints kept at version v, if any.
func (c *EndpointCache) Get(v int64, customerID string) ([]*herald.Endpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.version {
		return nil, false
	}
	eps, ok := c.byCustomer[customerID]
	return eps, ok
}

// Put keeps eps, read after version v was, unless the cache has moved on.
func (c *EndpointCache) Put(v int64, customerID string, eps []*herald.Endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == c.version && c.byCustomer != nil {
		c.byCustomer[customerID] = eps
	}
}
