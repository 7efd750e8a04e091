package dispatch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// configReadCounter is the dispatcher's view of a store that counts how it
// reads endpoints and retry policies.
type configReadCounter struct {
	herald.Store
	policies herald.RetryPolicyStore
	config   herald.DispatchConfigStore

	endpointGets, policyLists    atomic.Int64 // one at a time
	endpointsRead, customersRead atomic.Int64 // in batches
	versionReads                 atomic.Int64
}

func (c *configReadCounter) EndpointGet(ctx context.Context, id string) (*herald.Endpoint, error) {
	c.endpointGets.Add(1)
	return c.Store.EndpointGet(ctx, id)
}

func (c *configReadCounter) RetryPolicySet(ctx context.Context, p *herald.CustomerRetryPolicy) error {
	return c.policies.RetryPolicySet(ctx, p)
}

func (c *configReadCounter) RetryPolicyGet(ctx context.Context, customerID string, t wire.EventType) (*herald.CustomerRetryPolicy, error) {
	return c.policies.RetryPolicyGet(ctx, customerID, t)
}

func (c *configReadCounter) RetryPolicyList(ctx context.Context, customerID string) ([]*herald.CustomerRetryPolicy, error) {
	c.policyLists.Add(1)
	return c.policies.RetryPolicyList(ctx, customerID)
}

func (c *configReadCounter) RetryPolicyDelete(ctx context.Context, customerID string, t wire.EventType) error {
	return c.policies.RetryPolicyDelete(ctx, customerID, t)
}

func (c *configReadCounter) ConfigVersion(ctx context.Context) (int64, error) {
	c.versionReads.Add(1)
	return c.config.ConfigVersion(ctx)
}

func (c *configReadCounter) EndpointGetMany(ctx context.Context, ids []string) ([]*herald.Endpoint, error) {
	c.endpointsRead.Add(int64(len(ids)))
	return c.config.EndpointGetMany(ctx, ids)
}

func (c *configReadCounter) RetryPolicyListMany(ctx context.Context, ids []string) ([]*herald.CustomerRetryPolicy, error) {
	c.customersRead.Add(int64(len(ids)))
	return c.config.RetryPolicyListMany(ctx, ids)
}

// TestManyEndpointsAreReadOncePerChange is the dispatcher's side of a
// platform with many customers, each of whose endpoints sees an event only
// now and then: no delivery reads its endpoint or its customer's retry
// policies alone, a round of deliveries after the cache's TTL reads
// neither again while nothing changed, and an edit still takes effect.
func TestManyEndpointsAreReadOncePerChange(t *testing.T) {
	t.Parallel()
	var counter *configReadCounter
	// Long enough that a round on a busy machine spans few TTLs, as the
	// count's bound below needs; the rule itself (one read per TTL,
	// whatever asks) is TestConfigCacheTrustsAnUnmovedCount's, on a fake
	// clock.
	const ttl = 500 * time.Millisecond
	r := newRig(t, func(cfg *dispatch.Config) {
		counter = &configReadCounter{
			Store:    cfg.Store,
			policies: cfg.Store.(herald.RetryPolicyStore),
			config:   cfg.Store.(herald.DispatchConfigStore),
		}
		cfg.Store, cfg.RetryPolicies = counter, counter
		cfg.EndpointCacheTTL = ttl
	})
	var mu sync.Mutex
	arrived := map[string]int{} // by path
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		arrived[req.URL.Path]++
		mu.Unlock()
	}))
	defer receiver.Close()

	const customers = 100
	var eps []*herald.Endpoint
	for i := range customers {
		id := fmt.Sprintf("cust_%03d", i)
		r.customer(t, id)
		eps = append(eps, r.endpoint(t, id, receiver.URL+"/old", nil))
	}
	round := func(n int) {
		t.Helper()
		results := make([]*herald.EventPublishResult, customers)
		var wg sync.WaitGroup
		for i, e := range eps {
			wg.Go(func() {
				results[i] = r.publish(t, e.CustomerID, fmt.Sprintf("wf-%d-%d", n, i), wire.EventTypeWorkFlowStatusChange)
			})
		}
		wg.Wait()
		for _, res := range results {
			r.wait(t, res.Deliveries[0].ID, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
		}
	}
	check := func(when string, endpoints, customers int64) {
		t.Helper()
		if n := counter.endpointGets.Load() + counter.policyLists.Load(); n != 0 {
			t.Fatalf("%s: %d endpoints and %d customers' policies read one at a time, want none", when, counter.endpointGets.Load(), counter.policyLists.Load())
		}
		if got := counter.endpointsRead.Load(); got != endpoints {
			t.Fatalf("%s: %d endpoints read in batches, want %d", when, got, endpoints)
		}
		if got := counter.customersRead.Load(); got != customers {
			t.Fatalf("%s: %d customers' retry policies read in batches, want %d", when, got, customers)
		}
	}

	round(1)
	check("first round", customers, customers)
	time.Sleep(2 * ttl)
	round(2)
	check("a round past the TTL, nothing changed", customers, customers)
	// Not once per delivery: at most once per TTL, and two rounds of 100
	// deliveries span far fewer than 50 TTLs even under -race on a busy
	// machine (CI saw 12 reads in 10 s at a 50 ms TTL).
	if n := counter.versionReads.Load(); n >= 2*customers/4 {
		t.Fatalf("the change count read %d times for %d deliveries", n, 2*customers)
	}

	moved := eps[7]
	moved.URL = receiver.URL + "/new"
	if err := r.store.EndpointUpdate(t.Context(), moved); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * ttl)
	round(3)
	mu.Lock()
	defer mu.Unlock()
	if arrived["/new"] != 1 || arrived["/old"] != 3*customers-1 {
		t.Fatalf("after the edit: %d at the new URL, %d at the old; want 1 and %d", arrived["/new"], arrived["/old"], 3*customers-1)
	}
}
