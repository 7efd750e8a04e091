package sqlite

import (
	"context"
	"sync"

	"github.com/heraldhq/herald"
)

// endpointsVersionSQL reads the count of changes to customers and endpoints
// (migration 018).
const endpointsVersionSQL = `SELECT version FROM endpoints_version`

// endpointCache keeps each customer's endpoints, as publishing reads them
// (customerEndpoints: Auth left empty, so no secret is held), between
// publish batches. A batch reads endpoints_version once, before any
// endpoint; if it moved, the cache is emptied. An entry is stamped with a
// version read before its endpoints were, so it is never older than its
// stamp: an edit committed before a batch starts applies to that batch,
// as when every batch read the endpoints itself. Unknown customers are not
// kept, so ids that name no one cannot grow it.
type endpointCache struct {
	mu         sync.Mutex
	version    int64
	byCustomer map[string][]*herald.Endpoint
}

// current reads the version and empties the cache if it moved. The
// version it returns stamps what the batch reads.
func (c *endpointCache) current(ctx context.Context, q rowQuerier) (int64, error) {
	var v int64
	if err := q.QueryRowContext(ctx, endpointsVersionSQL).Scan(&v); err != nil {
		return 0, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.version || c.byCustomer == nil {
		c.version, c.byCustomer = v, map[string][]*herald.Endpoint{}
	}
	return v, nil
}

// get returns the customer's endpoints kept at version v, if any.
func (c *endpointCache) get(v int64, customerID string) ([]*herald.Endpoint, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v != c.version {
		return nil, false
	}
	eps, ok := c.byCustomer[customerID]
	return eps, ok
}

// put keeps eps, read after version v was, unless the cache has moved on.
func (c *endpointCache) put(v int64, customerID string, eps []*herald.Endpoint) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if v == c.version && c.byCustomer != nil {
		c.byCustomer[customerID] = eps
	}
}
