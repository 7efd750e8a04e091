package metrics

import (
	"context"

	"github.com/heraldhq/herald"
)

// Publisher wraps a herald.Publisher so every publish is counted
// (Published): the events committed, and the publishes refused or failed.
func (m *Metrics) Publisher(p herald.Publisher) herald.Publisher {
	return &publisher{next: p, m: m}
}

type publisher struct {
	next herald.Publisher
	m    *Metrics
}

func (p *publisher) Publish(ctx context.Context, e *herald.Event) (*herald.EventPublishResult, error) {
	res, err := p.next.Publish(ctx, e)
	if err == nil && res != nil {
		p.m.Published(e, res.Err)
	} else {
		p.m.Published(e, err)
	}
	return res, err
}
