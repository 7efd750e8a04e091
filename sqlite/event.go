package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/heraldhq/herald"
	"github.com/heraldhq/herald/wire"
)

// EventPublish implements herald.Store. The batch is one transaction with
// its statements prepared once, made durable by the group fsync of
// walSyncer rather than while holding the writer; each customer's endpoints are read once per
// batch (never cached across calls, so an endpoint edit applies to the next
// batch).
func (s *Store) EventPublish(ctx context.Context, events []*herald.Event) (_ []*herald.EventPublishResult, err error) {
	defer func() { err = busyAsUnavailable(err) }()
	results := make([]*herald.EventPublishResult, len(events))
	if len(events) == 0 {
		return results, nil
	}
	tx, done, err := s.beginUnsynced(ctx)
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	defer done()
	defer func() { _ = tx.Rollback() }()

	// INSERT OR IGNORE: a duplicate id refuses that one event (reported
	// as a conflict below), where a failing statement would be an error
	// for the whole batch.
	insEvent, err := s.stmt(ctx, tx, insertEvent)
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	defer insEvent.Close()
	insDelivery, err := s.stmt(ctx, tx, insertDelivery)
	if err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	defer insDelivery.Close()

	// endpoints holds each customer's endpoints for this batch; a nil
	// slice (present in the map) means the customer does not exist.
	endpoints := map[string][]*herald.Endpoint{}
	queues := newSubjectQueues(tx)
	for i, ev := range events {
		if err := ev.Validate(); err != nil {
			results[i] = &herald.EventPublishResult{Err: err}
			continue
		}
		eps, ok := endpoints[ev.CustomerID]
		if !ok {
			eps, err = customerEndpoints(ctx, hotTx{s, tx}, ev.CustomerID)
			if err != nil {
				return nil, fmt.Errorf("publish events: %w", err)
			}
			endpoints[ev.CustomerID] = eps
		}
		if eps == nil {
			results[i] = &herald.EventPublishResult{Err: herald.NotFound("customer", ev.CustomerID)}
			continue
		}

		stored := *ev
		stored.CreatedAt = fromMillis(ev.CreatedAt.UnixMilli())
		created := toMillis(stored.CreatedAt)
		systemID, personID := herald.EventSearchKeys(ev)
		res, err := insEvent.ExecContext(ctx, stored.ID, stored.CustomerID, string(stored.Type),
			stored.NewStatus, stored.BodyGzip, stored.LinkHeader, created, systemID, personID, stored.TraceContext)
		if err != nil {
			return nil, fmt.Errorf("publish events: %w", err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return nil, fmt.Errorf("publish events: %w", err)
		} else if n == 0 {
			results[i] = &herald.EventPublishResult{Err: herald.Exists("event", ev.ID)}
			continue
		}

		r := &herald.EventPublishResult{Event: &stored, Deliveries: []*herald.Delivery{}}
		for _, ep := range eps {
			d := herald.NewDelivery(ep, &stored)
			if d == nil {
				continue
			}
			if err := queues.place(ctx, d); err != nil {
				return nil, fmt.Errorf("publish events: %w", err)
			}
			if _, err := insDelivery.ExecContext(ctx, deliveryArgs(d)...); err != nil {
				return nil, fmt.Errorf("publish events: %w", err)
			}
			if d.State == herald.DeliveryStatePending {
				r.Deliveries = append(r.Deliveries, d)
			}
		}
		// Body stays until the deliveries are made: herald.EventSubject
		// reads it for ordered endpoints rather than gunzipping BodyGzip.
		stored.Body = nil
		results[i] = r
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("publish events: %w", err)
	}
	// Durable before anyone hears so (a 202 promises it); the writer is
	// free for the next batch meanwhile.
	done()
	if err := s.wal.wait(ctx); err != nil {
		return nil, fmt.Errorf("publish events: sync the log: %w", err)
	}
	return results, nil
}

// insertEvent stores an event; INSERT OR IGNORE: see EventPublish.
const insertEvent = `INSERT OR IGNORE INTO events
	(id, customer_id, type, new_status, body_gzip, link_header, created_at, system_id, person_id, trace_context)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertDelivery stores a delivery that newDelivery made, with the
// arguments deliveryArgs gives. EventPublish and publishInTx both use it.
const insertDelivery = `INSERT INTO deliveries
	(id, event_id, endpoint_id, customer_id, event_type, state, last_error, next_attempt_at, created_at, updated_at,
	 subject, subject_seq, waiting_for)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// deliveryArgs are the arguments of insertDelivery for d.
func deliveryArgs(d *herald.Delivery) []any {
	return []any{d.ID, d.EventID, d.EndpointID, d.CustomerID, string(d.EventType), string(d.State), d.LastError,
		toMillis(d.NextAttemptAt), toMillis(d.CreatedAt), toMillis(d.UpdatedAt),
		d.Subject, d.SubjectSeq, d.WaitingFor}
}

// customerEndpoints returns the customer's endpoints, an empty non-nil slice
// if it has none, and nil if there is no such customer. Their Auth is left
// empty (skipAuth): publishing needs only what they want.
func customerEndpoints(ctx context.Context, q rowQuerier, customerID string) ([]*herald.Endpoint, error) {
	var one int
	err := q.QueryRowContext(ctx, customerExistsSQL, customerID).Scan(&one)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, nil
	case err != nil:
		return nil, err
	}
	return listEndpoints(ctx, q, customerID, skipAuth)
}

const customerExistsSQL = `SELECT 1 FROM customers WHERE id = ?`

// rowQuerier is what customerEndpoints reads through: a *sql.Tx, or hotTx.
type rowQuerier interface {
	querier
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// hotTx runs queries in tx through the store's statement cache, for the
// shared helpers that take a querier.
type hotTx struct {
	s  *Store
	tx *sql.Tx
}

func (h hotTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return h.s.txQuery(ctx, h.tx, query, args...)
}

func (h hotTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return h.s.txQueryRow(ctx, h.tx, query, args...)
}

// EventGet implements herald.Store.
func (s *Store) EventGet(ctx context.Context, id string) (*herald.Event, error) {
	var ev herald.Event
	var typ string
	var createdAt int64
	err := s.read.QueryRowContext(ctx, `SELECT id, customer_id, type, new_status, body_gzip, link_header, created_at, trace_context
		FROM events WHERE id = ?`, id).
		Scan(&ev.ID, &ev.CustomerID, &typ, &ev.NewStatus, &ev.BodyGzip, &ev.LinkHeader, &createdAt, &ev.TraceContext)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, herald.NotFound("event", id)
	case err != nil:
		return nil, fmt.Errorf("get event: %w", err)
	}
	ev.Type = wire.EventType(typ)
	ev.CreatedAt = fromMillis(createdAt)
	return &ev, nil
}
