package dispatch

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// retryPolicies keeps customers' retry policies (a configCache, like the
// endpoints), resolved per event type once, so a policy edit takes effect
// within the TTL.
type retryPolicies struct {
	cache *configCache[*customerPolicies] // nil: every delivery gets fallback
	// fallback is the policy of a delivery whose customer has none for
	// it: Config.RetryPolicy, herald.DefaultRetryPolicy() by default.
	fallback *herald.RetryPolicy
	log      *slog.Logger
}

// customerPolicies is one customer's policies as read, and what they
// resolve to per event type.
type customerPolicies struct {
	policies []*herald.CustomerRetryPolicy

	mu       sync.Mutex
	resolved map[wire.EventType]*herald.RetryPolicy
}

func newCustomerPolicies(ps []*herald.CustomerRetryPolicy) *customerPolicies {
	return &customerPolicies{policies: ps, resolved: map[wire.EventType]*herald.RetryPolicy{}}
}

func newRetryPolicies(store herald.RetryPolicyStore, version *configVersion, ttl time.Duration, now func() time.Time, fallback *herald.RetryPolicy, log *slog.Logger) *retryPolicies {
	rp := &retryPolicies{fallback: fallback, log: log}
	if store == nil {
		return rp
	}
	rp.cache = &configCache[*customerPolicies]{
		version: version, ttl: ttl, now: now,
		one: func(ctx context.Context, customerID string) (*customerPolicies, error) {
			ps, err := store.RetryPolicyList(ctx, customerID)
			if err != nil {
				return nil, err
			}
			return newCustomerPolicies(ps), nil
		},
		entries: map[string]*configEntry[*customerPolicies]{},
	}
	if cs, ok := store.(herald.DispatchConfigStore); ok {
		rp.cache.many = func(ctx context.Context, customerIDs []string) (map[string]*customerPolicies, error) {
			ps, err := cs.RetryPolicyListMany(ctx, customerIDs)
			if err != nil {
				return nil, err
			}
			byCustomer := map[string][]*herald.CustomerRetryPolicy{}
			for _, p := range ps {
				byCustomer[p.CustomerID] = append(byCustomer[p.CustomerID], p)
			}
			out := make(map[string]*customerPolicies, len(byCustomer))
			for id, l := range byCustomer {
				out[id] = newCustomerPolicies(l)
			}
			return out, nil
		}
		rp.cache.absent = func(string) (*customerPolicies, error) { return newCustomerPolicies(nil), nil }
	}
	return rp
}

// get returns the retry policy of a delivery of customerID's event of type
// t: the customer's policy for t, else its default, else the fallback. If
// the store cannot be read, the fallback is used (and the read retried at
// the next delivery): a retry is better scheduled by the default than not
// at all.
func (rp *retryPolicies) get(ctx context.Context, customerID string, t wire.EventType) *herald.RetryPolicy {
	if rp.cache == nil {
		return rp.fallback
	}
	cp, err := rp.cache.get(ctx, customerID)
	if err != nil {
		rp.log.ErrorContext(ctx, "load retry policies", slog.String("customer_id", customerID), slog.Any("error", err))
		return rp.fallback
	}
	cp.mu.Lock()
	defer cp.mu.Unlock()
	if p, ok := cp.resolved[t]; ok {
		return p
	}
	p := rp.fallback
	var wide *herald.CustomerRetryPolicy
	for _, pol := range cp.policies {
		if pol.EventType == t {
			wide = pol
			break
		}
		if pol.EventType == "" {
			wide = pol
		}
	}
	if wide != nil {
		resolved := wide.RetryPolicy()
		p = &resolved
	}
	cp.resolved[t] = p
	return p
}

// retryPolicy returns the retry policy of c.
func (d *Dispatcher) retryPolicy(ctx context.Context, c *herald.ClaimedDelivery) *herald.RetryPolicy {
	return d.policies.get(ctx, c.CustomerID, c.EventType)
}
