package dispatch_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// One customer's endpoints failing hard (one answers 500, one hangs until
// the request timeout) leave another customer's healthy endpoint as fast as
// before. Its publish-to-arrival p50 and p99 are measured alone and then
// beside the failing ones, in the same test, and logged; what is asserted
// is the property that does not depend on how busy the machine is: no
// healthy delivery waited behind a hanging attempt (every one arrived
// faster than the hanging partner's timeout). The failing endpoints'
// circuit breakers are turned up out of reach, so this is the lanes'
// isolation alone, the worst case.
//
// Not parallel: it measures latency, so it runs while no other test of the
// package does.
func TestFailingNeighbourLeavesHealthyLatencyUnchanged(t *testing.T) {
	if testing.Short() {
		t.Skip("latency measurement")
	}
	r := newRig(t, func(c *dispatch.Config) {
		c.RequestTimeout = 3 * time.Second
		c.LeaseDuration = time.Minute
	})
	r.customer(t, "healthy")
	r.customer(t, "failing")

	var mu sync.Mutex
	arrivedAt := map[string]time.Time{} // by event id
	arrived := make(chan struct{}, 1000)
	healthy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		now := time.Now()
		mu.Lock()
		arrivedAt[req.Header.Get(wire.HeaderEventID)] = now
		mu.Unlock()
		arrived <- struct{}{}
	}))
	t.Cleanup(healthy.Close)
	release := make(chan struct{})
	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		_, _ = io.Copy(io.Discard, req.Body)
		if req.URL.Path == "/hang" {
			select {
			case <-release:
			case <-req.Context().Done():
			}
			return
		}
		w.WriteHeader(http.StatusInternalServerError)
	}))
	t.Cleanup(func() { close(release); failing.Close() })

	r.endpoint(t, "healthy", healthy.URL, nil)
	for _, path := range []string{"/500", "/hang"} {
		r.endpoint(t, "failing", failing.URL+path, func(e *herald.Endpoint) { e.CircuitThreshold = herald.MaxCircuitThreshold })
	}

	const n = 60
	measure := func(phase string, neighbours bool) (p50, p99 time.Duration) {
		published := map[string]time.Time{}
		for i := range n {
			if neighbours {
				r.publish(t, "failing", fmt.Sprintf("%s-f%d", phase, i), wire.EventTypeWorkFlowStatusChange)
			}
			// The clock starts before the publish: the latency includes
			// the commit, as a caller of the API sees it.
			at := time.Now()
			res := r.publish(t, "healthy", fmt.Sprintf("%s-%d", phase, i), wire.EventTypeWorkFlowStatusChange)
			published[res.Event.ID] = at
			time.Sleep(5 * time.Millisecond) // a steady offered rate, not a burst
		}
		for range n {
			select {
			case <-arrived:
			case <-time.After(15 * time.Second):
				t.Fatalf("%s: healthy deliveries did not all arrive", phase)
			}
		}
		mu.Lock()
		defer mu.Unlock()
		var ls []time.Duration
		for id, at := range published {
			ls = append(ls, arrivedAt[id].Sub(at))
		}
		slices.Sort(ls)
		return ls[len(ls)/2], ls[len(ls)*99/100]
	}
	aloneP50, aloneP99 := measure("alone", false)
	withP50, withP99 := measure("beside", true)
	t.Logf("healthy endpoint, publish to arrival: alone p50 %s p99 %s; beside a 500ing and a hanging endpoint p50 %s p99 %s",
		aloneP50.Round(10*time.Microsecond), aloneP99.Round(10*time.Microsecond), withP50.Round(10*time.Microsecond), withP99.Round(10*time.Microsecond))
	// Had a healthy delivery queued behind the hanging partner's
	// attempts, it would have waited out their 3s timeout.
	if withP99 >= 3*time.Second {
		t.Errorf("p99 beside failing endpoints %s: healthy deliveries waited behind the hanging partner's timeout", withP99)
	}
}
