package dispatch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/dispatch"
	"github.com/heraldhq/herald/wire"
)

// claimClock records when each claim started and whether it came back
// with less than it asked for.
type claimClock struct {
	herald.Store
	mu     sync.Mutex
	starts []time.Time
	short  []bool
}

func (c *claimClock) DeliveryClaimDue(ctx context.Context, p *herald.DeliveryClaimParams) ([]*herald.ClaimedDelivery, error) {
	start := time.Now()
	got, err := c.Store.DeliveryClaimDue(ctx, p)
	c.mu.Lock()
	c.starts = append(c.starts, start)
	c.short = append(c.short, err != nil || len(got) < p.Limit)
	c.mu.Unlock()
	return got, err
}

// TestClaimCooldownGathersWakes: publishes wake the dispatcher, but after a
// claim that found less than a full batch the next one waits out the
// cooldown, so a stream of publishes makes a few claims, not one each.
func TestClaimCooldownGathersWakes(t *testing.T) {
	t.Parallel()
	const cooldown = 300 * time.Millisecond
	clock := &claimClock{}
	r := newRig(t, func(c *dispatch.Config) {
		clock.Store = c.Store
		c.Store = clock
		c.ClaimCooldown = cooldown
		c.PollInterval = time.Hour // only wakes (and the first claim) claim
	})
	r.customer(t, "2187")
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(srv.Close)
	r.endpoint(t, "2187", srv.URL, nil)

	var ids []string
	for i := range 10 {
		ids = append(ids, r.publish(t, "2187", itoa(1000+i), wire.EventTypeAssessment).Deliveries[0].ID)
		time.Sleep(20 * time.Millisecond)
	}
	for _, id := range ids {
		r.wait(t, id, func(d *herald.Delivery) bool { return d.State == herald.DeliveryStateDelivered })
	}

	clock.mu.Lock()
	defer clock.mu.Unlock()
	for i := 1; i < len(clock.starts); i++ {
		// Slack for the timer's and the clock's granularity.
		if gap := clock.starts[i].Sub(clock.starts[i-1]); clock.short[i-1] && gap < cooldown-10*time.Millisecond {
			t.Fatalf("claim %d began %s after a short claim, want at least the cooldown of %s", i, gap, cooldown)
		}
	}
	if n := len(clock.starts); n >= len(ids) {
		t.Errorf("%d claims for %d publishes: the wakes were not gathered", n, len(ids))
	}
}
