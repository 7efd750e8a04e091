package dispatch

import (
	"context"
	"sync"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/heraldhq/herald"
)

var _ herald.Deliverer = (*Dispatcher)(nil)

// waiters lets DeliverNow hear about deliveries it could not lease itself
// because this node's background loop got to them first.
type waiters struct {
	mu sync.Mutex
	m  map[string]chan processed
}

func (d *Dispatcher) notifyWaiter(deliveryID string, r processed) {
	d.waiters.mu.Lock()
	ch := d.waiters.m[deliveryID]
	d.waiters.mu.Unlock()
	if ch != nil {
		select {
		case ch <- r:
		default:
		}
	}
}

// DeliverNow implements herald.Deliverer: it leases the deliveries itself
// (by id, ahead of the queue, since a person is waiting), attempts them
// concurrently with what is left of the deadline as the timeout, waits
// until each result is committed, and says what the person should see.
// Each attempt respects its endpoint's concurrency cap (counting this
// node's attempts in flight, background and interactive) and rate limit:
// it waits for a slot and a token for up to half of what is left of the
// deadline, ahead of the background, and otherwise goes back to the queue,
// pending, to be delivered later. A delivery another claimer holds is followed until it
// has a result or the deadline passes. What fails in a way worth retrying
// stays pending and is retried in the background like any other delivery.
func (d *Dispatcher) DeliverNow(ctx context.Context, ids []string, deadline time.Duration) ([]*herald.DeliveryOutcome, error) {
	if deadline <= 0 {
		deadline = herald.DefaultInteractiveDeadline
	}
	end := time.Now().Add(deadline)
	ctx, cancel := context.WithDeadline(ctx, end)
	defer cancel()

	chans := make([]chan processed, len(ids))
	d.waiters.mu.Lock()
	if d.waiters.m == nil {
		d.waiters.m = map[string]chan processed{}
	}
	for i, id := range ids {
		chans[i] = make(chan processed, 1)
		d.waiters.m[id] = chans[i]
	}
	d.waiters.mu.Unlock()
	defer func() {
		d.waiters.mu.Lock()
		for i, id := range ids {
			if d.waiters.m[id] == chans[i] {
				delete(d.waiters.m, id)
			}
		}
		d.waiters.mu.Unlock()
	}()

	now := d.now()
	claimed, err := d.store.DeliveryClaimIDs(ctx, ids, &herald.DeliveryClaimParams{
		Now: now, LeaseUntil: now.Add(d.cfg.LeaseDuration), Owner: d.cfg.NodeID,
	})
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.outstanding += len(claimed)
	d.mu.Unlock()

	out := make([]*herald.DeliveryOutcome, len(ids))
	index := make(map[string]int, len(ids))
	for i, id := range ids {
		index[id] = i
		out[i] = &herald.DeliveryOutcome{DeliveryID: id}
	}
	if len(claimed) > 0 {
		d.obs.claimBatch(len(claimed))
	}
	// The attempts run under the dispatcher's own context (shutdown cuts
	// them off, not the caller's), inside the caller's trace: each
	// attempt's span is a child of the publish request's.
	attemptCtx := trace.ContextWithSpanContext(d.attemptCtx, trace.SpanContextFromContext(ctx))
	var wg sync.WaitGroup
	mine := make(map[string]bool, len(claimed))
	for _, c := range claimed {
		mine[c.ID] = true
		wg.Go(func() { d.attemptNow(attemptCtx, c, end, out[index[c.ID]]) })
	}
	// Deliveries leased elsewhere, or waiting behind an earlier delivery
	// of their subject (ordered endpoints): wait for this node's loop to
	// report, or read the store until someone has attempted them.
	for i, id := range ids {
		if mine[id] {
			continue
		}
		wg.Go(func() { d.follow(ctx, attemptCtx, end, out[i], chans[i]) })
	}
	wg.Wait()
	return out, nil
}

