package postgres

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// EventPublish implements herald.Store in two round trips whatever the batch
// size: one pipeline reads the customers and endpoints of the batch, and one
// statement inserts every event and delivery (multi-row unnest), in the
// implicit transaction of a pgx.Batch, with the NOTIFY that wakes the
// dispatchers of every node once it commits.
//
// Endpoints are read before the insert, outside its transaction: an endpoint
// created or edited while the batch commits applies to the next batch, as if
// the edit had come a moment later. A customer cannot vanish in between
// (customers are never deleted, and events.customer_id has a foreign key).
func (s *Store) EventPublish(ctx context.Context, events []*herald.Event) ([]*herald.EventPublishResult, error) {
	results := make([]*herald.EventPublishResult, len(events))
	if len(events) == 0 {
		return results, nil
	}

	var customerIDs []string
	seenCustomer := map[string]bool{}
	for _, ev := range events {
		if ev != nil && !seenCustomer[ev.CustomerID] {
			seenCustomer[ev.CustomerID] = true
			customerIDs = append(customerIDs, ev.CustomerID)
		}
	}
	known, endpoints, err := s.customerEndpoints(ctx, customerIDs)
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}

	// Columns of the two unnest inserts.
	var (
		evID, evCustomer, evType, evStatus, evLink    []string
		evBody                                        [][]byte
		evCreated                                     []time.Time
		dlID, dlEvent, dlEndpoint, dlCustomer, dlType []string
		dlState, dlError                              []string
		dlCreated                                     []time.Time
		pending                                       int
	)
	seenEvent := map[string]bool{}
	for i, ev := range events {
		if err := ev.Validate(); err != nil {
			results[i] = &herald.EventPublishResult{Err: err}
			continue
		}
		if !known[ev.CustomerID] {
			results[i] = &herald.EventPublishResult{Err: herald.Errorf(herald.ENOTFOUND, "customer %q not found", ev.CustomerID)}
			continue
		}
		// The same id twice in one batch: the second is refused, as it
		// would be in a later batch (ON CONFLICT below).
		if seenEvent[ev.ID] {
			results[i] = &herald.EventPublishResult{Err: herald.Errorf(herald.ECONFLICT, "event %q exists already", ev.ID)}
			continue
		}
		seenEvent[ev.ID] = true

		stored := *ev
		stored.Body = nil
		stored.CreatedAt = dbTime(ev.CreatedAt)
		evID = append(evID, stored.ID)
		evCustomer = append(evCustomer, stored.CustomerID)
		evType = append(evType, string(stored.Type))
		evStatus = append(evStatus, stored.NewStatus)
		evBody = append(evBody, stored.BodyGzip)
		evLink = append(evLink, stored.LinkHeader)
		evCreated = append(evCreated, stored.CreatedAt)

		r := &herald.EventPublishResult{Event: &stored, Deliveries: []*herald.Delivery{}}
		for _, ep := range endpoints[ev.CustomerID] {
			d := herald.NewDelivery(ep, &stored)
			if d == nil {
				continue
			}
			dlID = append(dlID, d.ID)
			dlEvent = append(dlEvent, d.EventID)
			dlEndpoint = append(dlEndpoint, d.EndpointID)
			dlCustomer = append(dlCustomer, d.CustomerID)
			dlType = append(dlType, string(d.EventType))
			dlState = append(dlState, string(d.State))
			dlError = append(dlError, d.LastError)
			dlCreated = append(dlCreated, d.CreatedAt)
			if d.State == herald.DeliveryStatePending {
				r.Deliveries = append(r.Deliveries, d)
				pending++
			}
		}
		results[i] = r
	}
	if len(evID) == 0 {
		return results, nil
	}

	// One statement: the events insert skips ids that exist already (that
	// event is refused with a conflict, the rest stand, as in the sqlite
	// store) and the deliveries insert takes only the rows of events that
	// went in. Both CTEs run whatever the final SELECT reads.
	b := &pgx.Batch{}
	inserted := map[string]bool{}
	// This transaction lowers no endpoint_queues row: that is done after
	// the commit, below, so concurrent publishes never hold the same
	// endpoints' rows locked across their commits.
	b.Queue(skipPublishTriggerSQL)
	b.Queue(`WITH ev AS (
			INSERT INTO events (id, customer_id, type, new_status, body_gzip, link_header, created_at)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::timestamptz[])
			ON CONFLICT (id) DO NOTHING
			RETURNING id
		), dl AS (
			INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, last_error,
				next_attempt_at, created_at, updated_at)
			SELECT u.id, u.event_id, u.endpoint_id, u.customer_id, u.event_type, u.state, u.last_error, u.at, u.at, u.at
			FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[], $15::timestamptz[])
				AS u (id, event_id, endpoint_id, customer_id, event_type, state, last_error, at)
			WHERE u.event_id IN (SELECT id FROM ev)
		)
		SELECT id FROM ev`,
		evID, evCustomer, evType, evStatus, evBody, evLink, evCreated,
		nonNil(dlID), nonNil(dlEvent), nonNil(dlEndpoint), nonNil(dlCustomer), nonNil(dlType),
		nonNil(dlState), nonNil(dlError), nonNil(dlCreated),
	).Query(func(rows pgx.Rows) error {
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, id := range ids {
			inserted[id] = true
		}
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	if pending > 0 {
		// Committed: now lower the endpoints' next_due, and wake every
		// node's dispatcher once that is committed too, so a woken claim
		// finds the endpoints due. Failed deliveries (to disabled
		// endpoints) are no work for it.
		if err := s.lowerQueues(ctx, results, inserted); err != nil {
			// The events are committed (the caller gets its 202); their
			// deliveries are claimed once anything else lowers the
			// endpoint (the next publish, record or release to it), as
			// a claim takes an endpoint's rows oldest first.
			s.logger.ErrorContext(ctx, "publish events: wake endpoint queues", slog.Any("error", err))
		}
	}

	for i, r := range results {
		if r.Err == nil && !inserted[r.Event.ID] {
			results[i] = &herald.EventPublishResult{Err: herald.Errorf(herald.ECONFLICT, "event %q exists already", r.Event.ID)}
		}
	}
	return results, nil
}

// skipPublishTriggerSQL tells the endpoint_queues trigger on INSERT
// (migration 009) that EventPublish lowers next_due itself, after its
// commit (lowerQueues).
const skipPublishTriggerSQL = `SELECT set_config('herald.publishing', 'on', true)`

// lowerQueuesSQL lowers the next_due of the endpoints in $1 to the due
// times in $2 (a new endpoint gets its row).
//
// Most publishes go to endpoints already due, and locking their rows would
// make concurrent publishes (every node's group-commit writers) queue on
// each other and on claims. So seen first takes a KEY SHARE lock, skipping
// rows a claim holds (FOR UPDATE): a row it gets is one no claim is
// settling, and none can until this statement ends (KEY SHARE conflicts
// with FOR UPDATE, not with other publishers), so if its next_due is
// already early enough there is nothing to do, and any later claim settles
// from a snapshot that holds these rows. The rest (rows a claim holds,
// rows to lower, missing rows) go through ON CONFLICT DO UPDATE, which
// waits for the claim and lowers the value it committed; in endpoint
// order, so two callers never lock the same rows in opposite orders.
const lowerQueuesSQL = `WITH seen AS (
		SELECT endpoint_id, next_due FROM endpoint_queues
		WHERE endpoint_id = ANY($1::text[])
		FOR KEY SHARE SKIP LOCKED
	)
	INSERT INTO endpoint_queues AS q (endpoint_id, next_due)
	SELECT u.id, u.due FROM unnest($1::text[], $2::timestamptz[]) AS u (id, due)
	WHERE NOT EXISTS (SELECT 1 FROM seen WHERE seen.endpoint_id = u.id AND seen.next_due <= u.due)
	ORDER BY u.id
	ON CONFLICT (endpoint_id) DO UPDATE SET next_due = LEAST(q.next_due, EXCLUDED.next_due)`

// lowerQueues lowers next_due of the endpoints of the pending deliveries of
// the inserted events, then notifies, in one implicit transaction.
//
// Why after the publish's commit rather than in its transaction: a claim
// raises next_due from what its snapshot shows, so a publish must either
// hold the endpoint's row across its commit (the trigger's way, which
// serializes concurrent publishes to one endpoint) or lower after its rows
// are visible, as here: a claim that settles next_due after the commit sees
// the new rows, and one that settled before is followed by this lowering.
func (s *Store) lowerQueues(ctx context.Context, results []*herald.EventPublishResult, inserted map[string]bool) error {
	due := map[string]time.Time{}
	for _, r := range results {
		if r == nil || r.Err != nil || !inserted[r.Event.ID] {
			continue
		}
		for _, d := range r.Deliveries {
			if t, ok := due[d.EndpointID]; !ok || d.NextAttemptAt.Before(t) {
				due[d.EndpointID] = d.NextAttemptAt
			}
		}
	}
	if len(due) == 0 {
		return nil
	}
	ids := make([]string, 0, len(due))
	times := make([]time.Time, 0, len(due))
	for id, t := range due {
		ids, times = append(ids, id), append(times, dbTime(t))
	}
	b := &pgx.Batch{}
	b.Queue(lowerQueuesSQL, ids, times)
	queueNotify(b)
	return s.pool.SendBatch(ctx, b).Close()
}

// customerEndpoints returns which of the customers exist and their
// endpoints, oldest first, in one round trip.
func (s *Store) customerEndpoints(ctx context.Context, customerIDs []string) (map[string]bool, map[string][]*herald.Endpoint, error) {
	known := map[string]bool{}
	endpoints := map[string][]*herald.Endpoint{}
	b := &pgx.Batch{}
	b.Queue(`SELECT id FROM customers WHERE id = ANY($1)`, customerIDs).Query(func(rows pgx.Rows) error {
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, id := range ids {
			known[id] = true
		}
		return err
	})
	b.Queue(`SELECT `+endpointColumns+` FROM endpoints WHERE customer_id = ANY($1) ORDER BY created_at, id`,
		customerIDs).Query(func(rows pgx.Rows) error {
		eps, err := collectEndpoints(rows)
		for _, e := range eps {
			endpoints[e.CustomerID] = append(endpoints[e.CustomerID], e)
		}
		return err
	})
	if err := s.pool.SendBatch(ctx, b).Close(); err != nil {
		return nil, nil, err
	}
	return known, endpoints, nil
}

// EventGet implements herald.Store.
func (s *Store) EventGet(ctx context.Context, id string) (*herald.Event, error) {
	var ev herald.Event
	var typ string
	err := s.pool.QueryRow(ctx, `SELECT id, customer_id, type, new_status, body_gzip, link_header, created_at
		FROM events WHERE id = $1`, id).
		Scan(&ev.ID, &ev.CustomerID, &typ, &ev.NewStatus, &ev.BodyGzip, &ev.LinkHeader, &ev.CreatedAt)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.Errorf(herald.ENOTFOUND, "event %q not found", id)
	case err != nil:
		return nil, fmt.Errorf("get event: %w", err)
	}
	ev.Type = wire.EventType(typ)
	ev.CreatedAt = ev.CreatedAt.UTC()
	return &ev, nil
}

// nonNil returns v, or an empty slice for nil: pgx sends a nil slice as
// NULL, and unnest(NULL) or x = ANY(NULL) is not what an empty list means.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
