package dispatch

import (
	"context"

	"github.com/heraldhq/herald"
)

// retryPolicy returns the retry policy of c.
func (d *Dispatcher) retryPolicy(_ context.Context, _ *herald.ClaimedDelivery) *herald.RetryPolicy {
	return d.cfg.RetryPolicy
}
