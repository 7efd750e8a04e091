package dispatch_test

import (
	"io"
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

// A burst of publishes to an endpoint whose cap is 2: the publishes hand
// what they may to the dispatcher and leave the rest for claims, and
// together they never have more than 2 attempts in flight. Every
// delivery arrives once.
func TestHandoffsAndClaimsKeepTheCap(t *testing.T) {
	t.Parallel()
	var handedOff, claimed atomic.Int64
	r := newRig(t, func(c *dispatch.Config) {
		c.Observer = dispatch.Observer{
			HandoffFunc:    func(n int) { handedOff.Add(int64(n)) },
			ClaimBatchFunc: func(n int) { claimed.Add(int64(n)) },
		}
	})
	r.customer(t, "2187")
	var inFlight, most atomic.Int64
	var mu sync.Mutex
	arrived := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
		}
		mu.Lock()
		body, _ := io.ReadAll(req.Body) // each event's body is its own
		arrived[string(body)]++
		mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}))
	t.Cleanup(srv.Close)
	r.endpoint(t, "2187", srv.URL, func(e *herald.Endpoint) { e.MaxConcurrency = 2 })

	const events = 24
	ids := make(chan string, events)
	var wg sync.WaitGroup
	for i := range events {
		wg.Go(func() {
			ids <- r.publish(t, "2187", "s"+itoa(i), wire.EventTypeWorkFlowStatusChange).Deliveries[0].ID
		})
	}
	wg.Wait()
	close(ids)
	for id := range ids {
		r.wait(t, id, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
	}
	if m := most.Load(); m > 2 {
		t.Errorf("%d attempts in flight at once, want at most the cap, 2", m)
	}
	if handedOff.Load() == 0 {
		t.Error("no delivery was handed off at publish")
	}
	if got := handedOff.Load() + claimed.Load(); got != events {
		t.Errorf("%d handed off and %d claimed, want %d in all", handedOff.Load(), claimed.Load(), events)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(arrived) != events {
		t.Errorf("%d distinct events arrived, want %d", len(arrived), events)
	}
	for _, n := range arrived {
		if n != 1 {
			t.Errorf("an event arrived %d times, want once", n)
		}
	}
}

// Deliveries that come one at a time to an endpoint whose partner is slow
// go out at once, up to the endpoint's cap, rather than wait behind the
// attempts in flight: a lane starts a worker for each delivery no idle
// worker can take. Before, a lane compared its queue with all its workers,
// busy ones included, so four deliveries handed off one by one to a
// partner that held them went out two at a time.
func TestALaneUsesItsCapForDeliveriesThatComeOneByOne(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.customer(t, "2187")
	const capacity = 4
	var inFlight atomic.Int64
	release := make(chan struct{})
	releaseAll := sync.OnceFunc(func() { close(release) })
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		inFlight.Add(1)
		_, _ = io.Copy(io.Discard, req.Body)
		<-release
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(releaseAll) // after srv.Close is registered, so it runs first
	r.endpoint(t, "2187", srv.URL, func(e *herald.Endpoint) { e.MaxConcurrency = capacity })

	var ids []string
	for i := range capacity {
		ids = append(ids, r.publish(t, "2187", "s"+itoa(i), wire.EventTypeWorkFlowStatusChange).Deliveries[0].ID)
		// The partner has this one before the next is published.
		for deadline := time.Now().Add(5 * time.Second); inFlight.Load() <= int64(i); time.Sleep(time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%d requests in flight %s after the %d-th publish, want %d: the delivery waits behind the attempts in flight though the cap is %d",
					inFlight.Load(), 5*time.Second, i+1, i+1, capacity)
			}
		}
	}
	releaseAll()
	for _, id := range ids {
		r.wait(t, id, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
	}
}
