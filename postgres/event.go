package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/internal/storerules"
)

// EventPublish implements herald.Store. The rules are storerules.Publish's;
// this gives them PostgreSQL's batch (eventBatch), sent in two round trips
// whatever the batch size: one pipeline reads the customers and endpoints
// of the batch, and one statement inserts every event and delivery
// (multi-row unnest), in the implicit transaction of a pgx.Batch, with the
// NOTIFY that wakes the dispatchers of every node once it commits.
//
// Endpoints are read before the insert, outside its transaction: an endpoint
// created or edited while the batch commits applies to the next batch, as if
// the edit had come a moment later. A customer cannot vanish in between
// (customers are never deleted, and events.customer_id has a foreign key).
func (s *Store) EventPublish(ctx context.Context, events []*herald.Event) (_ []*herald.EventPublishResult, err error) {
	defer func() { err = busyAsUnavailable(err) }()
	if len(events) == 0 {
		return []*herald.EventPublishResult{}, nil
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

	b := &eventBatch{known: known, endpoints: endpoints, seen: map[string]bool{}}
	results, err := storerules.Publish(ctx, b, events, dbTime)
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	if len(b.evID) == 0 {
		return results, nil
	}

	// Deliveries to ordered endpoints join their subjects' queues under
	// the queues' locks (order.go), so the batch then runs in a
	// transaction of ours, with the locks. Other batches keep the implicit
	// transaction: they pay nothing for ordering.
	var tx pgx.Tx
	if orderedDeliveries(b.dls) {
		if tx, err = s.pool.Begin(ctx); err != nil {
			return nil, fmt.Errorf("publish events: %w", err)
		}
		defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
		if err := placeOrdered(ctx, tx, b.dls, b.evID); err != nil {
			return nil, fmt.Errorf("publish events: %w", err)
		}
	}
	var (
		dlID, dlEvent, dlEndpoint, dlCustomer, dlType []string
		dlState, dlError                              []string
		dlCreated, dlNext                             []time.Time
		dlSubject, dlWaiting                          []string
		dlSeq                                         []int64
	)
	for _, d := range b.dls {
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
	pb := &pgx.Batch{}
	inserted := map[string]bool{}
	pb.Queue(`WITH ev AS (
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
		b.evID, b.evCustomer, b.evType, b.evStatus, b.evBody, b.evLink, b.evCreated,
		nonNil(dlID), nonNil(dlEvent), nonNil(dlEndpoint), nonNil(dlCustomer), nonNil(dlType),
		nonNil(dlState), nonNil(dlError), nonNil(dlCreated), nonNil(dlNext),
		nonNil(dlSubject), nonNil(dlSeq), nonNil(dlWaiting), b.evSystem, b.evPerson, b.evTrace,
	).Query(func(rows pgx.Rows) error {
		ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
		for _, id := range ids {
			inserted[id] = true
		}
		return err
	})
	if b.pending {
		// Delivered when the batch commits, and only then: a woken
		// dispatcher finds the rows committed. Failed deliveries (to
		// disabled endpoints) are no work for it.
		queueNotify(pb)
	}
	if tx != nil {
		err = tx.SendBatch(ctx, pb).Close()
		if err == nil {
			err = tx.Commit(ctx)
		}
	} else {
		err = s.pool.SendBatch(ctx, pb).Close()
	}
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}

	storerules.RefuseTaken(results, inserted)
	return results, nil
}

// eventBatch is storerules.PublishTx for EventPublish: it reads the
// customers and endpoints read before (customerEndpoints) and collects the
// columns of the one unnest insert that EventPublish then sends.
type eventBatch struct {
	known     map[string]bool
	endpoints map[string][]*herald.Endpoint
	// seen are the ids of the batch so far. The same id twice in one
	// batch: the second is refused here, as it would be in a later batch
	// (ON CONFLICT), since one INSERT ... ON CONFLICT DO NOTHING would take
	// the first row and return the id as inserted for both.
	seen map[string]bool

	evID, evCustomer, evType, evStatus, evLink []string
	evSystem, evPerson, evTrace                []string
	evBody                                     [][]byte
	evCreated                                  []time.Time
	dls                                        []*herald.Delivery
	// pending: some delivery is pending, so the batch wakes the
	// dispatchers (NOTIFY) when it commits.
	pending bool
}

func (b *eventBatch) CustomerEndpoints(_ context.Context, customerID string) ([]*herald.Endpoint, error) {
	if !b.known[customerID] {
		return nil, storerules.ErrNotFound
	}
	return b.endpoints[customerID], nil
}

// EventInsert refuses an id met earlier in the batch; one stored already is
// refused once the insert has run (storerules.RefuseTaken).
func (b *eventBatch) EventInsert(_ context.Context, ev *herald.Event, systemID, personID string) error {
	if b.seen[ev.ID] {
		return storerules.ErrDuplicate
	}
	b.seen[ev.ID] = true
	b.evID = append(b.evID, ev.ID)
	b.evCustomer = append(b.evCustomer, ev.CustomerID)
	b.evType = append(b.evType, string(ev.Type))
	b.evStatus = append(b.evStatus, ev.NewStatus)
	b.evBody = append(b.evBody, ev.BodyGzip)
	b.evLink = append(b.evLink, ev.LinkHeader)
	b.evTrace = append(b.evTrace, ev.TraceContext)
	b.evCreated = append(b.evCreated, ev.CreatedAt)
	b.evSystem, b.evPerson = append(b.evSystem, systemID), append(b.evPerson, personID)
	return nil
}

func (b *eventBatch) DeliveriesInsert(_ context.Context, ds []*herald.Delivery) error {
	b.dls = append(b.dls, ds...)
	for _, d := range ds {
		b.pending = b.pending || d.State == herald.DeliveryStatePending
	}
	return nil
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

// nonNil returns v, or an empty slice for nil: pgx sends a nil slice as
// NULL, and unnest(NULL) or x = ANY(NULL) is not what an empty list means.
func nonNil[T any](v []T) []T {
	if v == nil {
		return []T{}
	}
	return v
}
