package dispatch

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/heraldhq/herald"
)

func TestBreakerOpenHalfOpenClosed(t *testing.T) {
	t.Parallel()
	ep := &herald.Endpoint{ID: "ep_1", CircuitThreshold: 3, CircuitCooldown: time.Minute}
	c := newControls()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

	fail := func(probe bool) CircuitState { _, after := c.report(ep, now, probe, true); return after }
	ok := func(probe bool) CircuitState { _, after := c.report(ep, now, probe, false); return after }

	// Two failures, a success: the count starts again.
	for range 2 {
		if a := c.admit(ep, now); !a.ok || a.probe {
			t.Fatalf("closed circuit: admission %+v", a)
		}
		fail(false)
	}
	ok(false)
	for i := range 3 {
		if got := fail(false); (got == CircuitOpen) != (i == 2) {
			t.Fatalf("after %d failures in a row: %s", i+1, got)
		}
	}
	openedAt := now

	// Open: fail fast, due when the cool-down ends; claims leave it out.
	now = now.Add(59 * time.Second)
	if a := c.admit(ep, now); a.ok || !a.retryAt.Equal(openedAt.Add(time.Minute)) {
		t.Fatalf("open circuit: admission %+v, want refused until %v", a, openedAt.Add(time.Minute))
	}
	if got := c.blocked(now); !slices.Equal(got, []string{"ep_1"}) {
		t.Fatalf("blocked = %v, want [ep_1]", got)
	}
	// A late failure of an attempt admitted before it opened changes nothing.
	if got := fail(false); got != CircuitOpen {
		t.Fatalf("late failure: %s", got)
	}

	// Cool-down over: one probe, the rest wait.
	now = openedAt.Add(time.Minute)
	if got := c.blocked(now); len(got) != 0 {
		t.Fatalf("blocked = %v once a probe may go", got)
	}
	probe := c.admit(ep, now)
	if !probe.ok || !probe.probe {
		t.Fatalf("first admission after the cool-down: %+v, want the probe", probe)
	}
	if a := c.admit(ep, now); a.ok || !a.retryAt.Equal(now.Add(time.Minute)) {
		t.Fatalf("admission during the probe: %+v", a)
	}
	if len(c.blocked(now)) != 1 {
		t.Fatal("claims must leave the endpoint out while the probe is in flight")
	}

	// The probe fails: open again for a whole cool-down.
	if got := fail(true); got != CircuitOpen {
		t.Fatalf("failed probe: %s, want open", got)
	}
	if a := c.admit(ep, now.Add(30*time.Second)); a.ok {
		t.Fatalf("reopened circuit admitted %+v", a)
	}

	// An abandoned probe (shutdown) lets the next delivery probe.
	now = now.Add(time.Minute)
	if a := c.admit(ep, now); !a.probe {
		t.Fatalf("admission %+v, want the probe", a)
	}
	c.abandon(ep, true)
	if a := c.admit(ep, now); !a.probe {
		t.Fatalf("admission after an abandoned probe: %+v, want a new probe", a)
	}

	// The probe succeeds: closed, and the failure count is fresh.
	if got := ok(true); got != CircuitClosed {
		t.Fatalf("successful probe: %s, want closed", got)
	}
	for i := range 2 {
		if got := fail(false); got != CircuitClosed {
			t.Fatalf("failure %d after closing: %s", i+1, got)
		}
	}
	if c.openCircuits() != 0 {
		t.Fatalf("openCircuits = %d, want 0", c.openCircuits())
	}
}

func TestRateLimitReserve(t *testing.T) {
	t.Parallel()
	c := newControls()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

	unlimited := &herald.Endpoint{ID: "ep_u"}
	for range 100 {
		if d, _ := c.reserve(unlimited, now); d != 0 {
			t.Fatalf("unlimited endpoint waits %s", d)
		}
	}

	ep := &herald.Endpoint{ID: "ep_r", RateLimit: 2, RateBurst: 2}
	var waits []time.Duration
	for range 4 {
		d, _ := c.reserve(ep, now)
		waits = append(waits, d)
	}
	want := []time.Duration{0, 0, 500 * time.Millisecond, time.Second}
	if !slices.Equal(waits, want) {
		t.Fatalf("waits = %v, want %v (burst 2, then one every 500ms)", waits, want)
	}
	// A token given back is the next caller's.
	d, giveBack := c.reserve(ep, now)
	if d != 1500*time.Millisecond {
		t.Fatalf("fifth wait = %s, want 1.5s", d)
	}
	giveBack()
	if d, _ := c.reserve(ep, now); d != 1500*time.Millisecond {
		t.Fatalf("wait after a token was given back = %s, want 1.5s", d)
	}
	// Tokens come back with time.
	if d, _ := c.reserve(ep, now.Add(10*time.Second)); d != 0 {
		t.Fatalf("wait after 10s = %s, want 0", d)
	}

	// Editing the rate takes effect; RateLimit 0 lifts the limit.
	ep.RateLimit = 0
	if d, _ := c.reserve(ep, now); d != 0 {
		t.Fatalf("after the limit was lifted: wait %s", d)
	}
	ep.RateLimit, ep.RateBurst = 0.5, 0
	if ep.Burst() != 1 {
		t.Fatalf("default burst of 0.5/s = %d, want 1", ep.Burst())
	}
	c.reserve(ep, now)
	if d, _ := c.reserve(ep, now); d != 2*time.Second {
		t.Fatalf("0.5/s: second wait = %s, want 2s", d)
	}
}

// TestUnclosedFollowsEveryCircuit checks the set blocked and openCircuits
// read instead of every control: a circuit is in it from the failure that
// opens it until the success that closes it or its endpoint is forgotten,
// and the thousands of closed ones never are.
func TestUnclosedFollowsEveryCircuit(t *testing.T) {
	t.Parallel()
	c := newControls()
	now := time.Date(2026, 12, 4, 12, 0, 0, 0, time.UTC)
	for i := range 2000 {
		ep := &herald.Endpoint{ID: "ep_" + strconv.Itoa(i)}
		c.admit(ep, now)
		c.report(ep, now, false, false)
	}
	down := &herald.Endpoint{ID: "ep_down", CircuitThreshold: 1, CircuitCooldown: time.Minute}
	other := &herald.Endpoint{ID: "ep_other", CircuitThreshold: 1, CircuitCooldown: time.Minute}
	check := func(when string, at time.Time, blocked []string, open int) {
		t.Helper()
		got := c.blocked(at)
		slices.Sort(got)
		if !slices.Equal(got, blocked) || c.openCircuits() != open || len(c.unclosed) != open {
			t.Fatalf("%s: blocked %v, open %d (unclosed %d); want %v, %d", when, got, c.openCircuits(), len(c.unclosed), blocked, open)
		}
	}
	check("all closed", now, nil, 0)

	c.admit(down, now)
	c.report(down, now, false, true)
	c.admit(other, now)
	c.report(other, now, false, true)
	check("two opened", now, []string{"ep_down", "ep_other"}, 2)

	// Half-open with its probe in flight: still blocked, still counted.
	now = now.Add(time.Minute)
	if a := c.admit(down, now); !a.probe {
		t.Fatalf("admission after the cool-down: %+v, want the probe", a)
	}
	check("probing", now, []string{"ep_down"}, 2)

	c.report(down, now, true, false)
	check("probe succeeded", now, nil, 1)
	c.forget("ep_other")
	check("open one forgotten", now, nil, 0)
}
