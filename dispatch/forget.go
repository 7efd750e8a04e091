package dispatch

import (
	"context"
	"log/slog"
	"time"

	"github.com/heraldhq/herald"
)

// endpointIdleAfter is how long an endpoint's in-memory state (rate limit,
// circuit breaker, OAuth 2.0 token source) is kept without use. Longer
// than any cool-down or bucket refill worth remembering; short enough that
// the state of endpoints deleted on another node (which this node never
// hears of) does not pile up.
const endpointIdleAfter = 10 * time.Minute

// forgetEndpoint drops everything this node holds in memory for an
// endpoint: its rate limiter, circuit breaker and OAuth 2.0 token source,
// which holds the client secret and an access token. It is called when
// the endpoint turns out to be deleted.
func (d *Dispatcher) forgetEndpoint(id string) {
	d.ctl.forget(id)
	d.signers.forget(id)
}

// pruneEndpoints drops the in-memory state of endpoints idle since before
// now-endpointIdleAfter: all of it for an endpoint that is deleted, and
// otherwise what is in its resting state (a closed circuit, a full bucket:
// made again as is on next use) and every token source (a token is
// fetched again). Only an endpoint whose circuit is open is kept, so its
// partner is not hammered after a pause.
func (d *Dispatcher) pruneEndpoints(ctx context.Context, now time.Time) {
	before := now.Add(-endpointIdleAfter)
	d.eps.prune(before)
	if d.policies.cache != nil {
		d.policies.cache.prune(before)
	}
	for _, id := range d.signers.idle(before) {
		d.signers.forget(id)
	}
	for _, id := range d.ctl.idle(before, now) {
		_, err := d.eps.get(ctx, id)
		switch code := herald.ErrorCode(err); {
		case code == herald.ENOTFOUND:
			d.forgetEndpoint(id)
		case err != nil:
			d.log.DebugContext(ctx, "prune endpoint state: load endpoint", slog.String("endpoint_id", id), slog.Any("error", err))
		default:
			d.ctl.forgetIfResting(id, now)
		}
	}
}

// forget drops an endpoint's control.
func (c *controls) forget(id string) {
	c.mu.Lock()
	delete(c.m, id)
	delete(c.unclosed, id)
	c.mu.Unlock()
}

// idle lists the endpoints whose control was last used before before.
// Those at rest are dropped at once; the others are returned, to be
// dropped if their endpoint is gone.
func (c *controls) idle(before, now time.Time) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []string
	for id, ctl := range c.m {
		if !ctl.used.Before(before) {
			continue
		}
		if ctl.resting(now) {
			delete(c.m, id)
			continue
		}
		out = append(out, id)
	}
	return out
}

// forgetIfResting drops id's control if dropping it changes nothing.
func (c *controls) forgetIfResting(id string, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if ctl := c.m[id]; ctl != nil && ctl.resting(now) {
		delete(c.m, id)
	}
}

// resting reports whether the control is what a new one would be: a
// closed circuit with no failures counted and a full bucket.
func (ctl *control) resting(now time.Time) bool {
	b := &ctl.breaker
	if b.state != CircuitClosed || b.failures != 0 || b.probing || ctl.slots.inFlight != 0 || ctl.slots.urgent != 0 {
		return false
	}
	return ctl.limiter == nil || ctl.limiter.TokensAt(now) >= float64(ctl.limiter.Burst())
}

// forget drops an endpoint's token source, with its client secret and
// cached access token.
func (s *signers) forget(id string) {
	s.mu.Lock()
	delete(s.oauth, id)
	s.mu.Unlock()
}

// idle lists the endpoints whose token source was last used before
// before.
func (s *signers) idle(before time.Time) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id, ent := range s.oauth {
		if ent.used.Before(before) {
			out = append(out, id)
		}
	}
	return out
}

// pruneLoop prunes idle endpoints' state every minute until ctx ends.
func (d *Dispatcher) pruneLoop(ctx context.Context) {
	t := time.NewTicker(time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			d.pruneEndpoints(ctx, d.now())
		}
	}
}
