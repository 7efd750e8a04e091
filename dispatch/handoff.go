package dispatch

import (
	"slices"

	"github.com/heraldhq/herald"
)

// Handoff: with a store that leases at publish (herald.PublishLeaser), the
// node's Publisher leases each delivery it commits to this node, in the
// publish's own transaction, and hands it straight to the dispatcher's
// lanes once the commit is durable. Such a delivery is never claimed: a
// claim is a write transaction of its own per delivery on the store's
// single writer and waits for the next claim round, so under load the
// handoff saves a write per delivery and most of a delivery's wait before
// its attempt. A delivery the node has no room for, or its endpoint no
// free slot, is stored pending as before, and a claim finds it.
//
// Room is reserved before the store writes, as outstanding, so claims and
// handoffs together never hold more than MaxOutstanding; what the store did
// not lease gives its room back when the publish returns.

// handoff is one publish's reservations.
type handoff struct {
	d *Dispatcher
	// blocked are the endpoints whose circuit was open when the publish
	// began: their deliveries stay in the store, as claims leave them.
	blocked  []string
	reserved int
}

// newHandoff starts the reservations of one publish and returns the lease
// the store is to offer its deliveries.
func (d *Dispatcher) newHandoff() (*handoff, *herald.PublishLease) {
	now := d.now()
	h := &handoff{d: d, blocked: d.ctl.blocked(now)}
	return h, &herald.PublishLease{
		Owner:      d.cfg.NodeID,
		Now:        now,
		LeaseUntil: now.Add(d.cfg.LeaseDuration),
		Take:       h.take,
	}
}

// take reserves room for dl if this node is running and has room for it
// below MaxOutstanding, in its endpoint's lane, and past its circuit.
func (h *handoff) take(dl *herald.Delivery) bool {
	if slices.Contains(h.blocked, dl.EndpointID) {
		return false
	}
	d := h.d
	d.mu.Lock()
	defer d.mu.Unlock()
	if !d.running || d.draining || d.outstanding >= d.cfg.MaxOutstanding {
		return false
	}
	if l := d.lanes[dl.EndpointID]; l != nil && l.full(d.cfg.QueuePerEndpoint) {
		return false
	}
	d.outstanding++
	h.reserved++
	return true
}

// accept queues the deliveries the publish leased on their lanes, and
// gives back the room of those it reserved and the store did not lease
// (claimed is nil when the publish failed). If the dispatcher has begun to
// drain meanwhile, it hands them back to the store instead.
func (h *handoff) accept(claimed []*herald.ClaimedDelivery) {
	d := h.d
	d.mu.Lock()
	d.outstanding -= h.reserved - len(claimed)
	h.reserved = 0
	if len(claimed) == 0 {
		d.mu.Unlock()
		return
	}
	if d.draining {
		d.mu.Unlock()
		leases := make([]herald.DeliveryLease, len(claimed))
		for i, c := range claimed {
			leases[i] = c.Lease
		}
		d.release(leases)
		return
	}
	d.prefetchLocked(claimed)
	for _, c := range claimed {
		d.queueLocked(c)
	}
	d.mu.Unlock()
	d.obs.handoff(len(claimed))
}
