package dispatch

import (
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/heraldhq/herald"
)

// CircuitState is where an endpoint's circuit breaker is.
type CircuitState int

// Circuit states.
const (
	// CircuitClosed: attempts go through; retryable failures in a row are
	// counted.
	CircuitClosed CircuitState = iota
	// CircuitOpen: the endpoint failed CircuitFailures() times in a row.
	// Deliveries are not attempted until the cool-down ends; they are put
	// back, due when it ends, with no attempt counted.
	CircuitOpen
	// CircuitHalfOpen: the cool-down ended and one probe attempt is let
	// through. Its success closes the circuit; its failure opens it again.
	CircuitHalfOpen
)

func (s CircuitState) String() string {
	switch s {
	case CircuitClosed:
		return "closed"
	case CircuitOpen:
		return "open"
	case CircuitHalfOpen:
		return "half_open"
	}
	return "unknown"
}

// breaker is one endpoint's circuit breaker. It is not safe for concurrent
// use; controls guards it.
//
// State is per node, in memory: each node learns on its own that a partner
// is down, after CircuitFailures() of its own attempts, and a restart closes
// every circuit. That costs at most a few attempts per node, and keeps the
// store out of the hot path.
type breaker struct {
	state     CircuitState
	failures  int       // retryable failures in a row while closed
	openUntil time.Time // open: when a probe may go
	probing   bool      // half-open: the probe is in flight
}

// admission is a breaker's answer to one delivery.
type admission struct {
	ok bool
	// probe is set when the attempt is the half-open probe; its result
	// must be reported with probe set, or the probe slot freed.
	probe bool
	// retryAt is when a delivery that was not let through is due again.
	retryAt time.Time
}

func (b *breaker) admit(now time.Time, cooldown time.Duration) admission {
	switch b.state {
	case CircuitOpen:
		if now.Before(b.openUntil) {
			return admission{retryAt: b.openUntil}
		}
		b.state = CircuitHalfOpen
		b.probing = true
		return admission{ok: true, probe: true}
	case CircuitHalfOpen:
		if !b.probing {
			b.probing = true
			return admission{ok: true, probe: true}
		}
		// The probe is in flight: try again after a cool-down; the
		// deliveries this defers stay out of the way of the probe.
		return admission{retryAt: now.Add(cooldown)}
	}
	return admission{ok: true}
}

// report records the result of an admitted attempt and returns the state
// after it. failed means a retryable failure (timeout, connection error,
// 408, 429, 5xx); any reply that settles the delivery counts as success.
func (b *breaker) report(now time.Time, probe, failed bool, threshold int, cooldown time.Duration) CircuitState {
	if probe {
		b.probing = false
	}
	switch {
	case !failed:
		b.state, b.failures = CircuitClosed, 0
	case probe || b.state == CircuitHalfOpen:
		b.state, b.openUntil = CircuitOpen, now.Add(cooldown)
	case b.state == CircuitClosed:
		b.failures++
		if b.failures >= threshold {
			b.state, b.openUntil, b.failures = CircuitOpen, now.Add(cooldown), 0
		}
	}
	// A failure that comes back while the circuit is already open (an
	// attempt admitted before it opened) changes nothing; a success closes
	// it, since the partner is evidently answering.
	return b.state
}

// abandon frees the probe slot of an admitted attempt that was not made
// (handed back at shutdown, say), so the next delivery can probe.
func (b *breaker) abandon(probe bool) {
	if probe {
		b.probing = false
	}
}

// control is one endpoint's rate limiter and circuit breaker on this node.
type control struct {
	limiter *rate.Limiter // nil: unlimited
	breaker breaker
	// used is when the control was last asked for; prune drops controls
	// long unused.
	used time.Time
	// slots counts this node's attempts in flight to the endpoint (see
	// acquire).
	slots slots
}

// controls holds the controls of the endpoints this node has attempted.
// An endpoint's entry goes when the endpoint is deleted (forget) or has
// been idle long enough that dropping it changes nothing (prune).
type controls struct {
	mu sync.Mutex
	m  map[string]*control
	// unclosed holds the entries of m whose circuit is open or half-open,
	// so that the questions asked per publish and per claim (blocked)
	// cost what is failing, not every endpoint this node has attempted:
	// with 10,000 endpoints, a walk of m per publish was 5 % of a node's
	// CPU.
	unclosed map[string]*control
}

