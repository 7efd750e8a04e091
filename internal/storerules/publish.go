package storerules

import (
	"context"
	"errors"
	"time"

	"github.com/heraldhq/herald"
)

// PublishTx is event publishing's view of a store's write: the statements
// of its transaction (sqlite), or the rows of the one multi-row insert it
// sends when the rules are done (postgres's EventPublish). For each event
// it stores, in order, Publish calls EventInsert, then DeliveriesInsert if
// the event made any deliveries.
type PublishTx interface {
	// CustomerEndpoints returns the customer's endpoints, oldest first,
	// with their Auth left empty (publishing needs only what they want);
	// ErrNotFound if there is no such customer. Publish calls it once per
	// customer and batch, so an endpoint edit applies to the next batch.
	CustomerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, error)
	// EventInsert stores ev with its search keys (herald.EventSearchKeys).
	// It returns ErrDuplicate if an event with ev's id is stored already,
	// by an earlier batch or earlier in this one, and ErrNotFound if its
	// customer does not exist, when the store learns that here. A store
	// that learns of a taken id only once its batch runs calls RefuseTaken
	// then.
	EventInsert(ctx context.Context, ev *herald.Event, systemID, personID string) error
	// DeliveriesInsert stores the deliveries made for the event of the last
	// EventInsert, each placed in its subject's queue first if it has a
	// subject (herald.Delivery.Follow). ds is Publish's to reuse once the
	// call returns: keep the deliveries, not the slice.
	DeliveriesInsert(ctx context.Context, ds []*herald.Delivery) error
}

// Publish stores events with their deliveries through tx by the rules of
// herald.Store.EventPublish, in order, and returns one result per event.
// An event it refuses (invalid, of an unknown customer, with a taken id)
// gets a result with that Err and the rest of the batch goes on; an error
// from tx ends the batch, for the store to roll back. round gives a time at
// the store's precision: each result's Event is a copy of the caller's,
// created at that precision, so it equals what a later read returns.
func Publish(ctx context.Context, tx PublishTx, events []*herald.Event, round func(t time.Time) time.Time) ([]*herald.EventPublishResult, error) {
	results := make([]*herald.EventPublishResult, len(events))
	p := publisher{tx: tx, endpoints: map[string][]*herald.Endpoint{}}
	for i, ev := range events {
		if err := ev.Validate(); err != nil {
			results[i] = &herald.EventPublishResult{Err: err}
			continue
		}
		stored := *ev
		stored.CreatedAt = round(ev.CreatedAt)
		pending, refused, err := p.publish(ctx, &stored)
		if err != nil {
			return nil, err
		}
		if refused != nil {
			results[i] = &herald.EventPublishResult{Err: refused}
			continue
		}
		// Body stays until the deliveries are made: herald.EventSubject
		// reads it for ordered endpoints rather than gunzipping BodyGzip.
		// Stores return events without it (herald.Event.Body).
		stored.Body = nil
		results[i] = &herald.EventPublishResult{Event: &stored, Deliveries: pending}
	}
	return results, nil
}

// RefuseTaken is Publish's refusal of a taken id, for a store that learns
// which events went in only once its batch has run (postgres's ON CONFLICT
// DO NOTHING): each stored result whose event inserted does not list is
// refused with ECONFLICT, as if EventInsert had returned ErrDuplicate.
func RefuseTaken(results []*herald.EventPublishResult, inserted map[string]bool) {
	for i, r := range results {
		if r.Err == nil && !inserted[r.Event.ID] {
			results[i] = &herald.EventPublishResult{Err: herald.Exists("event", r.Event.ID)}
		}
	}
}

// publishOne stores ev, a platform action's event, with its deliveries by
// the rules of Publish, inside the action's transaction, and returns the
// pending deliveries. A refusal is returned as the error: the action fails
// with it. ev is stored as it is, not copied: the action stamped it with
// Platform.Now, at the store's precision already, and returns it with its
// Body.
func publishOne(ctx context.Context, tx PublishTx, ev *herald.Event) ([]*herald.Delivery, error) {
	if err := ev.Validate(); err != nil {
		return nil, err
	}
	p := publisher{tx: tx}
	pending, refused, err := p.publish(ctx, ev)
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return pending, nil
}

// publisher holds what Publish keeps across the events of one batch.
type publisher struct {
	tx PublishTx
	// endpoints are the endpoints of each customer the batch has met; a
	// nil slice means there is no such customer. A nil map caches nothing
	// (publishOne: one event).
	endpoints map[string][]*herald.Endpoint
	// made is the deliveries of the current event, reused from event to
	// event so that a batch allocates its slice once.
	made []*herald.Delivery
}

// publish stores ev, which is valid and at the store's precision, with a
// delivery for each endpoint of its customer that wants it
// (herald.NewDelivery), and returns the pending ones, an empty non-nil
// slice if there are none. refused is the user-facing reason ev was not
// stored; err is a failure of tx.
func (p *publisher) publish(ctx context.Context, ev *herald.Event) (pending []*herald.Delivery, refused, err error) {
	eps, found, err := p.customerEndpoints(ctx, ev.CustomerID)
	if err != nil {
		return nil, nil, err
	}
	if !found {
		return nil, herald.NotFound("customer", ev.CustomerID), nil
	}
	systemID, personID := herald.EventSearchKeys(ev)
	if err := p.tx.EventInsert(ctx, ev, systemID, personID); err != nil {
		switch {
		case errors.Is(err, ErrDuplicate):
			return nil, herald.Exists("event", ev.ID), nil
		case errors.Is(err, ErrNotFound):
			return nil, herald.NotFound("customer", ev.CustomerID), nil
		}
		return nil, nil, err
	}
	// Non-nil when empty too, as both stores have always returned it; an
	// empty slice literal costs no allocation.
	pending = []*herald.Delivery{}
	p.made = p.made[:0]
	for _, ep := range eps {
		d := herald.NewDelivery(ep, ev)
		if d == nil {
			continue
		}
		p.made = append(p.made, d)
		if d.State == herald.DeliveryStatePending {
			pending = append(pending, d)
		}
	}
	if len(p.made) > 0 {
		if err := p.tx.DeliveriesInsert(ctx, p.made); err != nil {
			return nil, nil, err
		}
	}
	return pending, nil, nil
}

// customerEndpoints returns the customer's endpoints, reading them once per
// batch, and whether the customer exists.
func (p *publisher) customerEndpoints(ctx context.Context, customerID string) ([]*herald.Endpoint, bool, error) {
	if eps, ok := p.endpoints[customerID]; ok {
		return eps, eps != nil, nil
	}
	eps, err := p.tx.CustomerEndpoints(ctx, customerID)
	switch {
	case errors.Is(err, ErrNotFound):
		eps = nil
	case err != nil:
		return nil, false, err
	case eps == nil:
		// A customer without endpoints: non-nil, so the cache tells
		// it from an unknown one.
		eps = []*herald.Endpoint{}
	}
	if p.endpoints != nil {
		p.endpoints[customerID] = eps
	}
	return eps, eps != nil, nil
}