// attemptNow attempts c, a delivery DeliverNow leased, with what is left of
// the deadline end, and fills o.
func (d *Dispatcher) attemptNow(attemptCtx context.Context, c *herald.ClaimedDelivery, end time.Time, o *herald.DeliveryOutcome) {
	o.EndpointID = c.EndpointID
	r := d.process(attemptCtx, c, max(time.Until(end), time.Millisecond), nil)
	if r.rec == nil {
		o.State = herald.DeliveryStatePending
		o.TimedOut = true
		o.UserMessage = messageTimeout
		return
	}
	// Wait for the record to commit, so what the caller is told
	// is what the store says, a little past the deadline if
	// need be: the attempt itself may have used all of it.
	commitWait := time.NewTimer(2 * time.Second)
	select {
	case <-d.rec.addWait(r.rec):
	case <-commitWait.C:
		// The record is still written; the person just
		// stops waiting for the disk.
	}
	commitWait.Stop()
	fillOutcome(o, r.rec.State, r.outcome)
}

// follow waits for a delivery another claimer attempts. A delivery waiting
// behind an earlier one of its subject is released when that one is final;
// follow then leases it and attempts it at once, as DeliverNow does, unless
// another claimer got to it first. If the deadline passes first, it stays
// queued in its subject's order and goes when its turn comes.
func (d *Dispatcher) follow(ctx, attemptCtx context.Context, end time.Time, o *herald.DeliveryOutcome, local <-chan processed) {
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	waited := false
	for {
		select {
		case r := <-local:
			if r.rec != nil {
				o.EndpointID = r.endpointID
				fillOutcome(o, r.rec.State, r.outcome)
				return
			}
		case <-tick.C:
			dl, err := d.store.DeliveryGet(ctx, o.DeliveryID)
			if err != nil {
				if herald.ErrorCode(err) == herald.ENOTFOUND {
					o.State = herald.DeliveryStateFailed
					o.UserMessage = "This request is unknown."
					return
				}
				continue
			}
			o.EndpointID = dl.EndpointID
			if dl.Waiting() {
				waited = true
				continue
			}
			if waited && dl.Attempts == 0 && dl.State == herald.DeliveryStatePending {
				// Released: lease it, unless a claim holds it already
				// (then the next ticks follow that one).
				now := d.now()
				cs, err := d.store.DeliveryClaimIDs(ctx, []string{o.DeliveryID}, &herald.DeliveryClaimParams{
					Now: now, LeaseUntil: now.Add(d.cfg.LeaseDuration), Owner: d.cfg.NodeID,
				})
				if err == nil && len(cs) == 1 {
					d.mu.Lock()
					d.outstanding++
					d.mu.Unlock()
					d.obs.claimBatch(1)
					d.attemptNow(attemptCtx, cs[0], end, o)
					return
				}
				continue
			}
			if dl.Attempts > 0 || dl.State != herald.DeliveryStatePending {
				o.State = dl.State
				o.StatusCode = dl.LastStatusCode
				o.Location = dl.Location
				if n := len(dl.AttemptLog); n > 0 {
					o.UserMessage = dl.AttemptLog[n-1].UserMessage
				}
				if o.State != herald.DeliveryStateDelivered && o.UserMessage == "" {
					o.UserMessage = messageNotDelivered
				}
				return
			}
		case <-ctx.Done():
			o.State = herald.DeliveryStatePending
			o.TimedOut = true
			o.UserMessage = messageTimeout
			return
		}
	}
}

// Plain messages for the person when the partner gave none. They promise
// only what Herald does: the request is kept and retried.
const (
	messageTimeout      = "The partner did not answer in time. Your request was saved and will be sent again."
	messageNotDelivered = "The partner could not process this request right now. Your request was saved and will be sent again."
	messageRejected     = "The partner could not accept this request."
)

func fillOutcome(o *herald.DeliveryOutcome, state herald.DeliveryState, oc Outcome) {
	o.State = state
	o.StatusCode = oc.StatusCode
	o.Location = oc.Location
	o.UserMessage = oc.UserMessage
	if state == herald.DeliveryStateDelivered {
		return
	}
	o.TimedOut = oc.TimedOut
	if o.UserMessage != "" {
		return
	}
	switch {
	case o.TimedOut:
		o.UserMessage = messageTimeout
	case state == herald.DeliveryStateRejected || state == herald.DeliveryStateFailed:
		o.UserMessage = messageRejected
	default:
		o.UserMessage = messageNotDelivered
	}
}
