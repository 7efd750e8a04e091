package dispatch

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

// endpointCache keeps endpoints' configuration (configCache), so a delivery
// rarely reads its endpoint, while edits (a new URL, a disabled endpoint)
// still take effect within the TTL. ENOTFOUND is kept too: deleted
// endpoints stay deleted.
type endpointCache = configCache[*herald.Endpoint]

func newEndpointCache(store herald.Store, version *configVersion, ttl time.Duration, now func() time.Time) *endpointCache {
	c := &endpointCache{
		version: version, ttl: ttl, now: now,
		one:     store.EndpointGet,
		keep:    func(err error) bool { return herald.ErrorCode(err) == herald.ENOTFOUND },
		entries: map[string]*configEntry[*herald.Endpoint]{},
	}
	if cs, ok := store.(herald.DispatchConfigStore); ok {
		c.many = func(ctx context.Context, ids []string) (map[string]*herald.Endpoint, error) {
			eps, err := cs.EndpointGetMany(ctx, ids)
			if err != nil {
				return nil, err
			}
			out := make(map[string]*herald.Endpoint, len(eps))
			for _, e := range eps {
				out[e.ID] = e
			}
			return out, nil
		}
		c.absent = func(id string) (*herald.Endpoint, error) { return nil, herald.NotFound("endpoint", id) }
	}
	return c
}
