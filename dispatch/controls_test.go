package dispatch_test

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// An endpoint that keeps failing opens its circuit: the deliveries behind
// it are not attempted (no attempt counted) but wait, pending, until the
// cool-down ends; then one probe goes, and its success closes the circuit.
// The clock is injected: nothing waits for the cool-down.
func TestCircuitBreakerOpensProbesAndCloses(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Now().UTC().Add(time.Hour)} // ahead of every publish
	r := newRig(t, func(c *dispatch.Config) {
		c.NowFunc = clock.Now
		c.RetryPolicy = &herald.RetryPolicy{Schedule: slices.Repeat([]time.Duration{10 * time.Second}, 10), Jitter: -1}
	})
	r.customer(t, "2187")
	var healthy atomic.Bool
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(srv.Close)
	// One at a time, so the order of attempts is the order of publishes.
	ep := r.endpoint(t, "2187", srv.URL, func(e *herald.Endpoint) {
		e.MaxConcurrency, e.CircuitThreshold, e.CircuitCooldown = 1, 3, time.Minute
	})

	var ids []string
	for i := range 5 {
		ids = append(ids, r.publish(t, "2187", "w"+itoa(i), wire.EventTypeWorkFlowStatusChange).Deliveries[0].ID)
	}
	// Three attempts fail and open the circuit. The other two are not
	// attempted: claims leave the endpoint out while its circuit is open
	// (and a delivery claimed before it opened is put back, due when the
	// cool-down ends), so they stay pending with no attempt.
	deadline := time.Now().Add(15 * time.Second)
	for hits.Load() < 3 || r.disp.CircuitState(ep.ID) != dispatch.CircuitOpen {
		if time.Now().After(deadline) {
			t.Fatalf("%d requests, circuit %s; want 3 and open", hits.Load(), r.disp.CircuitState(ep.ID))
		}
		time.Sleep(5 * time.Millisecond)
	}
	var untried int
	for {
		attempts := 0
		untried = 0
		for _, id := range ids {
			d, err := r.store.DeliveryGet(t.Context(), id)
			if err != nil {
				t.Fatal(err)
			}
			attempts += d.Attempts
			if d.Attempts == 0 && d.State == herald.DeliveryStatePending && d.ScheduleAttempts == 0 {
				untried++
			}
		}
		if attempts == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d attempts recorded, want 3", attempts)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if untried != 2 || hits.Load() != 3 {
		t.Fatalf("%d untried, %d requests; want 2 untried after 3 failed requests", untried, hits.Load())
	}

	// A person waiting on a delivery to this endpoint hears at once that
	// it was not delivered; the delivery is put back, due when the
	// cool-down ends, with no attempt.
	extra := r.publish(t, "2187", "w-now", wire.EventTypeWorkFlowStatusChange).Deliveries[0].ID
	outs, err := r.disp.DeliverNow(t.Context(), []string{extra}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if o := outs[0]; o.State != herald.DeliveryStatePending || o.TimedOut || o.UserMessage == "" {
		t.Fatalf("interactive delivery to an open circuit: %+v", o)
	}
	d := r.wait(t, extra, func(d *herald.Delivery) bool { return strings.Contains(d.LastError, "circuit is open") })
	if d.Attempts != 0 || !d.NextAttemptAt.After(clock.Now()) {
		t.Fatalf("deferred delivery: %d attempts, due %v (now %v)", d.Attempts, d.NextAttemptAt, clock.Now())
	}
	ids = append(ids, extra)

	// The partner recovers; the cool-down ends: a probe, then everything.
	healthy.Store(true)
	clock.Advance(time.Minute)
	r.disp.Wake()
	for _, id := range ids {
		r.wait(t, id, inState(herald.DeliveryStateDelivered))
	}
	if got := r.disp.CircuitState(ep.ID); got != dispatch.CircuitClosed {
		t.Fatalf("circuit %s after a successful probe, want closed", got)
	}
	if got := hits.Load(); got != 9 {
		t.Fatalf("%d requests, want 9 (3 failures, 6 deliveries)", got)
	}
}

// A failed probe opens the circuit for another cool-down.
func TestCircuitBreakerFailedProbeReopens(t *testing.T) {
	t.Parallel()
	clock := &fakeClock{now: time.Now().UTC().Add(time.Hour)} // ahead of every publish
	r := newRig(t, func(c *dispatch.Config) {
		c.NowFunc = clock.Now
		c.RetryPolicy = &herald.RetryPolicy{Schedule: slices.Repeat([]time.Duration{time.Second}, 10), Jitter: -1}
	})
	r.customer(t, "2187")
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	ep := r.endpoint(t, "2187", srv.URL, func(e *herald.Endpoint) {
		e.MaxConcurrency, e.CircuitThreshold, e.CircuitCooldown = 1, 1, time.Minute
	})
	id := r.publish(t, "2187", "w1", wire.EventTypeWorkFlowStatusChange).Deliveries[0].ID
	r.wait(t, id, attempted(1))
	if got := r.disp.CircuitState(ep.ID); got != dispatch.CircuitOpen {
		t.Fatalf("circuit %s, want open", got)
	}
	// The retry is due in 1s, but the circuit holds it until the probe.
	clock.Advance(time.Minute)
	r.disp.Wake()
	d := r.wait(t, id, attempted(2))
	if d.State != herald.DeliveryStatePending {
		t.Fatalf("state %s after the failed probe", d.State)
	}
	if got := r.disp.CircuitState(ep.ID); got != dispatch.CircuitOpen {
		t.Fatalf("circuit %s after a failed probe, want open", got)
	}
	if r.disp.OpenCircuits() != 1 {
		t.Fatalf("OpenCircuits = %d, want 1", r.disp.OpenCircuits())
	}
}

// The rate limit spaces an endpoint's attempts: with 20 per second and a
// burst of 1, ten deliveries take at least 450ms (a lower bound the token
// bucket guarantees, so the test cannot be flaky), and other endpoints are
// not held up.
func TestRateLimitSpacesAttempts(t *testing.T) {
	t.Parallel()
	r := newRig(t, nil)
	r.customer(t, "2187")
	var mu sync.Mutex
	var arrivals []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		arrivals = append(arrivals, time.Now())
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	r.endpoint(t, "2187", srv.URL+"/limited", func(e *herald.Endpoint) { e.RateLimit, e.RateBurst = 20, 1 })

	var ids []string
	for i := range 10 {
		ids = append(ids, r.publish(t, "2187", "w"+itoa(i), wire.EventTypeWorkFlowStatusChange).Deliveries[0].ID)
	}
	for _, id := range ids {
		d := r.wait(t, id, inState(herald.DeliveryStateDelivered))
		if d.Attempts != 1 {
			t.Fatalf("delivery %s: %d attempts, want 1", id, d.Attempts)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(arrivals, func(i, j int) bool { return arrivals[i].Before(arrivals[j]) })
	// From the second arrival on: the first request also opens the
	// connection, which on a loaded machine (CI, with -race) has taken
	// 50 ms longer than the others, and shortened the span by as much.
	// The eight intervals after it are the limiter's alone: about 400 ms
	// at 20/s, against nothing without a limit and 200 ms at twice the
	// rate.
	span := arrivals[len(arrivals)-1].Sub(arrivals[1])
	t.Logf("10 deliveries at 20/s, burst 1: %s from the second to the last", span)
	if span < 300*time.Millisecond {
		t.Fatalf("10 deliveries at 20/s took %s from the second to the last, want about 400ms (8 intervals of 50ms)", span)
	}
}
