package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// retryPolicies caches customers' retry policies, like endpointCache: one
// read of a customer's policies per TTL, resolved per event type once, so
// a policy edit takes effect within the TTL.
type retryPolicies struct {
	store herald.RetryPolicyStore // nil: every delivery gets fallback
	ttl   time.Duration
	now   func() time.Time
	// fallback is the policy of a delivery whose customer has none for
	// it: Config.RetryPolicy, herald.DefaultRetryPolicy() by default.
	fallback *herald.RetryPolicy
	log      *slog.Logger

	mu      sync.Mutex
	entries map[string]*policyEntry // by customer
}

type policyEntry struct {
	policies []*herald.CustomerRetryPolicy
	resolved map[wire.EventType]*herald.RetryPolicy
	fetched  time.Time
}

// get returns the retry policy of a delivery of customerID's event of type
// t: the customer's policy for t, else its default, else the fallback. If
// the store cannot be read, the fallback is used (and the read retried at
// the next delivery): a retry is better scheduled by the default than not
// at all.
func (rp *retryPolicies) get(ctx context.Context, customerID string, t wire.EventType) *herald.RetryPolicy {
	if rp.store == nil {
		return rp.fallback
	}
	rp.mu.Lock()
	ent := rp.entries[customerID]
	if ent == nil || rp.now().Sub(ent.fetched) >= rp.ttl {
		rp.mu.Unlock()
		// Two workers may both read here after expiry; the reads are
		// cheap and the last one wins, so no single-flight is needed.
		ps, err := rp.store.RetryPolicyList(ctx, customerID)
		if err != nil {
			rp.log.ErrorContext(ctx, "load retry policies", slog.String("customer_id", customerID), slog.Any("error", err))
			return rp.fallback
		}
		ent = &policyEntry{policies: ps, resolved: map[wire.EventType]*herald.RetryPolicy{}, fetched: rp.now()}
		rp.mu.Lock()
		rp.entries[customerID] = ent
	}
	defer rp.mu.Unlock()
	if p, ok := ent.resolved[t]; ok {
		return p
	}
	p := rp.fallback
	var wide *herald.CustomerRetryPolicy
	for _, cp := range ent.policies {
		if cp.EventType == t {
			wide = cp
			break
		}
		if cp.EventType == "" {
			wide = cp
		}
	}
	if wide != nil {
		resolved := wide.RetryPolicy()
		p = &resolved
	}
	ent.resolved[t] = p
	return p
}

// retryPolicy returns the retry policy of c.
func (d *Dispatcher) retryPolicy(ctx context.Context, c *herald.ClaimedDelivery) *herald.RetryPolicy {
	return d.policies.get(ctx, c.CustomerID, c.EventType)
}