func newControls() *controls {
	return &controls{m: map[string]*control{}, unclosed: map[string]*control{}}
}

// trackLocked files ctl under unclosed if its circuit is not closed, after
// anything that may have moved it. c.mu is held.
func (c *controls) trackLocked(id string, ctl *control) {
	if ctl.breaker.state == CircuitClosed {
		delete(c.unclosed, id)
	} else {
		c.unclosed[id] = ctl
	}
}

// getLocked returns ep's control, its limiter following ep's current
// settings, and marks it used at now (unless now is zero). c.mu is held.
func (c *controls) getLocked(ep *herald.Endpoint, now time.Time) *control {
	ctl := c.m[ep.ID]
	if ctl == nil {
		ctl = &control{}
		c.m[ep.ID] = ctl
	}
	if !now.IsZero() {
		ctl.used = now
	}
	switch {
	case ep.RateLimit <= 0:
		ctl.limiter = nil
	case ctl.limiter == nil:
		ctl.limiter = rate.NewLimiter(rate.Limit(ep.RateLimit), ep.Burst())
	default:
		// SetLimit and SetBurst keep the tokens already earned, so an
		// edit does not hand out a fresh burst.
		if ctl.limiter.Limit() != rate.Limit(ep.RateLimit) {
			ctl.limiter.SetLimit(rate.Limit(ep.RateLimit))
		}
		if ctl.limiter.Burst() != ep.Burst() {
			ctl.limiter.SetBurst(ep.Burst())
		}
	}
	return ctl
}

// admit asks ep's circuit breaker whether an attempt may go now.
func (c *controls) admit(ep *herald.Endpoint, now time.Time) admission {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctl := c.getLocked(ep, now)
	adm := ctl.breaker.admit(now, ep.CircuitOpenFor())
	c.trackLocked(ep.ID, ctl)
	return adm
}

// report records an admitted attempt's result; it returns the circuit's
// state before and after.
func (c *controls) report(ep *herald.Endpoint, now time.Time, probe, failed bool) (before, after CircuitState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ctl := c.getLocked(ep, now)
	before = ctl.breaker.state
	after = ctl.breaker.report(now, probe, failed, ep.CircuitFailures(), ep.CircuitOpenFor())
	c.trackLocked(ep.ID, ctl)
	return before, after
}

func (c *controls) abandon(ep *herald.Endpoint, probe bool) {
	if !probe {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.getLocked(ep, time.Time{}).breaker.abandon(probe)
}

// reserve takes a token from ep's bucket and returns how long to wait
// before the attempt may start (zero when unlimited or a token is there),
// and a func that gives the token back if the attempt is not made.
func (c *controls) reserve(ep *herald.Endpoint, now time.Time) (time.Duration, func()) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := c.getLocked(ep, now).limiter
	if l == nil {
		return 0, func() {}
	}
	r := l.ReserveN(now, 1)
	if !r.OK() {
		// Only when the burst is below 1, which Endpoint.Burst never
		// returns; go ahead rather than stall the endpoint.
		return 0, func() {}
	}
	return r.DelayFrom(now), func() { r.CancelAt(now) }
}

// blocked returns the endpoints whose circuit lets nothing through at now:
// open and cooling down, or half-open with the probe in flight. Claims
// leave them out, so their backlog stays in the store untouched.
func (c *controls) blocked(now time.Time) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id, ctl := range c.unclosed {
		b := &ctl.breaker
		if (b.state == CircuitOpen && now.Before(b.openUntil)) || (b.state == CircuitHalfOpen && b.probing) {
			out = append(out, id)
		}
	}
	return out
}

// openCircuits counts the endpoints whose circuit is not closed.
func (c *controls) openCircuits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.unclosed)
}

// CircuitState returns the state of the endpoint's circuit breaker on this
// node, for operators and tests. An endpoint never attempted is closed.
func (d *Dispatcher) CircuitState(endpointID string) CircuitState {
	d.ctl.mu.Lock()
	defer d.ctl.mu.Unlock()
	if ctl := d.ctl.m[endpointID]; ctl != nil {
		return ctl.breaker.state
	}
	return CircuitClosed
}

// OpenCircuits returns how many endpoints' circuits are open or half-open
// on this node.
func (d *Dispatcher) OpenCircuits() int { return d.ctl.openCircuits() }
