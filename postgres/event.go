package postgres

import (
	"context"
	"errors"
	"fmt"
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
func (s *Store) EventPublish(ctx context.Context, events []*herald.Event) (_ []*herald.EventPublishResult, err error) {
	defer func() { err = busyAsUnavailable(err) }()
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
		evSystem, evPerson, evTrace                   []string
		evBody                                        [][]byte
		evCreated                                     []time.Time
		dlID, dlEvent, dlEndpoint, dlCustomer, dlType []string
		dlState, dlError                              []string
		dlCreated, dlNext                             []time.Time
		dlSubject, dlWaiting                          []string
		dlSeq                                         []int64
		dls                                           []*herald.Delivery
		pending                                       int
	)
	seenEvent := map[string]bool{}
	for i, ev := range events {
		if err := ev.Validate(); err != nil {
			results[i] = &herald.EventPublishResult{Err: err}
			continue
		}
		if !known[ev.CustomerID] {
			results[i] = &herald.EventPublishResult{Err: herald.NotFound("customer", ev.CustomerID)}
			continue
		}
		// The same id twice in one batch: the second is refused, as it
		// would be in a later batch (ON CONFLICT below).
		if seenEvent[ev.ID] {
			results[i] = &herald.EventPublishResult{Err: herald.Exists("event", ev.ID)}
			continue
		}
		seenEvent[ev.ID] = true

		stored := *ev
		stored.CreatedAt = dbTime(ev.CreatedAt)
		evID = append(evID, stored.ID)
		evCustomer = append(evCustomer, stored.CustomerID)
		evType = append(evType, string(stored.Type))
		evStatus = append(evStatus, stored.NewStatus)
		evBody = append(evBody, stored.BodyGzip)
		evLink = append(evLink, stored.LinkHeader)
		evTrace = append(evTrace, stored.TraceContext)
		evCreated = append(evCreated, stored.CreatedAt)
		systemID, personID := herald.EventSearchKeys(ev)
		evSystem, evPerson = append(evSystem, systemID), append(evPerson, personID)

		r := &herald.EventPublishResult{Event: &stored, Deliveries: []*herald.Delivery{}}
		for _, ep := range endpoints[ev.CustomerID] {
			d := herald.NewDelivery(ep, &stored)
			if d == nil {
				continue
			}
			dls = append(dls, d)
			if d.State == herald.DeliveryStatePending {
				r.Deliveries = append(r.Deliveries, d)
				pending++
			}
		}
		// Body stays until the deliveries are made: herald.EventSubject
		// reads it for ordered endpoints rather than gunzipping BodyGzip.
		stored.Body = nil
		results[i] = r
	}
	if len(evID) == 0 {
		return results, nil
	}

	// Deliveries to ordered endpoints join their subjects' queues under
	// the queues' locks (order.go), so the batch then runs in a
	// transaction of ours, with the locks. Other batches keep the implicit
	// transaction: they pay nothing for ordering.
	var tx pgx.Tx
	if orderedDeliveries(dls) {
		if tx, err = s.pool.Begin(ctx); err != nil {
			return nil, fmt.Errorf("publish events: %w", err)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if err := placeOrdered(ctx, tx, dls, evID); err != nil {
			return nil, fmt.Errorf("publish events: %w", err)
		}
	}
	for _, d := range dls {
		dlID = append(dlID, d.ID)
		dlEvent = append(dlEvent, d.EventID)
		dlEndpoint = append(dlEndpoint, d.EndpointID)
		dlCustomer = append(dlCustomer, d.CustomerID)
		dlType = append(dlType, string(d.EventType))
		dlState = append(dlState, string(d.State))
		dlError = append(dlError, d.LastError)
		dlCreated = append(dlCreated, d.CreatedAt)
		dlNext = append(dlNext, d.NextAttemptAt)
		dlSubject = append(dlSubject, d.Subject)
		dlSeq = append(dlSeq, d.SubjectSeq)
		dlWaiting = append(dlWaiting, d.WaitingFor)
	}

	// One statement: the events insert skips ids that exist already (that
	// event is refused with a conflict, the rest stand, as in the sqlite
	// store) and the deliveries insert takes only the rows of events that
	// went in. Both CTEs run whatever the final SELECT reads.
	b := &pgx.Batch{}
	inserted := map[string]bool{}
	b.Queue(`WITH ev AS (
			INSERT INTO events (id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
			SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[], $7::timestamptz[],
				$20::text[], $21::text[], $22::text[])
			ON CONFLICT (id) DO NOTHING
			RETURNING id
		), dl AS (
			INSERT INTO deliveries (id, event_id, endpoint_id, customer_id, event_type, state, last_error,
				next_attempt_at, created_at, updated_at, subject, subject_seq, waiting_for)
			SELECT u.id, u.event_id, u.endpoint_id, u.customer_id, u.event_type, u.state, u.last_error,
				u.next_at, u.at, u.at, u.subject, u.subject_seq, u.waiting_for
			FROM unnest($8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], $14::text[],
				$15::timestamptz[], $16::timestamptz[], $17::text[], $18::bigint[], $19::text[])
				AS u (id, event_id, endpoint_id, customer_id, event_type, state, last_error, at, next_at,
					subject, subject_seq, waiting_for)
			WHERE u.event_id IN (SELECT id FROM ev)
		)
		SELECT id FROM ev`,
		evID, evCustomer, evType, evStatus, evBody, evLink, evCreated,
		nonNil(dlID), nonNil(dlEvent), nonNil(dlEndpoint), nonNil(dlCustomer), nonNil(dlType),
		nonNil(dlState), nonNil(dlError), nonNil(dlCreated), nonNil(dlNext),
		nonNil(dlSubject), nonNil(dlSeq), nonNil(dlWaiting), evSystem, evPerson, evTrace,
	).Query(func(rows pgx.Rows) error {
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, id := range ids {
			inserted[id] = true
		}
		return err
	})
	if pending > 0 {
		// Delivered when the batch commits, and only then: a woken
		// dispatcher finds the rows committed. Failed deliveries (to
		// disabled endpoints) are no work for it.
		queueNotify(b)
	}
	if tx != nil {
		err = tx.SendBatch(ctx, b).Close()
		if err == nil {
			err = tx.Commit(ctx)
		}
	} else {
		err = s.pool.SendBatch(ctx, b).Close()
	}
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}

	for i, r := range results {
		if r.Err == nil && !inserted[r.Event.ID] {
			results[i] = &herald.EventPublishResult{Err: herald.Exists("event", r.Event.ID)}
		}
	}
	return results, nil
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
		eps, err := collectEndpoints(rows, skipAuth)
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
	err := s.pool.QueryRow(ctx, `SELECT id, customer_id, type, new_status, body_gzip, link_header, created_at, trace_context
		FROM events WHERE id = $1`, id).
		Scan(&ev.ID, &ev.CustomerID, &typ, &ev.NewStatus, &ev.BodyGzip, &ev.LinkHeader, &ev.CreatedAt, &ev.TraceContext)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return nil, herald.NotFound("event", id)
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
