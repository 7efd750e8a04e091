package dispatch

import (
	"context"
	"time"

	"github.com/heraldhq/herald"
)

// slots counts one endpoint's attempts in flight on this node, so that
// background and interactive attempts together stay within the
// endpoint's concurrency cap. controls.mu guards it.
type slots struct {
	inFlight int
	// urgent counts interactive callers waiting for a slot: a person is
	// waiting, so a freed slot goes to them before the background.
	urgent int
	// freed is closed (and replaced) whenever a slot is freed, waking
	// every waiter to try again.
	freed chan struct{}
}

// acquire takes one of ep's slots (its Concurrency()), waiting up to wait
// if all are taken. It returns the func that frees the slot, or nil if
// none was free in time (or ctx ended). An urgent (interactive) caller
// goes before background ones not yet in flight.
func (c *controls) acquire(ctx context.Context, ep *herald.Endpoint, now time.Time, wait time.Duration, urgent bool) func() {
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	waiting := false
	for {
		c.mu.Lock()
		s := &c.getLocked(ep, now).slots
		limit := ep.Concurrency()
		if s.inFlight < limit && (urgent || s.inFlight+s.urgent < limit) {
			s.inFlight++
			if waiting && urgent {
				s.urgent--
			}
			c.mu.Unlock()
			return c.releaseFunc(s)
		}
		if !waiting && urgent {
			s.urgent++
		}
		waiting = true
		if s.freed == nil {
			s.freed = make(chan struct{})
		}
		freed := s.freed
		c.mu.Unlock()

		if timer == nil {
			timer = time.NewTimer(wait)
		}
		select {
		case <-freed:
			continue
		case <-timer.C:
		case <-ctx.Done():
		}
		if urgent {
			c.mu.Lock()
			s.urgent--
			c.mu.Unlock()
		}
		return nil
	}
}

func (c *controls) releaseFunc(s *slots) func() {
	done := false
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if done {
			return
		}
		done = true
		s.inFlight--
		if s.freed != nil {
			close(s.freed)
			s.freed = nil
		}
	}
}
